"""Archives into the cache: downloaded from http(s) URLs (`web`, `kaggle`) or copied from disk (`local`).

An http(s) URL whose path ends in an archive suffix is downloaded as is; any other, such
as a tfhub.dev model page, is asked for its archive with `?tf-hub-format=compressed`, the
redirects followed (tfhub.dev answers with Kaggle's copy). Local `.tar.gz`/`.tgz`/`.tar`
files are unpacked into the same cache.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from pathlib import Path

from reusable_savedmodel.interface._errors import HandleError
from reusable_savedmodel.interface.handles import _cache as cache_lib
from reusable_savedmodel.interface.handles import _download as download
from reusable_savedmodel.interface.handles._file_urls import local_path
from reusable_savedmodel.interface.handles._parsed import Handle, ParsedHandle, parse_handle

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")
#: TF Hub's query parameter asking a model page for its compressed archive.
FORMAT_PARAMETER = "tf-hub-format"
_SHA256 = re.compile(r"[0-9a-f]{64}")


def is_archive(path: Path) -> bool:
    """Whether `path` names a SavedModel archive by its suffix."""
    return str(path).endswith(ARCHIVE_SUFFIXES)


#: TF Hub's `$TFHUB_MODEL_LOAD_FORMAT` values; AUTO means COMPRESSED, as in tensorflow_hub.
LOAD_FORMATS = ("COMPRESSED", "UNCOMPRESSED", "AUTO")


def check_load_format() -> None:
    """Accepts `$TFHUB_MODEL_LOAD_FORMAT` if unset, COMPRESSED or AUTO (archives, cached).

    Raises:
      HandleError: for UNCOMPRESSED (reading a model in place from Google Cloud Storage,
        which this library does not do) or an unknown value.
    """
    value = os.environ.get("TFHUB_MODEL_LOAD_FORMAT", "").strip().upper()
    if value in ("", "COMPRESSED", "AUTO"):
        return
    if value == "UNCOMPRESSED":
        raise HandleError(
            "TFHUB_MODEL_LOAD_FORMAT=UNCOMPRESSED asks to read models in place from Google "
            "Cloud Storage, which reusable_savedmodel does not do: it downloads the compressed "
            "archive into its cache. Unset it, or set COMPRESSED or AUTO."
        )
    raise HandleError(
        f"TFHUB_MODEL_LOAD_FORMAT: expected one of {', '.join(LOAD_FORMATS)}, got {value!r}."
    )


def wants_progress(progress: bool | None) -> bool | None:
    """`progress`, or True when unset and `$TFHUB_DOWNLOAD_PROGRESS` is (TF Hub's switch)."""
    if progress is None and os.environ.get("TFHUB_DOWNLOAD_PROGRESS"):
        return True
    return progress


def is_offline() -> bool:
    """Whether `$RSM_OFFLINE` asks to serve remote handles only from the cache."""
    return os.environ.get("RSM_OFFLINE", "").strip().lower() in ("1", "true", "yes")


def archive_url(handle: Handle | ParsedHandle) -> str:
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
    handle = parse_handle(handle)
    if handle.path.endswith(ARCHIVE_SUFFIXES):
        return handle.text
    query = handle.query_pairs
    formats = [value for name, value in query if name == FORMAT_PARAMETER]
    if formats and formats != ["compressed"]:
        raise HandleError(
            f"{handle.text!r}: expected {FORMAT_PARAMETER}=compressed (a SavedModel archive), got "
            f"{FORMAT_PARAMETER}={','.join(formats)}."
        )
    if not formats:
        query.append((FORMAT_PARAMETER, "compressed"))
    return urllib.parse.urlunsplit(
        (handle.scheme, handle.host, handle.path, urllib.parse.urlencode(query), handle.fragment)
    )


def archive_compression(handle: ParsedHandle) -> str | None:
    """How a handle's archive is compressed, by its suffix: `"gz"`, `""` (plain tar) or None.

    None (no archive suffix, e.g. a TF Hub model page) lets `extract` tell gzip from plain
    tar by its magic bytes; other compressions are refused either way.
    """
    path = handle.path if handle.is_http else handle.text
    if path.endswith((".tar.gz", ".tgz")):
        return "gz"
    return "" if path.endswith(".tar") else None


def cache_handle(handle: Handle | ParsedHandle) -> str:
    """The name the cache entry of an http(s) handle or local archive goes by.

    Args:
      handle: An http(s) URL, or a local archive path or `file://` URL.

    Returns:
      The URL, or the local archive's absolute `file://` URL.
    """
    handle = parse_handle(handle)
    return handle.text if handle.is_http else local_path(handle).resolve().as_uri()


def resolve_remote(
    handle: Handle | ParsedHandle,
    *,
    sha256: str | None = None,
    timeout: float = download.DEFAULT_TIMEOUT,
    retries: int = download.DEFAULT_RETRIES,
    progress: bool | None = None,
    offline: bool | None = None,
    key: str | None = None,
    headers: dict[str, str] | None = None,
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
      key: For http(s) handles, the name of the cache entry (default: the handle), so
        that several URLs of one model share one entry.
      headers: For http(s) handles, extra request headers (e.g. credentials).

    Returns:
      The cached SavedModel directory.

    Raises:
      HandleError: if `sha256` is not 64 hex digits, the handle or
        `$TFHUB_MODEL_LOAD_FORMAT` asks for another TF Hub format, a local archive is
        missing, or the archive holds no SavedModel.
      DownloadError: if the archive cannot be fetched, verified or unpacked safely, if
        offline and it is not cached, or if the cache is not writable.
    """
    if sha256 is not None:
        sha256 = sha256.lower()
        if not _SHA256.fullmatch(sha256):
            raise HandleError(f"sha256: expected 64 hex digits, got {sha256!r}.")
    handle = parse_handle(handle)
    cache = cache_lib.Cache()
    if handle.is_http:
        check_load_format()
        url = archive_url(handle)
        return cache.get(
            key or handle.text,
            lambda dest: download.download(
                url,
                dest,
                timeout=timeout,
                retries=retries,
                progress=wants_progress(progress),
                headers=headers,
            ),
            sha256=sha256,
            offline=is_offline() if offline is None else offline,
            compression=archive_compression(handle),
        )
    source = local_path(handle).resolve()
    if not source.is_file():
        raise HandleError(f"{handle.text!r}: expected an archive file, found none at {source}.")
    stat = source.stat()
    # A changed file (size or mtime) replaces the entry.
    return cache.get(
        cache_handle(handle),
        lambda dest: download.copy(source, dest),
        sha256=sha256,
        stamp=f"{stat.st_size}:{stat.st_mtime_ns}",
        compression=archive_compression(handle),
    )

