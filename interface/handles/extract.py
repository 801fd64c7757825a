"""Unpacking a SavedModel archive safely.

Extraction uses tarfile's PEP 706 "data" filter. Python 3.11.7's filter has known bypasses
(CVE-2025-4517 and siblings, fixed in 3.11.13) built from links, so every member is checked
first and any absolute path, `..` segment, link target with either, or device/FIFO member
rejects the whole archive before a byte is written.
"""

from __future__ import annotations

import gzip
import lzma
import shutil
import tarfile
import zlib
from pathlib import Path, PurePosixPath

from reusable_savedmodel.interface.errors import DownloadError, HandleError

SAVED_MODEL_FILE = "saved_model.pb"

# What tarfile and its decompressors raise on bytes that are not a whole tar archive.
_UNREADABLE = (tarfile.ReadError, tarfile.CompressionError, EOFError, zlib.error, gzip.BadGzipFile, lzma.LZMAError)


def _escapes(name: str) -> bool:
    """Whether a member name or link target is absolute or has a `..` segment."""
    path = PurePosixPath(name)
    return path.is_absolute() or name.startswith("\\") or ".." in path.parts


def unsafe_reason(member: tarfile.TarInfo) -> str | None:
    """Why `member` must not be extracted, or None if it may be.

    Args:
      member: A member of a tar archive.

    Returns:
      A short reason ("absolute path", ...), or None.
    """
    if _escapes(member.name):
        return "absolute path or '..' segment"
    if (member.issym() or member.islnk()) and _escapes(member.linkname):
        return f"link to {member.linkname!r}, which is absolute or has a '..' segment"
    if member.isdev():
        return "device file or FIFO"
    return None


def saved_model_root(tree: Path, label: str) -> Path:
    """The SavedModel directory in an unpacked archive: its root or its one directory.

    Args:
      tree: The directory the archive was unpacked into.
      label: How to name the archive in messages.

    Returns:
      `tree` or its single subdirectory, whichever holds `saved_model.pb`.

    Raises:
      HandleError: if neither does.
    """
    if (tree / SAVED_MODEL_FILE).is_file():
        return tree
    entries = list(tree.iterdir())
    if len(entries) == 1 and (entries[0] / SAVED_MODEL_FILE).is_file():
        return entries[0]
    found = ", ".join(sorted(e.name for e in entries)[:8]) or "nothing"
    raise HandleError(
        f"{label}: expected {SAVED_MODEL_FILE} at the archive's root or in its one top-level "
        f"directory, found {found}."
    )


def extract(archive: Path, dest: Path, *, label: str | None = None) -> Path:
    """Unpacks a tar archive (plain, gzip, bz2 or xz) into the new directory `dest`.

    Args:
      archive: The archive file.
      dest: A directory to create; it must not exist yet.
      label: How to name the archive in messages (default: its path).

    Returns:
      The SavedModel directory inside `dest` (see `saved_model_root`).

    Raises:
      DownloadError: if the archive is truncated, corrupt or not a tar archive, or has an
        unsafe member (named in the message). Nothing is left at `dest`.
      HandleError: if the archive holds no SavedModel. Nothing is left at `dest`.
    """
    label = label or str(archive)
    try:
        with tarfile.open(archive, "r:*") as tar:
            # Reading every header first walks the whole stream: truncation shows here.
            members = tar.getmembers()
            for member in members:
                reason = unsafe_reason(member)
                if reason is not None:
                    raise DownloadError(
                        f"{label}: refused unsafe archive member {member.name!r}: {reason}; "
                        f"expected regular files and directories inside the archive."
                    )
            dest.mkdir()
            try:
                tar.extractall(dest, members=members, filter="data")
                return saved_model_root(dest, label)
            except BaseException:
                shutil.rmtree(dest)
                raise
    except tarfile.FilterError as error:
        raise DownloadError(f"{label}: refused unsafe archive member: {error}.") from error
    except _UNREADABLE as error:
        raise DownloadError(
            f"{label}: expected a tar archive (.tar, .tar.gz, .tgz), got truncated or corrupt "
            f"data ({type(error).__name__}: {error})."
        ) from error
