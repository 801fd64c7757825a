"""Per-call time of `to_jax` + `jax.jit(apply)` against the raw TF eager call, `jax2tf.call_tf`
under `jax.jit`, and tf2jax by hand, on the zoo MLP (inference).

Run as `python -m benchmarks.jax_overhead [--repeats N]`; a common harness imports `run`.
All paths are timed interleaved in one process, block by block, so that drift affects
them alike; JAX results are waited for (`block_until_ready`) inside each block.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jax
import numpy as np
import tensorflow as tf
import tf2jax
from jax.experimental import jax2tf

from reusable_savedmodel.adapters.jax import to_jax
from reusable_savedmodel.interface import zoo

#: Calls per timed block; a block's mean is one sample.
CALLS_PER_BLOCK = 20
BASELINE = "tf_eager"


def _summary(samples: list[float]) -> dict[str, float]:
    seconds = np.asarray(samples)
    return {
        "median_us": float(np.median(seconds) * 1e6),
        "p10_us": float(np.percentile(seconds, 10) * 1e6),
        "p90_us": float(np.percentile(seconds, 90) * 1e6),
    }


def _wait(out: Any) -> None:
    for leaf in jax.tree_util.tree_leaves(out):
        if hasattr(leaf, "block_until_ready"):
            leaf.block_until_ready()


def _time_interleaved(paths: dict[str, Callable[[], Any]], repeats: int) -> dict[str, list[float]]:
    names = list(paths)
    for fn in paths.values():  # warm up: traces, compilation
        for _ in range(3):
            _wait(fn())
    samples: dict[str, list[float]] = {n: [] for n in names}
    for r in range(repeats):
        for name in names[r % len(names):] + names[: r % len(names)]:
            start = time.perf_counter()
            for _ in range(CALLS_PER_BLOCK):
                out = paths[name]()
            _wait(out)
            samples[name].append((time.perf_counter() - start) / CALLS_PER_BLOCK)
    return samples


def _paths(handle: str, x: np.ndarray) -> dict[str, Callable[[], Any]]:
    raw = tf.saved_model.load(handle)
    xt, xj = tf.constant(x), jax.numpy.asarray(x)
    jp = to_jax(handle)
    applied = jax.jit(lambda p, s, v: jp.apply(p, s, v)[0])
    call_tf = jax.jit(jax2tf.call_tf(lambda v: raw(v)))
    fn, params = tf2jax.convert(tf.function(lambda v: raw(v, training=False)), np.zeros_like(x))
    by_hand = jax.jit(lambda p, v: fn(p, v)[0])
    return {
        BASELINE: lambda: raw(xt),
        "to_jax_jit": lambda: applied(jp.params, jp.state, xj),
        "call_tf_jit": lambda: call_tf(xj),
        "tf2jax_by_hand_jit": lambda: by_hand(params, xj),
    }


def run(repeats: int = 100, model: str = zoo.DEFAULT, batch: int = 8) -> dict[str, Any]:
    """Times every path on `model` and reports medians, p10/p90 and ratios to raw TF eager.

    Args:
      repeats: Timed blocks per path (each of `CALLS_PER_BLOCK` calls).
      model: The zoo model to export and call.
      batch: The batch size of the input.

    Returns:
      `{"model", "batch", "repeats", "calls_per_block", "device", "baseline", "paths":
      {name: {"median_us", "p10_us", "p90_us", "ratio"}}, "target": {...}}`; `ratio` is
      the path's median over the raw TF eager median; `target` checks to_jax_jit ≤ 0.5×.
    """
    with tempfile.TemporaryDirectory(prefix="rsm-bench-jax-") as tmp:
        handle = str(zoo.export(model, Path(tmp) / model))
        samples = _time_interleaved(_paths(handle, zoo.example_inputs(model, batch=batch)), repeats)
    stats = {name: _summary(s) for name, s in samples.items()}
    base = stats[BASELINE]["median_us"]
    for s in stats.values():
        s["ratio"] = s["median_us"] / base
    ratio = stats["to_jax_jit"]["ratio"]
    return {
        "model": model,
        "batch": batch,
        "repeats": repeats,
        "calls_per_block": CALLS_PER_BLOCK,
        "device": jax.devices()[0].platform,
        "baseline": BASELINE,
        "paths": stats,
        "target": {"path": "to_jax_jit", "max_ratio": 0.5, "ratio": ratio, "met": ratio <= 0.5},
    }


def main() -> None:
    """Prints `run`'s result as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=100, help="timed blocks per path")
    args = parser.parse_args()
    print(json.dumps(run(repeats=args.repeats), indent=2))


if __name__ == "__main__":
    main()
