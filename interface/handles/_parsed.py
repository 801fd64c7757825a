"""A handle parsed once into a typed value: what every resolver reads instead of the text.

The handle's text is split with `urllib.parse.urlsplit` here and nowhere else; resolvers
read the parts (`scheme`, `host`, `path`, `query`), and hubs whose forms are not URL paths
(`kaggle://`, `hf://`) read what follows `SCHEME://` (`rest`).
"""

from __future__ import annotations

import dataclasses
import os
import urllib.parse

from reusable_savedmodel.interface._errors import HandleError

#: What counts as a handle: a string or a path.
Handle = str | os.PathLike

HTTP_SCHEMES = ("http", "https")


@dataclasses.dataclass(frozen=True)
class ParsedHandle:
    """A handle split into its URL parts (a local path has no scheme).

    Attributes:
      text: The handle as given (`os.fspath` of a path): for messages and cache entry names.
      scheme: The URL scheme in lower case; "" for a path.
      host: The authority as written (host, port, user info); "" when there is none.
      path: The URL path as written (percent-encoded); a path's whole text.
      query: The query, without `?`.
      fragment: The fragment, without `#`.
    """

    text: str
    scheme: str
    host: str
    path: str
    query: str
    fragment: str

    @property
    def is_http(self) -> bool:
        """Whether the handle is an http(s) URL."""
        return self.scheme in HTTP_SCHEMES

    @property
    def rest(self) -> str:
        """What follows `SCHEME://` as written (query and fragment included); "" if no `//`."""
        prefix = f"{self.scheme}://"
        return self.text[len(prefix) :] if self.scheme and self.text.lower().startswith(prefix) else ""

    @property
    def query_pairs(self) -> list[tuple[str, str]]:
        """The query's (name, value) pairs in order, blank values kept."""
        return urllib.parse.parse_qsl(self.query, keep_blank_values=True)


def parse_handle(handle: Handle | ParsedHandle) -> ParsedHandle:
    """Parses a handle once; a `ParsedHandle` is returned as is.

    Args:
      handle: A path, a URL string, or an already parsed handle.

    Returns:
      The parsed handle.

    Raises:
      HandleError: if the handle is empty or blank, or a malformed URL (e.g. an unclosed
        `[` IPv6 host).
    """
    if isinstance(handle, ParsedHandle):
        return handle
    text = os.fspath(handle)
    if not text.strip():
        raise HandleError(
            f"{text!r}: expected a handle (a SavedModel directory or archive, file://, "
            f"http(s)://, kaggle:// or hf://), got an empty or blank string."
        )
    try:
        parts = urllib.parse.urlsplit(text)
    except ValueError as error:
        raise HandleError(f"{text!r}: expected a path or a well-formed URL ({error}).") from error
    return ParsedHandle(text, parts.scheme, parts.netloc, parts.path, parts.query, parts.fragment)
