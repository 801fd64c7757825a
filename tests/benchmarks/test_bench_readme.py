"""benchmarks.readme: the README's short table of the real models, and the page's verdict counts."""

from benchmarks import check, loading, models, readme


def _row(model, path, *samples):
    stats = {"median": sorted(samples)[len(samples) // 2], "p10": min(samples), "p90": max(samples),
             "calls_per_block": 1, "samples": list(samples)}
    return {"model": model, "batch": 1, "path": path, "stats": stats}


def test_summary_shows_each_measured_real_model_with_the_anchors_and_keras_layers_band():
    # KerasLayer's per-round ratios to the raw call: 0.9, 0.96, 1.0 (band 0.93-0.98); its
    # step's are taken to the raw step, not to the raw call.
    calls = [_row(models.BERT_MODEL, "raw obj(x)", 0.050, 0.050, 0.050),
             _row(models.BERT_MODEL, "KerasLayer eager", 0.045, 0.048, 0.050),
             _row(models.BERT_MODEL, "raw step (tape)", 0.250, 0.250, 0.250),
             _row(models.BERT_MODEL, "KerasLayer step (tape)", 0.500, 0.500, 0.500),
             _row(models.BERT_MODEL, "tf2jax by hand + jax.jit", 0.0301, 0.0301, 0.0301)]
    loads = [{**_row(models.BERT_MODEL, loading.BASELINE, 2.5), "batch": None}]
    table = readme.summary({"call": calls, "load": loads}).splitlines()
    assert table[0].startswith("| batch 1, median (lower is better) | raw `tf.saved_model.load` | **`KerasLayer`**")
    assert "Keras 3 `TFSMLayer`" in table[0] and "`hub.KerasLayer` (tf_keras)" in table[0]
    assert len(table) == 2 + 3  # one model measured: call, training step, load
    assert table[2] == "| BERT-small, seq 128: call, ms | 50.0 | 48.0 | – | – | – | 30.1 | 0.96× (0.93–0.98) |"
    assert table[3] == "| BERT-small, seq 128: training step, ms | 250 | 500 | – | – | – | – | 2.00× (2.00–2.00) |"
    assert table[4].startswith("| BERT-small, seq 128: load, s | 2.5 | – |")


def test_replace_block_keeps_everything_outside_the_markers():
    text = f"a\n{readme.SUMMARY_START}\nold\n{readme.SUMMARY_END}\nb\n"
    assert readme.replace_block(text, "new", readme.SUMMARY_START, readme.SUMMARY_END) == (
        f"a\n{readme.SUMMARY_START}\nnew\n{readme.SUMMARY_END}\nb\n"
    )


def test_page_block_counts_each_outcome_and_lists_all_but_the_met():
    target = check.Target("Piece", "raw obj(x)", 1.05)
    verdicts = [check.Verdict(target, f"case {o.name}", o, "f") for o in check.Outcome]
    results = {"date": "d", "command": "python -m benchmarks", "seconds": 60.0, "machine": {"cpu": "c", "cores": 2}}
    body = readme.block(results, None, verdicts)
    assert "1 MET, 1 MISSED, 1 INCONCLUSIVE (the band straddles the limit), 1 not measured" in body
    assert "case MET" not in body and all(f"case {o.name}" in body for o in check.Outcome if o is not check.Outcome.MET)
