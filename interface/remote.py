"""Remote handles and archives (http(s) URLs, .tar.gz/.tgz/.tar files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reusable_savedmodel.interface.errors import HandleError

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")


def is_archive(path: Path) -> bool:
    """Whether `path` names a SavedModel archive by its suffix."""
    return str(path).endswith(ARCHIVE_SUFFIXES)


def resolve_remote(handle: str, **options: Any) -> Path:
    """Resolves an http(s) handle or an archive to a cached SavedModel directory."""
    raise HandleError(f"{handle!r}: remote handles and archives are not supported yet.")
