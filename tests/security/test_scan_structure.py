"""The scan's cost and its structural errors: linear work, deep call chains, call cycles.

A scan whose cost grows with readers x nodes is a denial of service (and slow on big real
models); work is bounded here by counting Python function calls (deterministic), never by
wall time. The graphs are written proto by proto (`scan_attack_models.synthetic_tables`).
"""

from __future__ import annotations

import cProfile
import pstats

import pytest
import scan_attack_models as hostile

from reusable_savedmodel import interface as rsm


def _work(model) -> tuple[int, rsm.ScanReport]:
    """Every Python and builtin function call one scan makes, and its report."""
    profile = cProfile.Profile()
    report = profile.runcall(rsm.scan, model)
    return pstats.Stats(profile).total_calls, report


def test_scan_work_grows_linearly_with_the_graph(tmp_path):
    _work(hostile.synthetic_tables(tmp_path / "warm", 2, 2))  # lazy imports and caches
    small, small_report = _work(hostile.synthetic_tables(tmp_path / "small", 150, 150, identities=150))
    large, large_report = _work(hostile.synthetic_tables(tmp_path / "large", 300, 300, identities=300))
    assert small_report.safe and large_report.safe, str(large_report)
    assert (small_report.nodes, large_report.nodes) == (753, 1503)
    # Twice the tables, chains and identities: twice the work, not four times (readers x nodes).
    assert large / small < 2.3, (small, large)


def test_a_deep_call_chain_needs_no_recursion(tmp_path):
    report = rsm.scan(hostile.synthetic_tables(tmp_path / "model", 1, 3000))
    assert report.safe and report.functions == 3002, str(report)


def test_a_call_cycle_is_a_typed_error(tmp_path, no_load):
    model = hostile.synthetic_tables(tmp_path / "model", 1, 3, cycle=True)
    for run in (rsm.scan, rsm.load):
        with pytest.raises(rsm.HandleError, match=r"without call cycles .* chain_0 -> chain_\d -> chain_\d -> chain_0"):
            run(model)
