"""benchmarks.check: the memory and time-to-first-output targets, on hand-made results."""

from benchmarks import check, first_result, keras_jax, memory, models


def _memory(peak_to_jax, held_detached):
    return {
        "model": "wide_mlp",
        "weights_mib": 64.0,
        "baseline": memory.BASELINE,
        "added_mib": {memory.BASELINE: 72.0, "to_jax": peak_to_jax, memory.DETACHED: 140.0},
        "steady_mib": {memory.BASELINE: 70.0, "to_jax": 136.0, memory.DETACHED: held_detached},
    }


def test_memory_targets_count_in_weights():
    met = check._memory_verdicts(_memory(peak_to_jax=72.0 + 64.0 * 1.19, held_detached=64.0 * 1.05))
    assert [v.met for v in met] == [True, True]
    assert "1.19x the weights over loading alone" in met[0].figures
    missed = check._memory_verdicts(_memory(peak_to_jax=72.0 + 64.0 * 1.25, held_detached=64.0 * 1.2))
    assert [v.met for v in missed] == [False, False]
    assert [v.met for v in check._memory_verdicts(None)] == [None, None]


def test_first_output_targets_compare_with_tf2jax_by_hand():
    seconds = {first_result.BASELINE: 2.0, "Piece": 1.0, "KerasLayer": 2.4, "SonnetModule": 2.5,
               "to_jax": 2.2, "FlaxModule": 3.0}
    verdicts = check._first_result_verdicts(
        {"model": "mobilenet_v2", "batch": 1, "baseline": first_result.BASELINE, "seconds": seconds}
    )
    assert [(v.target.path, v.met) for v in verdicts] == [
        ("Piece first output", True), ("KerasLayer first output", True), ("SonnetModule first output", False),
        ("to_jax first output", True), ("FlaxModule first output", False),
    ]
    assert verdicts[4].figures.startswith("1.50x")


def _row(path, batch, median):
    stats = {"median": median, "p10": median, "p90": median, "calls_per_block": 1, "samples": [median] * 3}
    return {"model": keras_jax.MODEL, "batch": batch, "path": path, "stats": stats}


def test_keras_on_jax_targets_compare_each_keras_layer_path_with_its_native_path():
    times = {"eager": (1.09, 1.0), "predict": (1.2, 1.0), "step": (2.0, 2.0)}
    rows = [_row(path, 1, times[path.split()[-2]][i]) for pair in keras_jax.PAIRS for i, path in enumerate(pair)]
    verdicts = [v for v in check.evaluate({"call": [], "keras_jax": rows}, None) if v.target in check.KERAS_JAX_TARGETS]
    assert [(v.target.path, v.case, v.met) for v in verdicts] == [
        ("KerasLayer eager (JAX)", "keras_mlp batch 1", True),
        ("KerasLayer predict (JAX)", "keras_mlp batch 1", False),
        ("KerasLayer step (JAX)", "keras_mlp batch 1", True),
    ]
    assert verdicts[1].figures.startswith("1.200x")
    unmeasured = [v for v in check.evaluate({"call": []}, None) if v.target in check.KERAS_JAX_TARGETS]
    assert [v.met for v in unmeasured] == [None, None, None]


def _stats(samples):
    return {"median": float(sorted(samples)[len(samples) // 2]), "p10": min(samples), "p90": max(samples),
            "calls_per_block": 1, "samples": list(samples)}


def test_the_real_model_is_checked_against_each_anchor_with_its_band():
    # Per-round times: the reference takes 1.0; the path 1.0, 1.1 or 1.2 in turn.
    rows = [{"model": models.REAL_MODEL, "batch": 1, "path": path, "stats": _stats(samples)}
            for path, samples in (("raw step (tape)", [1.0] * 4), ("KerasLayer step (tape)", [1.0, 1.1, 1.2, 1.0]),
                                  ("hub.KerasLayer step (tape)", [1.2] * 4))]
    verdicts = {(v.target.path, v.target.reference): v for v in check.evaluate({"call": rows}, None)
                if v.target in check.REAL_MODEL_TARGETS}
    assert {(v.case, v.target.limit) for v in verdicts.values()} >= {(f"{models.REAL_MODEL} batch 1", 1.05)}
    against_raw = verdicts["KerasLayer step (tape)", "raw step (tape)"]
    assert against_raw.met is False  # median 1.1 over 1.0
    assert against_raw.figures.startswith("1.100x") and "IQR 1.000-1.125" in against_raw.figures
    assert verdicts["KerasLayer step (tape)", "hub.KerasLayer step (tape)"].met is True
    assert verdicts["KerasLayer step (tape)", "keras TFSMLayer step (tape)"].met is None  # not measured
    assert {v.met for v in check.evaluate({"call": []}, None) if v.target in check.REAL_MODEL_TARGETS} == {None}
