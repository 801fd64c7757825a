"""The Keras section of `rsm demo` and the overhead benchmark run and say what they should."""

from benchmarks import keras_overhead
from reusable_savedmodel.adapters.keras import demo


def test_demo_section(zoo_path):
    lines = []
    demo.run(zoo_path("mlp"), lines.append)
    text = "\n".join(lines)
    assert "max |layer(x) - raw(x)| = 0.00e+00" in text
    assert "one model.train_on_batch step" in text
    assert "changed 8 of 9 weights" in text  # 6 trainable + 2 moving statistics


def test_benchmark_reports_every_path():
    result = keras_overhead.run(repeats=2, number=1)
    modes = {"eager", "function"}
    for mode in modes:
        for path in ("raw", "keras_layer", "tfsm_layer", "hub_keras_layer"):
            stats = result["paths"][f"{mode}/{path}"]
            assert stats["p10_us"] <= stats["median_us"] <= stats["p90_us"]
    assert result["paths"]["eager/raw"]["ratio"] == 1.0
    assert {"predict/keras_layer", "predict/hub_keras_layer"} <= set(result["paths"])
    assert set(result["targets"]) == {"eager_within_1.10", "function_within_1.02"}
