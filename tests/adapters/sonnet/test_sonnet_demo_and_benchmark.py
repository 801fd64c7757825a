"""The Sonnet demo section and the benchmark harness's Sonnet paths run and say what they should."""

import importlib
import math
from pathlib import Path

from benchmarks import paths, suite, timing
from benchmarks.source import Source


def test_the_demo_section_wraps_trains_and_compares(zoo_path):
    lines = []
    demo = importlib.import_module("reusable_savedmodel.adapters.sonnet.demo")
    demo.run(zoo_path("mlp"), lines.append)
    text = "\n".join(lines)
    assert "SonnetModule(name='sonnet_module'" in text
    assert "max |module(x) - raw(x)| = 0.00e+00" in text
    # 6 trainable variables and 2 batch-norm moving statistics; input_scale is curated out.
    assert "changed 8 of 9 variables" in text


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
