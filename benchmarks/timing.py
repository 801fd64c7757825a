"""Interleaved timing: every path is timed once per round, so drift hits all paths alike."""

from __future__ import annotations

import dataclasses
import gc
import time
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np


@dataclasses.dataclass(frozen=True)
class Settings:
    """How long to time.

    Attributes:
      repeats: Most timed blocks (rounds) per path.
      min_repeats: Fewest rounds, whatever the budget.
      max_number: Most calls per block.
      block_s: Seconds a block aims at (fast paths get more calls per block).
      budget_s: Seconds the rounds aim at, all paths together; fewer rounds for slow models.
      warmup: Untimed calls per path before calibration (tracing, compilation).
      collect_garbage: Run the cycle collector (untimed) before every timed block. For
        loads: each loaded object leaves thousands of objects in reference cycles, and a
        collection that an allocation happens to trigger would charge one load with the
        garbage of the loads before it (measured on BERT-small: loads of every kind at
        1.4-1.6 s, spread 1.1-2.0 s, against 1.16-1.18 s each with a collection between).
    """

    repeats: int = 25
    min_repeats: int = 5
    max_number: int = 50
    block_s: float = 0.02
    budget_s: float = 10.0
    warmup: int = 1
    collect_garbage: bool = False


@dataclasses.dataclass(frozen=True)
class Stats:
    """Per-call seconds of one path over its timed blocks."""

    median: float
    p10: float
    p90: float
    calls_per_block: int
    samples: tuple[float, ...]

    @classmethod
    def of(cls, samples: list[float], calls_per_block: int) -> Stats:
        """Summarizes per-call seconds, one sample per block.

        Args:
          samples: Per-call seconds of each block, in round order.
          calls_per_block: Calls each block made.

        Returns:
          The statistics.
        """
        return cls(
            median=float(np.median(samples)),
            p10=float(np.percentile(samples, 10)),
            p90=float(np.percentile(samples, 90)),
            calls_per_block=calls_per_block,
            samples=tuple(samples),
        )

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Stats:
        """Reads what `to_json` wrote.

        Args:
          data: The JSON form.

        Returns:
          The statistics.
        """
        return cls(**{**data, "samples": tuple(data["samples"])})

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON-able form (seconds)."""
        return {**dataclasses.asdict(self), "samples": list(self.samples)}


def block(out: Any) -> Any:
    """Waits for asynchronous results (JAX arrays) anywhere in a nest of outputs.

    Args:
      out: What a call returned.

    Returns:
      `out`.
    """
    if hasattr(out, "block_until_ready"):
        out.block_until_ready()
    elif isinstance(out, Mapping):
        for value in out.values():
            block(value)
    elif isinstance(out, (list, tuple)):
        for value in out:
            block(value)
    return out


def _per_call(fn: Callable[[], Any], number: int) -> float:
    start = time.perf_counter()
    for _ in range(number):
        out = fn()
    block(out)
    return (time.perf_counter() - start) / number


def interleaved(
    paths: Mapping[str, Callable[[], Any]],
    settings: Settings,
    progress: Callable[[float], None] | None = None,
) -> dict[str, Stats]:
    """Times each path in rounds of one block per path, rotating the order every round.

    Each path first runs `settings.warmup` untimed calls, then one call that sets its calls
    per block (about `block_s` long); the rounds are as many as fit `budget_s`, within
    `min_repeats`..`repeats`.

    Args:
      paths: Name -> a zero-argument callable making one call.
      settings: How long to time.
      progress: Called after each timed block with the share of the work it was.

    Returns:
      Name -> `Stats` of seconds per call. The i-th samples of all paths come from the
      same round, so their ratios are paired (see `paired_ratio`).
    """
    names = list(paths)
    numbers, round_s = {}, 0.0
    for name in names:
        for _ in range(settings.warmup):
            block(paths[name]())
        once = _per_call(paths[name], 1)
        numbers[name] = max(1, min(settings.max_number, int(settings.block_s / once)))
        round_s += once * numbers[name]
    repeats = max(settings.min_repeats, min(settings.repeats, int(settings.budget_s / max(round_s, 1e-9))))
    samples: dict[str, list[float]] = {n: [] for n in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[: r % len(names)]:
            if settings.collect_garbage:
                gc.collect()
            samples[name].append(_per_call(paths[name], numbers[name]))
            if progress:
                progress(1 / (repeats * len(names)))
    return {n: Stats.of(s, numbers[n]) for n, s in samples.items()}


def paired_ratio(path: Stats, reference: Stats) -> float:
    """Median over rounds of `path`'s block time over `reference`'s in the same round.

    Load that drifts during a run (a shared machine) cancels out of it.

    Args:
      path: The statistics of the path.
      reference: Those of the reference, from the same `interleaved` call.

    Returns:
      The median of the per-round ratios.
    """
    return float(np.median(np.divide(path.samples, reference.samples)))


def paired_band(path: Stats, reference: Stats) -> tuple[float, float]:
    """The interquartile band (25th and 75th percentiles) of the per-round ratios.

    Args:
      path: The statistics of the path.
      reference: Those of the reference, from the same `interleaved` call.

    Returns:
      (p25, p75) of `path`'s block time over `reference`'s in the same round.
    """
    low, high = np.percentile(np.divide(path.samples, reference.samples), [25, 75])
    return float(low), float(high)
