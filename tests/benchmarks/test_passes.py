"""benchmarks.passes: each model's paths timed in fresh processes, alternating order, rounds pooled."""

import dataclasses

import pytest

from benchmarks import models, passes, paths, timing


def _run(batch, per_round, blocks=1, error=None):
    """One pass's rows: path -> per-round seconds (None: the path failed)."""
    return [
        {"model": "m", "batch": batch, "path": path,
         "stats": None if samples is None else timing.Stats.of(samples, blocks).to_json(),
         "error": error if samples is None else None}
        for path, samples in per_round.items()
    ]


def test_odd_passes_reverse_the_order_and_share_the_rounds_and_budget():
    assert passes.order(["a", "b", "c"], 0) == ["a", "b", "c"] and passes.order(["a", "b", "c"], 1) == ["c", "b", "a"]
    share = passes.per_pass(timing.Settings(repeats=25, min_repeats=5, budget_s=10.0), 2)
    assert (share.repeats, share.min_repeats, share.budget_s) == (13, 3, 5.0)


def test_pooled_rounds_stay_paired_and_a_path_failing_in_any_pass_is_reported_failed():
    first = _run(1, {"raw": [1.0, 2.0], "fast": [0.5, 1.0], "flaky": [1.0, 1.0]})
    second = _run(1, {"flaky": None, "fast": [4.0, 6.0], "raw": [8.0, 12.0]}, error="RuntimeError: boom")
    rows = passes.pooled(["raw", "fast", "flaky"], [first, second], ["raw"])
    by = {r["path"]: r for r in rows}
    assert [r["path"] for r in rows] == ["raw", "fast", "flaky"]
    assert by["fast"]["stats"]["samples"] == [0.5, 1.0, 4.0, 6.0]
    # Every round's ratio is 0.5 (0.5/1, 1/2, 4/8, 6/12), though the medians' ratio is not.
    assert by["fast"]["paired_ratio"] == 0.5 and by["fast"]["paired_band"] == [0.5, 0.5]
    assert by["raw"]["paired_ratio"] == 1.0 and {r["baseline"] for r in rows} == {"raw"}
    assert by["flaky"]["stats"] is None and by["flaky"]["error"] == "RuntimeError: boom"


@pytest.mark.slow  # starts two TensorFlow interpreters
def test_a_model_runs_end_to_end_in_two_fresh_processes(tmp_path):
    models.export("tiny_mlp", tmp_path)
    names = [paths.BASELINE, "Piece"]
    settings = dataclasses.replace(timing.Settings(), repeats=4, min_repeats=4, max_number=2, budget_s=0)
    rows = passes.call_rows("tiny_mlp", tmp_path, names, [paths.BASELINE], [2], settings, passes=2)
    assert [(r["model"], r["batch"], r["path"], r["error"]) for r in rows] == [("tiny_mlp", 2, n, None) for n in names]
    assert all(len(r["stats"]["samples"]) == 4 for r in rows)  # two rounds from each pass
    assert rows[0]["paired_ratio"] == 1.0 and rows[1]["paired_ratio"] > 0
