"""Call overhead of `SonnetModule` against the raw loaded object, eager and in `tf.function`.

Run as `python -m benchmarks.sonnet_overhead [--repeats N]`; a common harness imports
`run`. All four variants are timed interleaved in one process, block by block, so that
drift (thermal, other processes) affects them alike.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from reusable_savedmodel.adapters.sonnet import SonnetModule
from reusable_savedmodel.interface import zoo

#: Calls per timed block; a block's mean is one sample.
CALLS_PER_BLOCK = 10


def _summary(samples: list[float]) -> dict[str, float]:
    seconds = np.asarray(samples)
    return {
        "median_us": float(np.median(seconds) * 1e6),
        "p10_us": float(np.percentile(seconds, 10) * 1e6),
        "p90_us": float(np.percentile(seconds, 90) * 1e6),
    }


def _time_interleaved(
    variants: dict[str, Callable[[], Any]], repeats: int
) -> dict[str, list[float]]:
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for fn in variants.values():  # warm up: traces, caches
        for _ in range(3):
            fn()
    forward = list(variants.items())
    for round_index in range(repeats):
        # Alternate the order so that no variant always runs first (warm caches, drift).
        for name, fn in forward if round_index % 2 == 0 else forward[::-1]:
            start = time.perf_counter()
            for _ in range(CALLS_PER_BLOCK):
                fn()
            samples[name].append((time.perf_counter() - start) / CALLS_PER_BLOCK)
    return samples


def run(repeats: int = 200, model: str = zoo.DEFAULT, batch: int = 8) -> dict[str, Any]:
    """Times `SonnetModule(handle)(x)` against `tf.saved_model.load(handle)(x)`.

    Args:
      repeats: Timed blocks per variant (each of `CALLS_PER_BLOCK` calls).
      model: The zoo model to export and call.
      batch: The batch size of the input.

    Returns:
      `{"model", "batch", "repeats", "calls_per_block", "eager": {...}, "function": {...}}`;
      each mode maps `"raw"` and `"sonnet"` to per-call `median_us`, `p10_us`, `p90_us`,
      `"ratio"` to sonnet median / raw median, and `"paired_ratio"` to the median over
      rounds of sonnet block time / raw block time (robust to drifting load).
    """
    with tempfile.TemporaryDirectory(prefix="rsm-bench-sonnet-") as tmp:
        handle = str(zoo.export(model, Path(tmp) / model))
        raw = tf.saved_model.load(handle)
        module = SonnetModule(handle)
        x = tf.constant(zoo.example_inputs(model, batch=batch))
        raw_function = tf.function(lambda inputs: raw(inputs))
        module_function = tf.function(lambda inputs: module(inputs))
        samples = _time_interleaved(
            {
                "eager/raw": lambda: raw(x),
                "eager/sonnet": lambda: module(x),
                "function/raw": lambda: raw_function(x),
                "function/sonnet": lambda: module_function(x),
            },
            repeats,
        )
    result: dict[str, Any] = {
        "model": model,
        "batch": batch,
        "repeats": repeats,
        "calls_per_block": CALLS_PER_BLOCK,
    }
    for mode in ("eager", "function"):
        raw_stats = _summary(samples[f"{mode}/raw"])
        module_stats = _summary(samples[f"{mode}/sonnet"])
        # Blocks of one round ran back to back, so their ratio is paired: load that
        # drifts during the run (a shared machine) cancels out of it.
        paired = np.asarray(samples[f"{mode}/sonnet"]) / np.asarray(samples[f"{mode}/raw"])
        result[mode] = {
            "raw": raw_stats,
            "sonnet": module_stats,
            "ratio": module_stats["median_us"] / raw_stats["median_us"],
            "paired_ratio": float(np.median(paired)),
        }
    return result


def main() -> None:
    """Prints `run`'s result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200, help="timed blocks per variant")
    args = parser.parse_args()
    print(json.dumps(run(repeats=args.repeats), indent=2))


if __name__ == "__main__":
    main()
