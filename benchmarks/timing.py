"""Interleaved timing: every path measured in the same blocks, so drift hits all alike."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np


@dataclasses.dataclass(frozen=True)
class Stats:
    """Per-call seconds over the timed blocks."""

    median: float
    p10: float
    p90: float
    blocks: int

    def to_json(self) -> dict[str, float]:
        """Returns the JSON-able form (seconds)."""
        return dataclasses.asdict(self)


def _block(fn: Callable[[], Any], number: int, sync: Callable[[Any], Any]) -> float:
    start = time.perf_counter()
    for _ in range(number):
        out = fn()
    sync(out)
    return (time.perf_counter() - start) / number


def interleaved(
    paths: Mapping[str, Callable[[], Any]],
    *,
    repeats: int = 7,
    number: int = 20,
    warmup: int = 3,
    sync: Callable[[Any], Any] = lambda out: out,
    progress: Callable[[], None] | None = None,
) -> dict[str, Stats]:
    """Times each path in `repeats` blocks of `number` calls, rotating the order per block.

    Args:
      paths: Name -> a zero-argument callable running one call.
      repeats: Timed blocks per path (median, p10 and p90 are over these).
      number: Calls per block.
      warmup: Untimed calls per path first (tracing, compilation).
      sync: Applied to a block's last output before the clock stops (e.g. block until ready).
      progress: Called after each timed block.

    Returns:
      Name -> `Stats` of seconds per call.
    """
    names = list(paths)
    for name in names:
        for _ in range(warmup):
            sync(paths[name]())
    samples: dict[str, list[float]] = {n: [] for n in names}
    for r in range(repeats):
        order = names[r % len(names):] + names[: r % len(names)]
        for name in order:
            samples[name].append(_block(paths[name], number, sync))
            if progress:
                progress()
    return {
        n: Stats(
            median=float(np.median(s)),
            p10=float(np.percentile(s, 10)),
            p90=float(np.percentile(s, 90)),
            blocks=len(s),
        )
        for n, s in samples.items()
    }


def ratios(stats: Mapping[str, Stats], baseline: str) -> dict[str, float]:
    """Median of each path divided by the baseline's median."""
    base = stats[baseline].median
    return {n: s.median / base for n, s in stats.items()}
