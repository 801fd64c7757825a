"""Bounds on what fetching a remote model may cost: bytes, members, ratio, time.

Each bound has a default that fits any real hub model, can be set for the whole process
with an environment variable, and overridden per call by keyword:

| bound | default | variable |
|---|---|---|
| bytes an archive may unpack to | 8 GiB | `RSM_MAX_EXTRACT_BYTES` |
| members an archive may hold | 100,000 | `RSM_MAX_EXTRACT_MEMBERS` |
| unpacked / packed size (above 64 MiB unpacked) | 1,000 | `RSM_MAX_COMPRESSION_RATIO` |
| bytes a download may bring | 8 GiB | `RSM_MAX_DOWNLOAD_BYTES` |
| seconds a download may take, all attempts | 3,600 | `RSM_DOWNLOAD_DEADLINE` |
| seconds to wait for another process's download | 3,900 | `RSM_LOCK_TIMEOUT` |
"""

from __future__ import annotations

import dataclasses
import os

from reusable_savedmodel.interface._errors import HandleError

GIB = 1 << 30

#: Variable name -> default, for every bound.
DEFAULTS: dict[str, float] = {
    "RSM_MAX_EXTRACT_BYTES": 8 * GIB,
    "RSM_MAX_EXTRACT_MEMBERS": 100_000,
    "RSM_MAX_COMPRESSION_RATIO": 1_000,
    "RSM_MAX_DOWNLOAD_BYTES": 8 * GIB,
    "RSM_DOWNLOAD_DEADLINE": 3_600,
    "RSM_LOCK_TIMEOUT": 3_900,
}
#: Below this many unpacked bytes the compression ratio is not checked (small text compresses well).
RATIO_FLOOR = 64 << 20


def setting(variable: str, override: float | None = None) -> float:
    """The bound named by `variable`: the override, else the environment, else the default.

    Args:
      variable: One of `DEFAULTS`.
      override: A value given by keyword (None: not given).

    Returns:
      The bound, a positive number.

    Raises:
      HandleError: if the value is not a positive number (the message names the variable).
    """
    raw = override if override is not None else os.environ.get(variable, DEFAULTS[variable])
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = float("nan")
    if not value > 0:
        raise HandleError(f"{variable}: expected a positive number, got {raw!r}.")
    return value


@dataclasses.dataclass(frozen=True)
class ExtractLimits:
    """How much one archive may unpack to.

    Attributes:
      max_bytes: Total bytes of all members.
      max_members: Number of members (files, directories, links).
      max_ratio: Unpacked bytes per packed byte, checked above `RATIO_FLOOR` unpacked bytes.
    """

    max_bytes: int
    max_members: int
    max_ratio: float

    @classmethod
    def resolve(
        cls,
        max_bytes: int | None = None,
        max_members: int | None = None,
        max_ratio: float | None = None,
    ) -> ExtractLimits:
        """The limits: keywords first, then `RSM_MAX_EXTRACT_*` variables, then defaults."""
        return cls(
            max_bytes=int(setting("RSM_MAX_EXTRACT_BYTES", max_bytes)),
            max_members=int(setting("RSM_MAX_EXTRACT_MEMBERS", max_members)),
            max_ratio=setting("RSM_MAX_COMPRESSION_RATIO", max_ratio),
        )
