"""Call timing in fresh processes: each model's paths timed in passes, each pass a new interpreter.

A pass times every path on one model (and every batch size) interleaved, as
`suite.call_overhead` does; odd passes take the paths in reverse order, so no path always
runs first after building (or right after the most expensive one). The passes' rounds are
pooled: every path has the same number of rounds in a pass, so the i-th samples of two paths
still come from the same round and their ratios stay paired. A fresh process per pass keeps
one model's allocations, caches and compiled code out of another's timings.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import suite, timing

ROOT = Path(__file__).parents[1]


def order(names: Sequence[str], index: int) -> list[str]:
    """The path order of pass `index`: as given on even passes, reversed on odd ones."""
    return list(names) if index % 2 == 0 else list(reversed(names))


def per_pass(settings: timing.Settings, passes: int) -> timing.Settings:
    """`settings` shared among `passes` passes: each gets its share of the rounds and budget."""
    return dataclasses.replace(
        settings,
        repeats=math.ceil(settings.repeats / passes),
        min_repeats=math.ceil(settings.min_repeats / passes),
        budget_s=settings.budget_s / passes,
    )


def pooled(names: Sequence[str], runs: Sequence[list[dict[str, Any]]], baselines: Sequence[str]) -> list[dict[str, Any]]:
    """One model's rows from several passes, their samples pooled round by round.

    A path that failed in any pass is reported with that pass's error: its samples would not
    pair with the others' rounds.

    Args:
      names: The paths, in report order.
      runs: Each pass's rows (`suite.call_overhead`'s, one model, any batch sizes).
      baselines: Candidate baselines, in preference order.

    Returns:
      Rows as `suite.call_overhead` makes them, in `names` order per batch.
    """
    rows = []
    for batch in dict.fromkeys(r["batch"] for run in runs for r in run):
        samples: dict[str, list[float]] = {name: [] for name in names}
        blocks, errors = {}, {}
        for run in runs:
            for row in (r for r in run if r["batch"] == batch):
                if row["stats"] is None:
                    errors.setdefault(row["path"], row["error"])
                else:
                    samples[row["path"]] += row["stats"]["samples"]
                    blocks.setdefault(row["path"], row["stats"]["calls_per_block"])
        stats = {n: timing.Stats.of(s, blocks[n]) for n, s in samples.items() if s and n not in errors}
        model = runs[0][0]["model"]
        rows += [{"model": model, "batch": batch, **row} for row in suite.rows_of(names, stats, errors, baselines)]
    return rows


def call_rows(
    model: str, workdir: Path, names: Sequence[str], baselines: Sequence[str], batches: Sequence[int],
    settings: timing.Settings, passes: int,
) -> list[dict[str, Any]]:
    """Times `names` on `model` in `passes` fresh processes and pools them.

    Args:
      model: The model; its SavedModel is `workdir / model` (exported already).
      workdir: Where the models were exported.
      names: Paths (keys of `paths.PATHS`), in report order.
      baselines: Candidate baselines, in preference order.
      batches: Batch sizes.
      settings: How long to time, all passes together.
      passes: How many processes.

    Returns:
      Rows as `suite.call_overhead` makes them.

    Raises:
      subprocess.CalledProcessError: if a pass's process fails (its errors went to stderr).
    """
    share = per_pass(settings, passes)
    runs = []
    for index in range(passes):
        argv = [str(workdir / model), json.dumps(order(names, index)), json.dumps(list(baselines)),
                json.dumps(list(batches)), json.dumps(dataclasses.asdict(share))]
        done = subprocess.run([sys.executable, "-m", __name__, *argv], stdout=subprocess.PIPE, text=True, check=True, cwd=ROOT)
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return pooled(names, runs, baselines)


def _pass(path: Path, names: list[str], baselines: list[str], batches: list[int], settings: timing.Settings) -> list[dict[str, Any]]:
    """One pass, in this process: `names` in the order given."""
    from benchmarks import paths
    from benchmarks.source import Source

    builders = {name: paths.PATHS[name][0] for name in names}
    return suite.call_overhead([path.name], lambda _: Source(path), builders, baselines, batches, settings)


if __name__ == "__main__":
    from reusable_savedmodel.adapters.cli._quiet import QUIET_ENVIRONMENT, quiet_frameworks

    if all(os.environ.get(k) == v for k, v in QUIET_ENVIRONMENT.items()):  # the parent is quiet (no --verbose)
        quiet_frameworks()
    print(json.dumps(_pass(Path(sys.argv[1]), *map(json.loads, sys.argv[2:5]), timing.Settings(**json.loads(sys.argv[5])))))
