"""The http(s) handle kind: an archive's URL, or a model page (tfhub.dev) that serves its archive."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reusable_savedmodel.interface.handles._parsed import ParsedHandle


class HttpResolver:
    """http(s) URLs, downloaded into the cache (see `remote.resolve_remote`)."""

    def supports(self, handle: ParsedHandle) -> bool:
        """Whether `handle` is an http(s) URL."""
        return handle.is_http

    def resolve(self, handle: ParsedHandle, **options: Any) -> Path:
        """The cached SavedModel directory; `options` as `remote.resolve_remote` takes them."""
        # Not at the top: the registry imports this module for every handle, and the download
        # stack (requests, the cache) costs `rsm` a half-second start-up for a local path.
        from reusable_savedmodel.interface.handles import _remote as remote

        return remote.resolve_remote(handle, **options)

    def cache_name(self, handle: ParsedHandle) -> str:
        """The URL, the name its cache entry goes by."""
        return handle.text
