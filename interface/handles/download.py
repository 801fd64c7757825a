"""Fetching one archive to a local file: timeouts, bounded retries, hashing, progress.

The destination is written through a temporary file in the same directory and renamed into
place only once it is complete and verified, so it is either whole or absent.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sys
import tempfile
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import requests
import urllib3
from tqdm import tqdm

from reusable_savedmodel.interface.errors import DownloadError

#: Seconds to wait for a connection, and for each read of the response.
DEFAULT_TIMEOUT = 30.0
#: Further attempts after a transient failure (5xx, 408/429, reset, timeout).
DEFAULT_RETRIES = 3
#: Seconds before the first retry; doubled before each next one.
DEFAULT_BACKOFF = 0.5

_CHUNK = 1 << 20
# 408 and 429 are the two 4xx answers that say "try again later" rather than "wrong request".
_TRANSIENT_4XX = (408, 429)


@dataclasses.dataclass(frozen=True)
class Fetched:
    """What was written.

    Attributes:
      url: Where the bytes came from (after redirects), or the source file.
      size: Bytes written.
      sha256: Hex sha256 of those bytes.
    """

    url: str
    size: int
    sha256: str


class HTTPStatusError(DownloadError):
    """The server answered with a status that no retry can change (e.g. 401, 403, 404).

    Attributes:
      status: The HTTP status code.
      url: The URL that answered it (after redirects).
    """

    def __init__(self, message: str, *, status: int, url: str):
        super().__init__(message)
        self.status = status
        self.url = url


class _Transient(Exception):
    """A failure worth another attempt; carries a one-line description."""


def show_progress() -> bool:
    """Whether to draw a progress bar: only when stderr is a terminal."""
    return sys.stderr.isatty()


def _write(
    chunks: Iterable[bytes],
    dest: Path,
    *,
    source: str,
    total: int | None,
    progress: bool,
) -> Fetched:
    """Streams `chunks` into `dest` through a temporary file, hashing them."""
    digest = hashlib.sha256()
    size = 0
    fd, tmp = tempfile.mkstemp(prefix=f"{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out, tqdm(
            total=total, unit="B", unit_scale=True, unit_divisor=1024,
            desc=dest.name, disable=not progress, leave=False,
        ) as bar:
            for chunk in chunks:
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
                bar.update(len(chunk))
        os.replace(tmp, dest)
    except BaseException:
        os.unlink(tmp)
        raise
    return Fetched(url=source, size=size, sha256=digest.hexdigest())


def _describe(error: Exception, timeout: float) -> str:
    """A one-line account of a requests failure; names timeouts as such."""
    cause = error.args[0] if error.args else None
    if isinstance(error, requests.Timeout) or isinstance(cause, urllib3.exceptions.ReadTimeoutError):
        return f"timed out (no data for {timeout:g} s)"
    return f"{type(error).__name__}: {error}"


def _attempt(
    session: requests.Session,
    url: str,
    dest: Path,
    *,
    timeout: float,
    progress: bool,
    headers: Mapping[str, str],
) -> Fetched:
    try:
        # Identity encoding: Content-Length then counts the archive's own bytes.
        response = session.get(
            url, stream=True, timeout=timeout, headers={**headers, "Accept-Encoding": "identity"}
        )
    except (requests.ConnectionError, requests.Timeout) as error:
        raise _Transient(_describe(error, timeout)) from error
    with response:
        status = f"HTTP {response.status_code} {response.reason}"
        if response.status_code >= 500 or response.status_code in _TRANSIENT_4XX:
            raise _Transient(status)
        if response.status_code != 200:
            raise HTTPStatusError(
                f"{url}: expected HTTP 200 with a SavedModel archive, got {status}"
                + (f" (from {response.url})." if response.url != url else "."),
                status=response.status_code,
                url=response.url,
            )
        length = response.headers.get("Content-Length")
        try:
            return _write(
                response.iter_content(_CHUNK),
                dest,
                source=response.url,
                total=int(length) if length is not None else None,
                progress=progress,
            )
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as error:
            raise _Transient(_describe(error, timeout)) from error


def download(
    url: str,
    dest: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    progress: bool | None = None,
    headers: Mapping[str, str] | None = None,
) -> Fetched:
    """Downloads `url` to `dest`, following redirects, retrying transient failures.

    Args:
      url: An http(s) URL.
      dest: The file to create; its directory must exist.
      timeout: Seconds to wait for the connection and for each read.
      retries: Further attempts after 5xx, 408, 429, connection resets and timeouts.
      backoff: Seconds before the first retry, doubled before each next one.
      progress: Draw a progress bar; None draws one only when stderr is a terminal.
      headers: Extra request headers (e.g. credentials; `requests` drops `Authorization`
        on a redirect to another host).

    Returns:
      The final URL, size and sha256 of what was written.

    Raises:
      HTTPStatusError: on a 4xx other than 408/429 (at once), with its status.
      DownloadError: when every attempt failed transiently
        (listing each failure). `dest` is then absent.
    """
    show = show_progress() if progress is None else progress
    failures: list[str] = []
    with requests.Session() as session:
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(backoff * 2 ** (attempt - 1))
            try:
                return _attempt(
                    session, url, dest, timeout=timeout, progress=show, headers=headers or {}
                )
            except _Transient as error:
                failures.append(f"attempt {attempt + 1}: {error}")
    raise DownloadError(
        f"{url}: download failed after {retries + 1} attempts: " + "; ".join(failures)
    )


def copy(source: Path, dest: Path) -> Fetched:
    """Copies a local archive to `dest` the way `download` writes one, hashing it.

    Args:
      source: The archive file.
      dest: The file to create; its directory must exist.

    Returns:
      The source, size and sha256 of what was written.
    """
    with open(source, "rb") as src:
        return _write(
            iter(lambda: src.read(_CHUNK), b""),
            dest,
            source=str(source),
            total=None,
            progress=False,
        )
