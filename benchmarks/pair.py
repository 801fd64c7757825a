"""Two paths of one model timed against each other: the check of a single missed target.

`python -m benchmarks.pair MODEL PATH_A PATH_B` starts `--processes` fresh processes (the
first path alternating between them); each builds both paths, makes `--warmup` untimed calls
of each, then alternates single calls (`--rounds` pairs). Loaders (`benchmarks.loading`)
are timed the same way with `--load`, one load per call. Prints, per process and pooled, the
median of the per-pair ratios A / B with its p25-p75 band, and each path's median.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import cli, models
from benchmarks.timing import block


def _calls(args: argparse.Namespace, path: Path) -> list[Callable[[], Any]]:
    if args.load:
        from benchmarks import loading

        return [loading.LOADERS[name](path, path.as_uri()) for name in args.paths]
    from benchmarks import paths
    from benchmarks.source import Source

    source, x = Source(path), models.inputs(args.model, args.batch)
    return [paths.PATHS[name][0](source)(x) for name in args.paths]


def _child(args: argparse.Namespace) -> int:
    path = models.export(args.model, args.directory)
    calls = _calls(args, path)
    for call in calls:
        for _ in range(args.warmup):
            block(call())
    seconds: list[list[float]] = [[], []]
    for _ in range(args.rounds):
        for i, call in enumerate(calls):
            start = time.perf_counter()
            block(call())
            seconds[i].append(time.perf_counter() - start)
    print(json.dumps(seconds))
    return 0


def ratios(seconds: list[list[float]], swapped: bool) -> np.ndarray:
    """Per-pair ratios A / B from one process's timings.

    Args:
      seconds: The process's per-call seconds, its first path's then its second's.
      swapped: Whether the process ran B first (then `seconds` is B's, then A's).

    Returns:
      A / B for each timed pair.
    """
    a, b = (np.array(s) for s in (seconds[::-1] if swapped else seconds))
    return a / b


def _band(values: np.ndarray) -> str:
    return f"{np.median(values):.3g} [{np.percentile(values, 25):.3g}-{np.percentile(values, 75):.3g}]"


def _parent(args: argparse.Namespace) -> int:
    pooled = []
    with tempfile.TemporaryDirectory() as scratch:
        directory = args.directory or Path(scratch)
        for process in range(args.processes):
            order = args.paths if process % 2 == 0 else args.paths[::-1]
            command = [sys.executable, "-m", "benchmarks.pair", args.model, *order, "--child", "--directory", str(directory)]
            command += [f"--{name}={getattr(args, name)}" for name in ("batch", "rounds", "warmup")] + ["--load"] * args.load
            seconds = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout.splitlines()[-1])
            pairs = ratios(seconds, swapped=process % 2 == 1)
            pooled.append(pairs)
            medians = " ".join(f"{name} {np.median(s) * 1e3:.4g} ms;" for name, s in zip(order, seconds, strict=True))
            print(f"process {process} ({order[0]} first): A/B {_band(pairs)}; {medians}")
    print(f"pooled A/B = {args.paths[0]} / {args.paths[1]}: {_band(np.concatenate(pooled))}")
    return 0


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", choices=list(models.SHAPES))
    parser.add_argument("paths", nargs=2, metavar="PATH", help="two names of benchmarks.paths.PATHS (or, with --load, of loading.LOADERS)")
    parser.add_argument("--load", action="store_true", help="time loaders instead of call paths")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=30, help="timed pairs per process")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls per path first")
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--directory", type=Path, help="where the SavedModels are (exported there if absent; default: a temporary one)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)


main = cli.command(
    "python -m benchmarks.pair", __doc__ or "", _arguments, lambda a: _child(a) if a.child else _parent(a), uses_tensorflow=lambda a: True
)

if __name__ == "__main__":
    sys.exit(main())
