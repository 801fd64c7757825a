"""Unpacking a SavedModel archive safely and within bounds.

Extraction uses tarfile's PEP 706 "data" filter. Python 3.11.7's filter has known bypasses
(CVE-2025-4517 and siblings, fixed in 3.11.13) built from links, so every member is checked
first and any absolute path, `..` segment, link target with either, or device/FIFO member
rejects the whole archive before a byte is written.
"""

from __future__ import annotations

import gzip
import os
import posixpath
import shutil
import tarfile
import zlib
from pathlib import Path, PurePosixPath
from typing import Literal

from reusable_savedmodel.interface._errors import DownloadError, HandleError
from reusable_savedmodel.interface.handles._limits import RATIO_FLOOR, ExtractLimits

SAVED_MODEL_FILE = "saved_model.pb"
GZIP_MAGIC = b"\x1f\x8b"
#: Longest file name component and path (in bytes) on Linux and macOS file systems.
NAME_MAX, PATH_MAX = 255, 4096

# What tarfile and its decompressor raise on bytes that are not a whole tar archive.
_UNREADABLE = (tarfile.ReadError, tarfile.CompressionError, EOFError, zlib.error, gzip.BadGzipFile)


class ArchiveLimitError(DownloadError):
    """An archive would unpack to more bytes or members, or at a higher ratio, than allowed."""


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


def _shown(name: str, limit: int = 120) -> str:
    """A member name for a message: quoted, and cut short if long."""
    return repr(name) if len(name) <= limit else f"{name[:limit]!r}... ({len(name):,} characters)"


class _Layout:
    """The tree the members declared so far, by normalized name: what each name is.

    `problem` refuses, before anything is written, what extraction would fail on with a
    raw OSError or KeyError, or resolve through a link: an empty name, a name or component
    too long for the file system, a member under a file or link (a symlink loop is one),
    a name declared as two kinds (file, link, directory), a hard link to no earlier file.

    Args:
      room: Bytes left for a member's name under the destination directory.
    """

    def __init__(self, room: int):
        self.room = room
        self.kinds: dict[str, str] = {}

    @staticmethod
    def _kind(member: tarfile.TarInfo) -> str:
        if member.isdir():
            return "directory"
        return "link" if member.issym() or member.islnk() else "file"

    def problem(self, member: tarfile.TarInfo) -> str | None:
        """Why `member` cannot join the tree, or None (then it is recorded)."""
        name = posixpath.normpath(member.name) if member.name else ""
        kind = self._kind(member)
        if name in ("", ".") and kind != "directory":
            return f"a {kind} with an empty name (it would be the destination directory itself)"
        if len(os.fsencode(name)) > self.room:
            return f"a name of {len(os.fsencode(name)):,} bytes, more than the {self.room:,} left in a path"
        if any(len(os.fsencode(part)) > NAME_MAX for part in name.split("/")):
            return f"a path component longer than {NAME_MAX} bytes"
        parts = name.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            if self.kinds.setdefault(parent, "directory") != "directory":
                return f"it lies under {parent!r}, which is a {self.kinds[parent]}, not a directory"
        if self.kinds.setdefault(name, kind) != kind:
            return f"it is declared as a {kind} and as a {self.kinds[name]}"
        if member.islnk():
            target = posixpath.normpath(member.linkname)
            if self.kinds.get(target) not in ("file", "link") or target == name:
                return f"a hard link to {member.linkname!r}, which is no earlier file of the archive"
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


def _mode(archive: Path, compression: str | None, label: str) -> Literal["r:gz", "r:"]:
    """The tarfile mode: gzip or plain tar only, as the handle's suffix (or TF Hub) says."""
    with open(archive, "rb") as f:
        gzipped = f.read(2) == GZIP_MAGIC
    if compression is None:
        compression = "gz" if gzipped else ""
    if compression == "gz" and not gzipped:
        raise DownloadError(f"{label}: expected a gzip-compressed tar archive, got other data.")
    if compression not in ("gz", ""):
        raise DownloadError(f"{label}: expected gzip or no compression, got {compression!r}.")
    return "r:gz" if compression == "gz" else "r:"


def _members(
    tar: tarfile.TarFile, packed: int, limits: ExtractLimits, label: str, dest: Path
) -> list[tarfile.TarInfo]:
    """Reads the member headers one by one, refusing at the first one over a limit or unsafe."""
    members, total = [], 0
    layout = _Layout(room=PATH_MAX - len(os.fsencode(dest.absolute())) - 1)
    for member in tar:
        members.append(member)
        total += max(member.size, 0)
        if len(members) > limits.max_members:
            raise ArchiveLimitError(
                f"{label}: refused: more than {limits.max_members:,} archive members; "
                f"raise RSM_MAX_EXTRACT_MEMBERS (or max_members=) if this model really has more."
            )
        if total > limits.max_bytes:
            raise ArchiveLimitError(
                f"{label}: refused: members add up to more than {limits.max_bytes:,} bytes "
                f"(at {member.name!r}); raise RSM_MAX_EXTRACT_BYTES (or max_bytes=) if this "
                f"model really is larger."
            )
        if total > RATIO_FLOOR and total > limits.max_ratio * packed:
            raise ArchiveLimitError(
                f"{label}: refused: {total:,} bytes unpacked from {packed:,} packed exceeds "
                f"the compression ratio {limits.max_ratio:g} (a decompression bomb?); raise "
                f"RSM_MAX_COMPRESSION_RATIO (or max_ratio=) if this model is that compressible."
            )
        reason = unsafe_reason(member) or layout.problem(member)
        if reason is not None:
            raise DownloadError(
                f"{label}: refused unsafe archive member {_shown(member.name)}: {reason}; "
                f"expected a tree of regular files and directories inside the archive."
            )
    return members


def extract(
    archive: Path,
    dest: Path,
    *,
    label: str | None = None,
    compression: str | None = None,
    limits: ExtractLimits | None = None,
) -> Path:
    """Unpacks a tar archive (plain or gzip) into the new directory `dest`, within limits.

    Member headers are read one at a time and checked before anything is written: each
    member's path and link target, and the running totals of members, bytes and the
    compression ratio (see `limits`), so a bomb is refused after reading its first
    oversized header, not after filling the disk.

    Args:
      archive: The archive file.
      dest: A directory to create; it must not exist yet.
      label: How to name the archive in messages (default: its path).
      compression: `"gz"` (.tar.gz, .tgz), `""` (.tar), or None to tell gzip by its magic
        bytes. Other compressions (bz2, xz) are refused.
      limits: The bounds (default: `ExtractLimits.resolve()`, i.e. environment or defaults).

    Returns:
      The SavedModel directory inside `dest` (see `saved_model_root`).

    Raises:
      ArchiveLimitError: if the archive exceeds a limit. Nothing is left at `dest`.
      DownloadError: if the archive is truncated, corrupt, not a (gzip) tar archive, or has
        an unsafe member (named in the message). Nothing is left at `dest`.
      HandleError: if the archive holds no SavedModel. Nothing is left at `dest`.
    """
    label = label or str(archive)
    limits = limits or ExtractLimits.resolve()
    try:
        with tarfile.open(archive, _mode(archive, compression, label)) as tar:
            members = _members(tar, archive.stat().st_size, limits, label, dest)
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
