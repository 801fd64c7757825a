"""The Sonnet demo section and the overhead benchmark run and say what they should."""

import importlib

from benchmarks import sonnet_overhead


def test_the_demo_section_wraps_trains_and_compares(zoo_path):
    lines = []
    demo = importlib.import_module("reusable_savedmodel.adapters.sonnet.demo")
    demo.run(zoo_path("mlp"), lines.append)
    text = "\n".join(lines)
    assert "SonnetModule(name='sonnet_module'" in text
    assert "max |module(x) - raw(x)| = 0.00e+00" in text
    # 6 trainable variables and 2 batch-norm moving statistics; input_scale is curated out.
    assert "changed 8 of 9 variables" in text


def test_the_benchmark_reports_both_modes():
    result = sonnet_overhead.run(repeats=3)
    for mode in ("eager", "function"):
        stats = result[mode]
        for variant in ("raw", "sonnet"):
            assert (
                0
                < stats[variant]["p10_us"]
                <= stats[variant]["median_us"]
                <= stats[variant]["p90_us"]
            )
        assert stats["ratio"] == stats["sonnet"]["median_us"] / stats["raw"]["median_us"]
        assert stats["paired_ratio"] > 0
