"""The local handle kinds: a path and a `file://` URL, to a SavedModel directory or an archive.

A directory is used where it lies; an archive (`.tar.gz`, `.tgz`, `.tar`) is unpacked into
the download cache (`remote.resolve_remote`). The path kind comes last among the resolvers
and takes every handle no other kind claims, as a path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reusable_savedmodel.interface._errors import HandleError
from reusable_savedmodel.interface.handles._file_urls import SCHEME, local_path, refused_paths
from reusable_savedmodel.interface.handles._parsed import ParsedHandle


class LocalResolver:
    """Paths: a SavedModel directory as it is, an archive through the cache."""

    def supports(self, handle: ParsedHandle) -> bool:
        """True: whatever no other kind claims is a path."""
        return True

    def resolve(self, handle: ParsedHandle, **options: Any) -> Path:
        """The directory, or the archive's cache entry (`options` as `remote.resolve_remote`).

        Raises:
          HandleError: if the file system refuses the path, or options are given for a
            directory (they apply to archives only).
        """
        path = local_path(handle)
        with refused_paths(handle):
            if path.is_file():
                # Imported for archives only: a directory needs no download stack.
                from reusable_savedmodel.interface.handles import _remote as remote

                if remote.is_archive(path):
                    return remote.resolve_remote(handle, **options)
        if options:
            raise HandleError(
                f"{handle.text!r} is a local directory: options {sorted(options)} apply only to "
                f"archives and http(s) handles."
            )
        return path

    def cache_name(self, handle: ParsedHandle) -> str:
        """An archive's absolute `file://` URL, the name its cache entry goes by."""
        from reusable_savedmodel.interface.handles import _remote as remote

        return remote.cache_handle(handle)


class FileUrlResolver(LocalResolver):
    """`file://` URLs: as the local path they name (on this host only)."""

    def supports(self, handle: ParsedHandle) -> bool:
        """Whether `handle` is a `file://` URL."""
        return handle.scheme == SCHEME
