"""benchmarks.scan_speed: the generated graph, the s/MB figure, and its target in benchmarks.check."""

from benchmarks import check, scan_speed


def test_generated_graph_scans_clean_and_is_measured_per_mb(tmp_path):
    path = scan_speed.export_large_graph(tmp_path / "large", tables=3, layers=4)
    row = scan_speed.seconds_per_mb(path, repeats=1)
    assert row["mb"] == (path / "saved_model.pb").stat().st_size / 1e6
    assert row["s_per_mb"] == row["seconds"] / row["mb"]
    # Every table and layer is there: at least one reader per table, one function per layer.
    assert row["functions"] > 4 and row["nodes"] > 3 * 2


def test_scan_target_is_seconds_per_mb():
    rows = [
        {"model": scan_speed.GENERATED, "mb": 2.0, "seconds": 1.0, "s_per_mb": 0.5, "nodes": 9000},
        {"model": scan_speed.REAL_MODEL, "mb": 1.0, "seconds": 1.5, "s_per_mb": 1.5, "nodes": 4000},
    ]
    verdicts = check._scan_verdicts({"rows": rows})
    assert [(v.case, v.outcome) for v in verdicts] == [
        (scan_speed.GENERATED, check.Outcome.MET), (scan_speed.REAL_MODEL, check.Outcome.MISSED)
    ]
    assert verdicts[1].figures.startswith("1.500 s/MB")
    [missing] = check._scan_verdicts(None)
    assert missing.outcome is check.Outcome.NOT_MEASURED and "python -m benchmarks.scan_speed" in missing.figures
