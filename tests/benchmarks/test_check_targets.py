"""benchmarks.check: verdicts by the paired ratios' band, and every target on hand-made results."""

import pytest

from benchmarks import check, first_result, keras_jax, memory, models, paths
from benchmarks.check import Outcome


@pytest.mark.parametrize(
    ("low", "high", "outcome"),
    [(0.90, 1.04, Outcome.MET), (1.00, 1.05, Outcome.MET), (1.06, 1.20, Outcome.MISSED), (0.98, 1.10, Outcome.INCONCLUSIVE)],
)
def test_a_target_is_decided_by_the_whole_band(low, high, outcome):
    assert check.decide(low, high, 1.05) is outcome


def test_an_inconclusive_verdict_says_that_the_band_straddles():
    target = check.Target("Piece", "raw obj(x)", 1.05)
    assert str(check.Verdict(target, "m batch 1", Outcome.INCONCLUSIVE, "x")).startswith("INCONCLUSIVE (band straddles) Piece")


def _memory(model, peaks, held_detached, weights=64.0):
    """Peak MiB added per consumer, given as multiples of the weights over loading alone (72 MiB)."""
    added = {memory.BASELINE: 72.0, **{k: 72.0 + weights * v for k, v in peaks.items()}}
    return {"model": model, "weights_mib": weights, "baseline": memory.BASELINE, "added_mib": added,
            "steady_mib": {**{k: 1.0 for k in added}, memory.DETACHED: weights * held_detached}}


def test_memory_targets_count_in_weights_per_model():
    shared = {"rsm.load": 0.0, "KerasLayer": 0.05, "SonnetModule": 0.0, "to_jax": 1.19, "FlaxModule": 1.1}
    over = {"rsm.load": 0.0, "KerasLayer": 1.0, "SonnetModule": 0.0, "to_jax": 1.25, "FlaxModule": 1.3}
    verdicts = check._memory_verdicts([_memory("wide_mlp", shared, 1.05), _memory(models.BERT_MODEL, over, 1.2)])
    by = {(v.case.split()[0], v.target.path): v for v in verdicts}
    assert len(verdicts) == 2 * len(check.MEMORY_TARGETS)
    assert {v.outcome for v in verdicts if v.case.startswith("wide_mlp")} == {Outcome.MET}
    assert [by[models.BERT_MODEL, t.path].outcome for t in check.MEMORY_TARGETS] == [
        Outcome.MET, Outcome.MISSED, Outcome.MET, Outcome.MISSED, Outcome.MISSED, Outcome.MISSED
    ]
    assert "1.19x the weights over loading alone" in by["wide_mlp", "to_jax (peak)"].figures
    assert {v.outcome for v in check._memory_verdicts(None)} == {Outcome.NOT_MEASURED}


def test_first_output_targets_compare_with_tf2jax_by_hand_on_each_model():
    seconds = {first_result.BASELINE: 2.0, "Piece": 1.0, "KerasLayer": 2.4, "SonnetModule": 2.5,
               "to_jax": 2.2, "FlaxModule": 3.0}
    runs = [{"model": m, "batch": 1, "baseline": first_result.BASELINE, "seconds": seconds} for m in ("mobilenet_v2", models.BERT_MODEL)]
    verdicts = check._first_result_verdicts(runs)
    assert [(v.target.path, v.outcome) for v in verdicts[:5]] == [
        ("Piece first output", Outcome.MET), ("KerasLayer first output", Outcome.MET),
        ("SonnetModule first output", Outcome.MISSED), ("to_jax first output", Outcome.MET),
        ("FlaxModule first output", Outcome.MISSED),
    ]
    assert verdicts[4].figures.startswith("1.50x") and verdicts[9].case == f"{models.BERT_MODEL} batch 1"


def _stats(samples):
    return {"median": float(sorted(samples)[len(samples) // 2]), "p10": min(samples), "p90": max(samples),
            "calls_per_block": 1, "samples": list(samples)}


def _row(model, batch, path, samples):
    return {"model": model, "batch": batch, "path": path, "stats": _stats(samples)}


def test_keras_on_jax_targets_compare_each_keras_layer_path_with_its_native_path():
    times = {"eager": ([1.09] * 3, [1.0] * 3), "predict": ([1.2] * 3, [1.0] * 3), "step": ([2.0, 2.5, 1.9], [2.0] * 3)}
    rows = [_row(keras_jax.MODEL, 1, path, times[path.split()[-2]][i]) for pair in keras_jax.PAIRS for i, path in enumerate(pair)]
    verdicts = [v for v in check.evaluate({"call": [], "keras_jax": rows}, None) if v.target in check.KERAS_JAX_TARGETS]
    assert [(v.target.path, v.case, v.outcome) for v in verdicts] == [
        ("KerasLayer eager (JAX)", "keras_mlp batch 1", Outcome.MET),
        ("KerasLayer predict (JAX)", "keras_mlp batch 1", Outcome.MISSED),
        ("KerasLayer step (JAX)", "keras_mlp batch 1", Outcome.INCONCLUSIVE),  # ratios 1.0, 1.25, 0.95: band 0.975-1.125
    ]
    assert verdicts[1].figures.startswith("paired 1.200x, band 1.200-1.200")
    unmeasured = [v for v in check.evaluate({"call": []}, None) if v.target in check.KERAS_JAX_TARGETS]
    assert {v.outcome for v in unmeasured} == {Outcome.NOT_MEASURED}


def test_every_real_model_is_checked_against_each_anchor_by_its_band():
    # Per-round times: the reference takes 1.0; KerasLayer's step 1.0, 1.1, 1.2, 1.0 in turn.
    rows = [_row(models.BERT_MODEL, 1, path, samples)
            for path, samples in (("raw step (tape)", [1.0] * 4), ("KerasLayer step (tape)", [1.0, 1.1, 1.2, 1.0]),
                                  ("hub.KerasLayer step (tape)", [1.2] * 4), ("keras TFSMLayer step (tape)", [0.9] * 4))]
    verdicts = [v for v in check.evaluate({"call": []}, None, real={"call": rows}) if v.target in check.REAL_MODEL_TARGETS]
    assert {v.case for v in verdicts} == {f"{models.BERT_MODEL} batch 1", *(m for m in models.REAL_MODELS if m != models.BERT_MODEL)}
    by = {(v.case, v.target.path, v.target.reference): v for v in verdicts}
    case = f"{models.BERT_MODEL} batch 1"
    assert by[case, "KerasLayer step (tape)", "raw step (tape)"].outcome is Outcome.INCONCLUSIVE  # band 1.0-1.125
    assert "band 1.000-1.125" in by[case, "KerasLayer step (tape)", "raw step (tape)"].figures
    assert by[case, "KerasLayer step (tape)", "hub.KerasLayer step (tape)"].outcome is Outcome.MET
    assert by[case, "KerasLayer step (tape)", "keras TFSMLayer step (tape)"].outcome is Outcome.MISSED
    assert by[case, "Piece step (tape)", "raw step (tape)"].outcome is Outcome.NOT_MEASURED
    unmeasured = by[models.RESNET_MODEL, "KerasLayer step (tape)", "raw step (tape)"]
    assert unmeasured.outcome is Outcome.NOT_MEASURED and "--real" in unmeasured.figures


def test_the_real_models_targets_read_the_default_run_when_there_is_no_real_run():
    rows = [_row(models.REAL_MODEL, 1, "raw obj(x)", [1.0] * 3), _row(models.REAL_MODEL, 1, "Piece", [0.5] * 3)]
    [verdict] = [v for v in check.evaluate({"call": rows}, None)
                 if (v.target.path, v.target.reference) == ("Piece", "raw obj(x)") and v.target in check.REAL_MODEL_TARGETS
                 and v.case.startswith(models.REAL_MODEL)]
    assert verdict.outcome is Outcome.MET


def test_every_target_names_registered_paths_and_loaders():
    """A renamed path would leave its target forever 'not measured'."""
    from benchmarks import loading

    for target in (*check.CALL_TARGETS, *check.REAL_MODEL_TARGETS):
        assert {target.path, target.reference} <= set(paths.PATHS), target
    for target in (*check.LOAD_TARGETS, *check.REAL_MODEL_LOAD_TARGETS):
        assert {target.path, target.reference} <= set(loading.LOADERS), target


def test_native_networks_run_on_their_model_only_and_real_models_get_every_adapter():
    assert set(paths.NATIVE_PATHS) <= set(paths.for_model(models.NATIVE_MODEL))
    for model in models.REAL_MODELS:
        names = set(paths.for_model(model))
        assert not names & set(paths.NATIVE_PATHS) and not names & paths.NOT_ON_REAL_MODELS
        assert {t.path for t in check.REAL_MODEL_TARGETS} | {t.reference for t in check.REAL_MODEL_TARGETS} <= names
