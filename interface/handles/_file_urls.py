"""Local handles as paths: a path's text, or the path a `file://` URL names."""

from __future__ import annotations

import contextlib
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from reusable_savedmodel.interface._errors import HandleError, ReusableError
from reusable_savedmodel.interface.handles._parsed import ParsedHandle

SCHEME = "file"
_LOCAL_HOSTS = ("", "localhost")


def file_url_path(handle: ParsedHandle) -> Path:
    """The local path a `file://` URL names: `file:///a/b` and `file://localhost/a/b` are `/a/b`.

    Args:
      handle: A parsed `file://` URL.

    Returns:
      The path (not resolved).

    Raises:
      HandleError: if the URL names another host (this library reads only local files), or
        no path (which would be the current directory).
    """
    if handle.host.lower() not in _LOCAL_HOSTS:
        raise HandleError(
            f"{handle.text!r}: expected a local file URL (file:///abs/path or "
            f"file://localhost/abs/path), got the host {handle.host!r}."
        )
    if not handle.path:
        raise HandleError(f"{handle.text!r}: expected a local file URL with a path (file:///abs/path), got none.")
    return Path(urllib.request.url2pathname(handle.path))


def local_path(handle: ParsedHandle) -> Path:
    """The path a local handle names: a `file://` URL's path, else the text, `~` expanded.

    Raises:
      HandleError: for a `file://` URL that names another host or no path.
    """
    return file_url_path(handle) if handle.scheme == SCHEME else Path(handle.text).expanduser()


@contextlib.contextmanager
def refused_paths(handle: ParsedHandle) -> Iterator[None]:
    """Turns the file system's refusal of a path (e.g. a name too long) into a HandleError.

    Raises:
      HandleError: for an `OSError` (other than this library's own errors) in the block.
    """
    try:
        yield
    except OSError as error:
        if isinstance(error, ReusableError):
            raise
        raise HandleError(
            f"{handle.text[:200]!r}: expected a path to a SavedModel directory or archive, got "
            f"one the file system refuses ({error.strerror})."
        ) from error
