"""The benchmark harness times the Sonnet paths against the raw call, eager and in tf.function."""

import math
from pathlib import Path

from benchmarks import paths, suite, timing
from benchmarks.source import Source


def test_the_harness_times_sonnet_against_the_raw_call_eager_and_in_tf_function(zoo_path):
    names = [paths.BASELINE, "raw in tf.function", "SonnetModule eager", "SonnetModule tf.function"]
    builders = {name: paths.PATHS[name][0] for name in names}
    settings = timing.Settings(repeats=3, min_repeats=3, max_number=2, budget_s=0)
    rows = suite.call_overhead(
        ["tiny_mlp"], lambda model: Source(Path(zoo_path("mlp"))), builders, [paths.BASELINE], [1, 4], settings
    )
    assert [(r["batch"], r["path"]) for r in rows] == [(b, n) for b in (1, 4) for n in names]
    for row in rows:
        assert row["error"] is None and row["baseline"] == paths.BASELINE
        assert len(row["stats"]["samples"]) == 3
        assert math.isfinite(row["ratio"]) and row["ratio"] > 0 and row["paired_ratio"] > 0
    assert all(r["ratio"] == 1.0 for r in rows if r["path"] == paths.BASELINE)
