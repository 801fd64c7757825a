"""Remote handles and archives: http(s) URLs and local .tar.gz/.tgz/.tar files, via the cache."""

from __future__ import annotations

import os
import re
import urllib.parse
import urllib.request
from pathlib import Path

from reusable_savedmodel.interface.errors import HandleError
from reusable_savedmodel.interface.handles import cache as cache_lib
from reusable_savedmodel.interface.handles import download

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")
#: TF Hub's query parameter asking a model page for its compressed archive.
FORMAT_PARAMETER = "tf-hub-format"
_SHA256 = re.compile(r"[0-9a-f]{64}")


def is_archive(path: Path) -> bool:
    """Whether `path` names a SavedModel archive by its suffix."""
    return str(path).endswith(ARCHIVE_SUFFIXES)


def is_offline() -> bool:
    """Whether `$RSM_OFFLINE` asks to serve remote handles only from the cache."""
    return os.environ.get("RSM_OFFLINE", "").strip().lower() in ("1", "true", "yes")


def archive_url(handle: str) -> str:
    """The URL that serves an http(s) handle's archive.

    A URL whose path ends in an archive suffix is used as is; any other gets
    `tf-hub-format=compressed` added to its query (other parameters kept), TF Hub's way of
    asking a model page for its archive.

    Args:
      handle: An http(s) URL.

    Returns:
      The URL to download.

    Raises:
      HandleError: if the query already asks for another `tf-hub-format`.
    """
    parts = urllib.parse.urlsplit(handle)
    if parts.path.endswith(ARCHIVE_SUFFIXES):
        return handle
    query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    formats = [value for name, value in query if name == FORMAT_PARAMETER]
    if formats and formats != ["compressed"]:
        raise HandleError(
            f"{handle!r}: expected {FORMAT_PARAMETER}=compressed (a SavedModel archive), got "
            f"{FORMAT_PARAMETER}={','.join(formats)}."
        )
    if not formats:
        query.append((FORMAT_PARAMETER, "compressed"))
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def _is_url(handle: str) -> bool:
    return urllib.parse.urlsplit(handle).scheme in ("http", "https")


def _local_archive(handle: str) -> Path:
    if handle.startswith("file://"):
        parsed = urllib.parse.urlparse(handle)
        return Path(urllib.request.url2pathname(parsed.netloc + parsed.path)).resolve()
    return Path(handle).expanduser().resolve()


def cache_handle(handle: str) -> str:
    """The name a handle's cache entry goes by: the URL, or a local archive's file:// URL.

    Args:
      handle: An http(s) URL, or a local archive path or `file://` URL.

    Returns:
      The handle as the cache records it.
    """
    return handle if _is_url(handle) else _local_archive(handle).as_uri()


def resolve_remote(
    handle: str,
    *,
    sha256: str | None = None,
    timeout: float = download.DEFAULT_TIMEOUT,
    retries: int = download.DEFAULT_RETRIES,
    progress: bool | None = None,
    offline: bool | None = None,
) -> Path:
    """Resolves an http(s) handle or a local archive to a cached SavedModel directory.

    A valid cache entry is used as is; otherwise the archive is downloaded (or copied) to a
    temporary file, verified, unpacked safely to a temporary directory and renamed into
    place, once, however many processes ask at the same time.

    Args:
      handle: An http(s) URL, or a `.tar.gz`/`.tgz`/`.tar` path or `file://` URL.
      sha256: Expected hex sha256 of the archive; a mismatch is an error.
      timeout: Seconds to wait for a connection and for each read.
      retries: Further attempts after transient failures (5xx, resets, timeouts).
      progress: Draw a download progress bar; None draws one only on a terminal.
      offline: Serve only from the cache; None reads `$RSM_OFFLINE`. Local archives
        are unpacked even when offline.

    Returns:
      The cached SavedModel directory.

    Raises:
      HandleError: if `sha256` is not 64 hex digits, the handle asks for another TF Hub
        format, a local archive is missing, or the archive holds no SavedModel.
      DownloadError: if the archive cannot be fetched, verified or unpacked safely, if
        offline and it is not cached, or if the cache is not writable.
    """
    if sha256 is not None:
        sha256 = sha256.lower()
        if not _SHA256.fullmatch(sha256):
            raise HandleError(f"sha256: expected 64 hex digits, got {sha256!r}.")
    cache = cache_lib.Cache()
    if _is_url(handle):
        url = archive_url(handle)
        return cache.get(
            handle,
            lambda dest: download.download(
                url, dest, timeout=timeout, retries=retries, progress=progress
            ),
            sha256=sha256,
            offline=is_offline() if offline is None else offline,
        )
    source = _local_archive(handle)
    if not source.is_file():
        raise HandleError(f"{handle!r}: expected an archive file, found none at {source}.")
    stat = source.stat()
    # A changed file (size or mtime) replaces the entry.
    return cache.get(
        cache_handle(handle),
        lambda dest: download.copy(source, dest),
        sha256=sha256,
        stamp=f"{stat.st_size}:{stat.st_mtime_ns}",
    )
