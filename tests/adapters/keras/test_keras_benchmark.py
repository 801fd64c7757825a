"""The benchmark harness runs every Keras path and loader and writes its files."""

import json
import math

from benchmarks import check, keras_jax, loading, paths, readme, run


def _positive(value):
    return isinstance(value, float) and math.isfinite(value) and value > 0


def test_the_harness_times_every_path_and_loader_and_writes_its_files(tmp_path):
    # keras_mlp: the model every path (native networks and training steps included) runs on.
    argv = ["--models", "keras_mlp", "--batches", "2", "--repeats", "2", "--min-repeats", "2",
            "--number", "2", "--budget", "0", "--load-models", "keras_mlp", "--load-budget", "0",
            "--no-memory", "--no-first-result", "--out", str(tmp_path)]
    assert run.main(argv) == 0
    assert {p.name for p in tmp_path.iterdir()} == {"latest.json", "latest.md", "latest.png"}
    results = json.loads((tmp_path / "latest.json").read_text())
    assert {"date", "command", "machine", "settings", "call", "load"} <= set(results)
    assert results["machine"]["cores"] >= 1 and results["machine"]["versions"]["tensorflow"]

    assert [r["path"] for r in results["call"]] == list(paths.PATHS)
    assert [r["path"] for r in results["load"]] == list(loading.LOADERS)
    for row in results["call"] + results["load"]:
        assert row["error"] is None, row
        assert _positive(row["ratio"]) and _positive(row["paired_ratio"]), row
        assert row["stats"]["p10"] <= row["stats"]["median"] <= row["stats"]["p90"]
    # Keras on JAX, in its child process: each KerasLayer path beside its native one.
    jax_paths = [path for pair in keras_jax.PAIRS for path in pair]
    assert [(r["batch"], r["path"]) for r in results["keras_jax"]] == [(2, p) for p in jax_paths]
    natives = dict(keras_jax.PAIRS)
    for row in results["keras_jax"]:
        assert row["error"] is None, row
        assert row["baseline"] == natives.get(row["path"], row["path"]), row
        assert _positive(row["ratio"]) and _positive(row["paired_ratio"]), row
    markdown = (tmp_path / "latest.md").read_text()
    assert all(f"| {name} |" in markdown for name in [*paths.PATHS, *jax_paths])

    verdicts = check.report(tmp_path / "latest.json")
    unmeasured = {*check.GPU_TARGETS, *check.MEMORY_TARGETS, *check.FIRST_RESULT_TARGETS,
                  *check.REAL_MODEL_TARGETS, *check.REAL_MODEL_LOAD_TARGETS,
                  check.SCAN_TARGET}  # scan speed is its own run (benchmarks.scan_speed)
    measured = {*check.CALL_TARGETS, *check.KERAS_JAX_TARGETS, *check.LOAD_TARGETS}
    assert {v.target for v in verdicts} == {*measured, *unmeasured}
    assert all(v.outcome is check.Outcome.NOT_MEASURED for v in verdicts if v.target in unmeasured)
    assert all(v.outcome is not check.Outcome.NOT_MEASURED for v in verdicts if v.target not in unmeasured)

    block = readme.block(results, None, verdicts)
    text = readme.replace_block(f"a\n{readme.START}\nold\n{readme.END}\nb\n", block)
    assert text.startswith(f"a\n{readme.START}\n") and text.endswith(f"{readme.END}\nb\n")
    assert "old" not in text and "![" in text and ("MET" in text or "MISSED" in text)
