"""Fetching one archive to a local file: timeouts, a deadline, a size limit, bounded retries.

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
import urllib.parse
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import requests
import urllib3
from tqdm import tqdm

from reusable_savedmodel.interface._errors import DownloadError
from reusable_savedmodel.interface.handles import _limits as limits

#: Seconds to wait for a connection, and for each read of the response.
DEFAULT_TIMEOUT = 30.0
#: Further attempts after a transient failure (5xx, 408/429, reset, timeout).
DEFAULT_RETRIES = 3
#: Seconds before the first retry; doubled before each next one.
DEFAULT_BACKOFF = 0.5

_CHUNK = 1 << 20
# 408 and 429 are the two 4xx answers that say "try again later" rather than "wrong request".
_TRANSIENT_4XX = (408, 429)
_SCHEMES = ("http", "https")
_MAX_REDIRECTS = 10


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
    max_bytes: float = float("inf"),
    deadline: float = float("inf"),
) -> Fetched:
    """Streams `chunks` into `dest` through a temporary file, hashing them.

    Refuses (`DownloadError`) once more than `max_bytes` arrived or `time.monotonic()`
    passed `deadline`, checked after every chunk.
    """
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
                if size > max_bytes:
                    raise DownloadError(
                        f"{source}: refused: more than {max_bytes:,.0f} bytes; raise "
                        f"RSM_MAX_DOWNLOAD_BYTES (or max_bytes=) if the model really is larger."
                    )
                if time.monotonic() > deadline:
                    raise DownloadError(
                        f"{source}: gave up: the download passed its deadline after {size:,} "
                        f"bytes; raise RSM_DOWNLOAD_DEADLINE (or deadline=) for slow links."
                    )
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


def _arrived(response: requests.Response) -> Iterator[bytes]:
    """The body as it arrives (not in whole chunks), so the deadline holds on a slow drip.

    Failures are raised as `requests` raises them from `iter_content`.
    """
    while True:
        try:
            chunk = response.raw.read1(_CHUNK, decode_content=True)
        except urllib3.exceptions.ProtocolError as error:
            raise requests.exceptions.ChunkedEncodingError(error) from error
        except (urllib3.exceptions.ReadTimeoutError, urllib3.exceptions.HTTPError) as error:
            raise requests.ConnectionError(error) from error
        if not chunk:
            return
        yield chunk


def _redirect_target(url: str, response: requests.Response, seen: list[str]) -> str:
    """Where a 3xx answer points; refuses other schemes, loops and malformed `Location`s."""
    location = response.headers.get("Location")
    if not location:
        raise DownloadError(f"{url}: HTTP {response.status_code} redirect without a Location header.")
    try:
        target = urllib.parse.urljoin(url, location)
        parts = urllib.parse.urlsplit(target)
        valid = parts.scheme in _SCHEMES and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as error:
        raise DownloadError(f"{url}: malformed redirect Location {location!r} ({error}).") from error
    if not valid:
        raise DownloadError(
            f"{url}: refused redirect to {target!r}: expected an http(s) URL with a host."
        )
    if target in seen:
        raise DownloadError(f"{url}: redirect loop: {' -> '.join([*seen, target])}.")
    if len(seen) > _MAX_REDIRECTS:
        raise DownloadError(f"{url}: more than {_MAX_REDIRECTS} redirects: {' -> '.join(seen)}.")
    return target


def keeps_credentials(source: str, target: str) -> bool:
    """Whether a redirect from `source` to `target` may carry the credentials sent to `source`.

    The rule of `requests` (and curl): not once the scheme, host or port changes, save an
    upgrade from http to https on the default ports. Kaggle downloads go through it here;
    `huggingface_hub` applies the same rule itself (its client compares scheme, host, port).
    """
    with requests.Session() as session:
        return not session.should_strip_auth(source, target)


def _get(
    session: requests.Session, url: str, *, timeout: float, headers: Mapping[str, str]
) -> requests.Response:
    """GETs `url`, following only http(s) redirects, by hand (see `_redirect_target`).

    `headers` (credentials) go only as far as `keeps_credentials` allows: once dropped,
    they are not sent again, even if a later redirect comes back.
    """
    seen = [url]
    sent = dict(headers)
    while True:
        # Identity encoding: Content-Length then counts the archive's own bytes.
        try:
            response = session.get(
                seen[-1], stream=True, timeout=timeout, allow_redirects=False,
                headers={**sent, "Accept-Encoding": "identity"},
            )
        except ValueError as error:  # requests parses a redirect's Location even when not following
            raise DownloadError(f"{seen[-1]}: malformed URL or redirect Location ({error}).") from error
        if not response.is_redirect:
            return response
        response.close()
        seen.append(_redirect_target(seen[-1], response, seen))
        if not keeps_credentials(seen[-2], seen[-1]):
            sent = {}


def _attempt(
    session: requests.Session,
    url: str,
    dest: Path,
    *,
    timeout: float,
    progress: bool,
    max_bytes: float,
    deadline: float,
    headers: Mapping[str, str],
) -> Fetched:
    read_timeout = max(0.1, min(timeout, deadline - time.monotonic()))
    try:
        response = _get(session, url, timeout=read_timeout, headers=headers)
    except (requests.ConnectionError, requests.Timeout) as error:
        raise _Transient(_describe(error, read_timeout)) from error
    except requests.RequestException as error:  # a URL requests cannot use
        raise DownloadError(f"{url}: {type(error).__name__}: {error}.") from error
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
        total = int(length) if length is not None and length.isdigit() else None
        if total is not None and total > max_bytes:
            raise DownloadError(
                f"{url}: refused: it announces {total:,} bytes, more than {max_bytes:,.0f}; "
                f"raise RSM_MAX_DOWNLOAD_BYTES (or max_bytes=) if the model really is larger."
            )
        try:
            return _write(
                _arrived(response), dest, source=response.url, total=total, progress=progress,
                max_bytes=max_bytes, deadline=deadline,
            )
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            raise _Transient(_describe(error, read_timeout)) from error


def download(
    url: str,
    dest: Path,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = DEFAULT_RETRIES,
    backoff: float = DEFAULT_BACKOFF,
    progress: bool | None = None,
    max_bytes: float | None = None,
    deadline: float | None = None,
    headers: Mapping[str, str] | None = None,
) -> Fetched:
    """Downloads `url` to `dest`, following http(s) redirects, retrying transient failures.

    Args:
      url: An http(s) URL.
      dest: The file to create; its directory must exist.
      timeout: Seconds to wait for the connection and for each read.
      retries: Further attempts after 5xx, 408, 429, connection resets and timeouts.
      backoff: Seconds before the first retry, doubled before each next one.
      progress: Draw a progress bar; None draws one only when stderr is a terminal.
      max_bytes: Refuse more bytes than this (default `$RSM_MAX_DOWNLOAD_BYTES`, 8 GiB).
      deadline: Seconds all attempts together may take (default `$RSM_DOWNLOAD_DEADLINE`,
        one hour), however slowly the server drips.
      headers: Credentials (request headers) for `url`: dropped on a redirect that
        changes scheme, host or port (see `keeps_credentials`).

    Returns:
      The final URL, size and sha256 of what was written.

    Raises:
      HTTPStatusError: on a 4xx other than 408/429 (at once), with its status.
      DownloadError: on a redirect to another scheme, a loop or a
        malformed `Location`, too many bytes, the deadline, or when every attempt failed
        transiently (listing each failure). `dest` is then absent.
    """
    show = show_progress() if progress is None else progress
    limit = limits.setting("RSM_MAX_DOWNLOAD_BYTES", max_bytes)
    seconds = limits.setting("RSM_DOWNLOAD_DEADLINE", deadline)
    until = time.monotonic() + seconds
    failures: list[str] = []
    with requests.Session() as session:
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(min(backoff * 2 ** (attempt - 1), max(0.0, until - time.monotonic())))
            if time.monotonic() > until:
                failures.append(f"deadline of {seconds:g} s passed")
                break
            try:
                return _attempt(
                    session, url, dest, timeout=timeout, progress=show, max_bytes=limit,
                    deadline=until, headers=headers or {},
                )
            except _Transient as error:
                failures.append(f"attempt {attempt + 1}: {error}")
    raise DownloadError(
        f"{url}: download failed after {len(failures)} attempts: " + "; ".join(failures)
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
