"""How the CLI words errors: a failed connection in one sentence, anything else as raised.

A download that cannot reach its server fails once per attempt, and each attempt's error
from `requests`/`urllib3` repeats the URL, the pool and the cause; the CLI says what failed
in one sentence and leaves the detail to `--verbose`.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
import urllib.parse
from collections.abc import Iterator

from reusable_savedmodel.interface import DownloadError, ReusableError

#: A cause found in the exception chain (huggingface_hub keeps it) -> what failed.
_CAUSES: tuple[tuple[type[BaseException], str], ...] = (
    (socket.gaierror, "DNS lookup failed"),
    (ConnectionRefusedError, "connection refused"),
    (ssl.SSLError, "TLS handshake failed"),
)  # not TimeoutError: filelock's cache-lock timeout is one too
#: The same causes as `requests` words them (the download module keeps only the text).
_WORDS = (
    (re.compile(r"NameResolutionError|Failed to resolve|Name or service not known|"
                r"Temporary failure in name resolution|nodename nor servname"), "DNS lookup failed"),
    (re.compile(r"Connection refused"), "connection refused"),
    (re.compile(r"SSLError|CERTIFICATE_VERIFY_FAILED"), "TLS handshake failed"),
    (re.compile(r"Network is unreachable|No route to host"), "network unreachable"),
    (re.compile(r"timed out|ConnectTimeout"), "timed out"),
)
_HOST = re.compile(r"(?:Failed to resolve '|host=')([^']+)'")
_URL = re.compile(r"https?://[^\s/:'\"]+")


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        yield cause
        cause = cause.__cause__ or cause.__context__


def _what_failed(error: BaseException) -> str | None:
    for cause in _chain(error):
        for kind, what in _CAUSES:
            if isinstance(cause, kind):
                return what
    text = " ".join(str(cause) for cause in _chain(error))
    return next((what for pattern, what in _WORDS if pattern.search(text)), None)


def _host(error: BaseException, handle: str | None) -> str:
    text = " ".join(str(cause) for cause in _chain(error))
    named = _HOST.search(text)
    if named:
        return named.group(1)
    url = _URL.search(text)
    if url is None and handle is not None and handle.startswith("hf://"):
        url = _URL.search(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    host = urllib.parse.urlsplit(url.group(0)).hostname if url else None
    return host or "the server"


def describe(error: ReusableError, *, handle: str | None = None, verbose: bool = False) -> str:
    """The message to print for an error a command raised.

    A download that could not reach its server becomes one sentence ("cannot reach
    www.kaggle.com: DNS lookup failed; ..."), with the full error after it when `verbose`;
    every other error is its own message.

    Args:
      error: The error.
      handle: The handle the command was given, if any (names the host when the error
        does not).
      verbose: Whether to add the full error to the sentence.

    Returns:
      The message.
    """
    what = _what_failed(error) if isinstance(error, DownloadError) else None
    if what is None:
        return str(error)
    sentence = (
        f"cannot reach {_host(error, handle)}: {what}; check the network, or set "
        f"RSM_OFFLINE=1 to use the cache"
    )
    return f"{sentence}.\n{error}" if verbose else f"{sentence} (--verbose shows the details)."
