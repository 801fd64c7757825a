"""The JAX and Flax demo sections and the JAX overhead benchmark run and say what they should."""

import importlib

from benchmarks import jax_overhead


def _run(module: str, handle: str) -> str:
    lines: list[str] = []
    importlib.import_module(module).run(handle, lines.append)
    return "\n".join(lines)


def test_the_jax_demo_converts_trains_and_compares(zoo_path):
    text = _run("reusable_savedmodel.adapters.jax.demo", zoo_path("mlp"))
    assert "max |jit(apply)(x) - TF(x)| = " in text
    assert "one optax.adam step" in text and "encoder/batch_norm/moving_mean" in text


def test_the_flax_demo_wraps_trains_and_compares(zoo_path):
    text = _run("reusable_savedmodel.adapters.flax.demo", zoo_path("mlp"))
    assert "FlaxModule: 6 nnx.Param, 3 nnx.BatchStat" in text
    assert "batch stats moved: encoder/batch_norm/moving_mean" in text


def test_the_benchmark_reports_every_path_against_tf():
    result = jax_overhead.run(repeats=3)
    assert set(result["paths"]) == {"tf_eager", "to_jax_jit", "call_tf_jit", "tf2jax_by_hand_jit"}
    assert result["paths"]["tf_eager"]["ratio"] == 1.0
    for stats in result["paths"].values():
        assert stats["p10_us"] <= stats["median_us"] <= stats["p90_us"]
    assert result["target"]["path"] == "to_jax_jit"
