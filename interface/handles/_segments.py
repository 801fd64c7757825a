"""The path segments of a handle: plain names only.

Handle segments become local paths (a Kaggle notebook mount, kagglehub's cache, the
Hugging Face cache and its `refs/REVISION` files) and URL paths. An empty, `.` or `..`
segment would climb out of where the handle is looked up, or name a different thing in a
URL than on disk, so every handle form refuses them by this one rule.
"""

from __future__ import annotations

from collections.abc import Sequence

from reusable_savedmodel.interface._errors import HandleError

_NOT_PLAIN = ("", ".", "..")
# A backslash separates paths on Windows; a NUL ends them in C.
_NOT_IN_NAMES = ("\\", "\0")


def require_plain(handle: str, segments: Sequence[str], expected: str) -> None:
    """Refuses path segments that are empty, `.`, `..`, or hold a backslash or NUL.

    Args:
      handle: The handle, for the message.
      segments: Its path segments (after splitting at `/`).
      expected: The form the handle should have, for the message.

    Raises:
      HandleError: naming the first segment that is not a plain name.
    """
    for segment in segments:
        if segment in _NOT_PLAIN or any(c in segment for c in _NOT_IN_NAMES):
            raise HandleError(
                f"{handle!r}: expected {expected}, each path segment a plain name (not empty, "
                f"'.' or '..', no backslash or NUL), got the segment {segment!r}."
            )
