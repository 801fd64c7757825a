"""`file://` URLs as local paths."""

from __future__ import annotations

import urllib.parse
import urllib.request
from pathlib import Path

from reusable_savedmodel.interface.errors import HandleError

_LOCAL_HOSTS = ("", "localhost")


def file_url_path(url: str) -> Path:
    """The local path a `file://` URL names: `file:///a/b` and `file://localhost/a/b` are `/a/b`.

    Args:
      url: A URL starting with `file://`.

    Returns:
      The path (not resolved).

    Raises:
      HandleError: if the URL names another host (this library reads only local files), or
        no path (which would be the current directory).
    """
    parsed = urllib.parse.urlsplit(url)
    if parsed.netloc.lower() not in _LOCAL_HOSTS:
        raise HandleError(
            f"{url!r}: expected a local file URL (file:///abs/path or file://localhost/abs/path), "
            f"got the host {parsed.netloc!r}."
        )
    if not parsed.path:
        raise HandleError(f"{url!r}: expected a local file URL with a path (file:///abs/path), got none.")
    return Path(urllib.request.url2pathname(parsed.path))
