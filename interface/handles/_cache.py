"""The download cache: one verified entry per handle, built aside and renamed into place.

Layout under the cache directory, for a handle whose key is `K`:

  K/            the SavedModel directory (renamed into place whole)
  K.rsm.json    the manifest, written last: handle, archive size and sha256, time, and each
                file's size and sha256
  K.rsm.lock    the lock held while the entry is built (an flock: it dies with its holder)
  K.rsm.lock.pid  who holds (or last held) the lock: pid, host, since when
  K.rsm-tmp.*   downloads and extractions under way

An entry counts only when its manifest is readable, has the right shape, and every file it
lists is present with its recorded size, so an entry that an OS cleaner emptied or half
deleted is rebuilt, never loaded. Contents are re-hashed against the manifest's sha256s by
`verify` (`rsm cache verify`) and whenever a handle is pinned with `sha256=`. Keys differ from tensorflow_hub's, so both can share `$TFHUB_CACHE_DIR`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import json
import logging
import os
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import filelock
import platformdirs

from reusable_savedmodel.interface._errors import DownloadError, ReusableError
from reusable_savedmodel.interface.handles import _extract as extract
from reusable_savedmodel.interface.handles import _limits as limits
from reusable_savedmodel.interface.handles._download import Fetched

_log = logging.getLogger(__name__)

_MANIFEST = ".rsm.json"
_LOCK = ".rsm.lock"
_HOLDER = ".pid"
_TEMP = ".rsm-tmp."
# Storage failures a retry cannot fix: reported at once, with what to do.
_STORAGE_ERRNOS = {errno.EACCES, errno.EPERM, errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.ENOTDIR}
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)

#: Writes the archive to the given path and says what it wrote (see `download`).
Fetch = Callable[[Path], Fetched]


def cache_dir() -> Path:
    """The cache directory: `$RSM_CACHE_DIR`, else `$TFHUB_CACHE_DIR`, else a per-user one."""
    for variable in ("RSM_CACHE_DIR", "TFHUB_CACHE_DIR"):
        if os.environ.get(variable):
            return Path(os.environ[variable]).expanduser()
    return Path(platformdirs.user_cache_dir("reusable-savedmodel"))


def key(handle: str) -> str:
    """The entry name for a handle."""
    return "rsm-" + hashlib.sha256(handle.encode()).hexdigest()[:32]


@dataclasses.dataclass(frozen=True)
class Manifest:
    """What an entry holds and where it came from.

    Attributes:
      handle: The handle as given.
      url: Where the archive came from (after redirects), or the local archive.
      size: The archive's size in bytes.
      sha256: The archive's hex sha256.
      created: When the entry was completed (seconds since the epoch).
      files: Each file of the SavedModel directory (relative POSIX path) ->
        `{"size": bytes, "sha256": hex digest}`.
      stamp: For local archives, the source file's size and mtime when it was unpacked.
    """

    handle: str
    url: str
    size: int
    sha256: str
    created: float
    files: dict[str, dict[str, Any]]
    stamp: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON-able form."""
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Any) -> Manifest:
        """Parses a manifest, checking every field's type.

        Raises:
          ValueError: if `data` is not a manifest of this shape (valid JSON, wrong types).
        """
        fields: dict[str, type | tuple[type, ...]] = {"handle": str, "url": str, "size": int, "sha256": str, "created": (int, float), "files": dict}
        if not isinstance(data, dict) or set(data) - {*fields, "stamp"} or not set(fields) <= set(data):
            raise ValueError(f"expected an object with fields {sorted(fields)}")
        for name, kind in fields.items():
            if not isinstance(data[name], kind) or isinstance(data[name], bool):
                raise ValueError(f"field {name!r} is {type(data[name]).__name__}")
        if not isinstance(data.get("stamp"), (str, type(None))):
            raise ValueError("field 'stamp' is not a string")
        for name, entry in data["files"].items():
            if (
                not isinstance(entry, dict)
                or not isinstance(entry.get("size"), int)
                or not isinstance(entry.get("sha256"), str)
                or ".." in PurePosixPath(name).parts
                or PurePosixPath(name).is_absolute()
            ):
                raise ValueError(f"file entry {name!r} is not {{'size': int, 'sha256': str}}")
        return cls(**data)


@dataclasses.dataclass(frozen=True)
class Entry:
    """One cache entry as `entries` finds it.

    Attributes:
      key: The entry's name.
      path: The SavedModel directory.
      manifest: The manifest, or None if it is missing or unreadable.
      problem: Why the entry does not count, or None if it is valid.
    """

    key: str
    path: Path
    manifest: Manifest | None
    problem: str | None

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON-able form."""
        return {
            "key": self.key,
            "path": str(self.path),
            "valid": self.problem is None,
            "problem": self.problem,
            "manifest": self.manifest.to_json() if self.manifest else None,
        }


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(root: Path) -> dict[str, dict[str, Any]]:
    return {
        p.relative_to(root).as_posix(): {"size": p.stat().st_size, "sha256": _sha256(p)}
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@contextlib.contextmanager
def _storage_errors(root: Path) -> Iterator[None]:
    """Turns permission, full-disk, read-only and not-a-directory errors into a `DownloadError`."""
    try:
        yield
    except OSError as error:
        if isinstance(error, ReusableError) or error.errno not in _STORAGE_ERRNOS:
            raise
        raise DownloadError(
            f"cannot write to the cache directory {root}: {error.strerror} ({error.filename}); "
            f"expected a writable directory with free space: free some, or set $RSM_CACHE_DIR "
            f"to another directory."
        ) from error


def _refuse_link(path: Path, what: str) -> None:
    """Refuses a symbolic link where the cache keeps its own files: writing or removing
    through it would act on whatever file it names (someone else's, maybe)."""
    if path.is_symlink():
        raise DownloadError(
            f"{path}: refused: expected {what}, made by reusable_savedmodel, or nothing; found a "
            f"symbolic link to {os.readlink(path)!r}. The cache never writes through links: "
            f"remove it (and check who can write to {path.parent})."
        )


def _acquire(lock: filelock.FileLock, timeout: float, path: Path) -> None:
    """Acquires `lock`; filelock opens it without following links (a link raced in: ELOOP)."""
    try:
        lock.acquire(timeout=timeout)
    except filelock.Timeout:
        raise
    except OSError as error:
        if error.errno != errno.ELOOP:
            raise
        raise DownloadError(
            f"{path}: refused: expected a lock file, found a symbolic link; the cache never "
            f"writes through links: remove it (and check who can write to {path.parent})."
        ) from error


class Cache:
    """The entries in one cache directory.

    Args:
      root: The cache directory (default: `cache_dir()`), created on first write.
      lock_timeout: Seconds to wait for another process building the same entry
        (default `$RSM_LOCK_TIMEOUT`; see `limits`).
    """

    def __init__(self, root: Path | None = None, *, lock_timeout: float | None = None):
        self.root = cache_dir() if root is None else Path(root)
        self.lock_timeout = lock_timeout

    def _manifest_path(self, k: str) -> Path:
        return self.root / (k + _MANIFEST)

    def _read_manifest(self, k: str) -> tuple[Manifest | None, str | None]:
        try:
            return Manifest.from_json(json.loads(self._manifest_path(k).read_text())), None
        except (FileNotFoundError, NotADirectoryError):
            return None, "no manifest"
        except (ValueError, UnicodeDecodeError) as error:  # bad JSON, or not our shape
            return None, f"unreadable manifest ({error})"

    def _problem(self, k: str, manifest: Manifest, stamp: str | None) -> str | None:
        """Why the entry does not count, or None if every listed file has its size."""
        if manifest.stamp != stamp:
            return f"made from an archive that has changed since ({manifest.stamp} -> {stamp})"
        entry = self.root / k
        for name, recorded in manifest.files.items():
            try:
                actual = (entry / name).stat().st_size
            except (FileNotFoundError, NotADirectoryError):
                return f"{name} is missing"
            if actual != recorded["size"]:
                return f"{name} has {actual} bytes, expected {recorded['size']}"
        return None

    def _changed(self, k: str, manifest: Manifest) -> str | None:
        """Re-hashes an entry's files: the first whose sha256 differs from the manifest's, or None."""
        for name, recorded in manifest.files.items():
            try:
                actual = _sha256(self.root / k / name)
            except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
                return f"{name} is missing"
            if actual != recorded["sha256"]:
                return f"{name} has changed since it was downloaded (sha256 {actual}, expected {recorded['sha256']})"
        return None

    def lookup(self, handle: str, *, sha256: str | None = None, stamp: str | None = None) -> Path | None:
        """The SavedModel directory of a valid entry for `handle`, or None.

        Args:
          handle: The handle.
          sha256: If given, the entry counts only if made from an archive with this sha256.
          stamp: For local archives, the source's current stamp (see `Manifest.stamp`).

        Returns:
          The directory, or None if there is no valid entry.
        """
        k = key(handle)
        manifest, _ = self._read_manifest(k)
        if manifest is None or self._problem(k, manifest, stamp) is not None or sha256 not in (None, manifest.sha256):
            return None
        if sha256 is not None and self._changed(k, manifest) is not None:
            return None  # pinned: the contents, not only the archive, must match
        return self.root / k

    def _holder(self, k: str) -> str:
        """Who holds an entry's lock, as its sidecar says (never read through a link)."""
        try:  # best effort, for a message; O_NONBLOCK: a FIFO planted there must not hang us
            fd = os.open(self.root / (k + _LOCK + _HOLDER), os.O_RDONLY | _NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(fd, errors="replace") as sidecar:
                return sidecar.read(200).strip() or "unknown"
        except OSError:
            return "unknown"

    @contextlib.contextmanager
    def _locked(self, k: str, handle: str) -> Iterator[None]:
        path = self.root / (k + _LOCK)
        _refuse_link(path, "the entry's lock file")
        lock = filelock.FileLock(path)
        try:
            _acquire(lock, 0, path)
        except filelock.Timeout:
            timeout = limits.setting("RSM_LOCK_TIMEOUT", self.lock_timeout)
            _log.warning(
                "%s: another process (%s) is downloading it; waiting up to %g s for it to finish.",
                handle, self._holder(k), timeout,
            )
            try:
                _acquire(lock, timeout, path)
            except filelock.Timeout as error:
                raise DownloadError(
                    f"{handle}: gave up after {timeout:g} s waiting for the process holding "
                    f"{path} ({self._holder(k)}) to finish downloading it; if that process is "
                    f"gone or stuck, stop it, or raise RSM_LOCK_TIMEOUT."
                ) from error
        try:
            self._write_atomically(
                k,
                self.root / (k + _LOCK + _HOLDER),
                f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%dT%H:%M:%S')}\n",
                sync=False,
            )
            yield
        finally:
            lock.release()

    def _remove(self, k: str) -> None:
        """Removes an entry: its manifest first, so a half-removed entry never counts."""
        self._manifest_path(k).unlink(missing_ok=True)
        _refuse_link(self.root / k, "an entry's directory")
        if (self.root / k).exists():
            shutil.rmtree(self.root / k)

    def _remove_temporaries(self, k: str) -> None:
        """Removes what a dead builder left; only call with the entry's lock held."""
        for leftover in self.root.glob(k + _TEMP + "*"):
            _refuse_link(leftover, "a temporary file or directory")
            if leftover.is_dir():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()

    def get(
        self,
        handle: str,
        fetch: Fetch,
        *,
        sha256: str | None = None,
        stamp: str | None = None,
        offline: bool = False,
        compression: str | None = None,
    ) -> Path:
        """The SavedModel directory for `handle`, building the entry if there is no valid one.

        One process builds; others wait on the entry's lock and then use its result. A
        builder that died leaves only temporaries, removed by the next one.

        Args:
          handle: The handle (names the entry).
          fetch: Writes the archive to a given path (e.g. `download.download`).
          sha256: Expected sha256 of the archive; an entry made from another is replaced.
          stamp: For local archives, the source's current stamp; a changed one is replaced.
          offline: Serve only a valid entry; never fetch.
          compression: The archive's compression (see `extract.extract`).

        Returns:
          The entry's SavedModel directory.

        Raises:
          DownloadError: if fetching or unpacking fails, if offline with no valid entry, or
            if the cache directory is not writable or full. No partial entry is left.
          HandleError: if the archive holds no SavedModel.
        """
        found = self.lookup(handle, sha256=sha256, stamp=stamp)
        if found is not None:
            return found
        k = key(handle)
        with _storage_errors(self.root):
            self.root.mkdir(parents=True, exist_ok=True)
            with self._locked(k, handle):
                self._remove_temporaries(k)
                manifest, problem = self._read_manifest(k)
                if manifest is not None:
                    problem = self._problem(k, manifest, stamp)
                    if problem is None and sha256 is not None:
                        problem = self._changed(k, manifest)
                    if problem is None and sha256 in (None, manifest.sha256):
                        return self.root / k  # built by the process we waited for
                if problem is not None:
                    _log.info("%s: cache entry %s does not count (%s); removing it.", handle, k, problem)
                    self._remove(k)  # broken: never served, and not kept for offline use
                if offline:
                    wanted = f" with sha256 {sha256}" if problem is None else ""
                    raise DownloadError(
                        f"{handle}: RSM_OFFLINE is set and the cache {self.root} has no valid "
                        f"entry for it{wanted}; expected it fetched earlier (`rsm fetch`)."
                    )
                return self._build(k, handle, fetch, sha256=sha256, stamp=stamp, compression=compression)

    def _build(
        self,
        k: str,
        handle: str,
        fetch: Fetch,
        *,
        sha256: str | None,
        stamp: str | None,
        compression: str | None,
    ) -> Path:
        staging = Path(tempfile.mkdtemp(prefix=k + _TEMP, dir=self.root))
        try:
            archive = staging / "archive"
            fetched = fetch(archive)
            if sha256 is not None and fetched.sha256 != sha256:
                raise DownloadError(
                    f"{handle}: sha256 mismatch: expected {sha256}, got {fetched.sha256} "
                    f"({fetched.size} bytes from {fetched.url})."
                )
            model = extract.extract(archive, staging / "tree", label=handle, compression=compression)
            manifest = Manifest(
                handle=handle,
                url=fetched.url,
                size=fetched.size,
                sha256=fetched.sha256,
                created=time.time(),
                files=_files(model),
                stamp=stamp,
            )
            self._remove(k)  # an entry from another sha256, replaced only now that this one verified
            entry = self.root / k
            os.rename(model, entry)
            try:
                self._write_manifest(k, manifest)
            except BaseException:
                shutil.rmtree(entry)
                raise
            return entry
        finally:
            shutil.rmtree(staging)

    def _write_manifest(self, k: str, manifest: Manifest) -> None:
        self._write_atomically(k, self._manifest_path(k), json.dumps(manifest.to_json(), indent=1))

    def _write_atomically(self, k: str, dest: Path, text: str, *, sync: bool = True) -> None:
        """Writes `dest` whole through a new temporary file renamed over it: never through
        whatever (a planted link, say) was at `dest` before."""
        fd, tmp = tempfile.mkstemp(prefix=k + _TEMP, suffix=".txt", dir=self.root)
        try:
            with os.fdopen(fd, "w") as out:
                out.write(text)
                out.flush()
                if sync:
                    os.fsync(out.fileno())
            os.replace(tmp, dest)
        except BaseException:
            os.unlink(tmp)
            raise

    def entries(self) -> list[Entry]:
        """Every entry in the cache, valid or not, sorted by handle then key.

        Returns:
          The entries (directories and manifests this library wrote; nothing else).
        """
        if not self.root.is_dir():
            return []
        keys = {p.name[: -len(_MANIFEST)] for p in self.root.glob("rsm-*" + _MANIFEST)}
        keys |= {p.name for p in self.root.glob("rsm-*") if p.is_dir() and _TEMP not in p.name}
        found = []
        for k in keys:
            manifest, problem = self._read_manifest(k)
            if manifest is not None:
                problem = self._problem(k, manifest, manifest.stamp)
            found.append(Entry(key=k, path=self.root / k, manifest=manifest, problem=problem))
        return sorted(found, key=lambda e: (e.manifest.handle if e.manifest else "", e.key))

    def verify(self, handle: str | None = None) -> list[Entry]:
        """Re-hashes every file of one handle's entry, or of all entries, against the manifest.

        Args:
          handle: The handle whose entry to verify; None verifies all.

        Returns:
          The entries, each with `problem` set if it is broken or a file changed.
        """
        checked = []
        for entry in self.entries():
            if handle is not None and entry.key != key(handle):
                continue
            if entry.problem is None and entry.manifest is not None:
                entry = dataclasses.replace(entry, problem=self._changed(entry.key, entry.manifest))
            checked.append(entry)
        return checked

    def clear(self, handle: str | None = None) -> list[Entry]:
        """Removes one handle's entry, or every entry and leftover temporary.

        Each entry is removed under its lock, so a download under way finishes first.

        Args:
          handle: The handle whose entry to remove; None removes all.

        Returns:
          The entries removed.
        """
        targets = self.entries()
        if handle is not None:
            targets = [e for e in targets if e.key == key(handle)]
        with _storage_errors(self.root):
            for entry in targets:
                with self._locked(entry.key, entry.manifest.handle if entry.manifest else entry.key):
                    self._remove(entry.key)
                    self._remove_temporaries(entry.key)
            if handle is None and self.root.is_dir():
                for lock in self.root.glob("rsm-*" + _LOCK):
                    with self._locked(lock.name[: -len(_LOCK)], lock.name):
                        self._remove_temporaries(lock.name[: -len(_LOCK)])
        return targets
