"""`benchmarks.timing.interleaved`: a block never pays for an earlier block's cyclic garbage when asked."""

from __future__ import annotations

import gc

from benchmarks import timing


class _Cycle:
    """An object in a reference cycle, noting when the cycle collector frees it."""

    def __init__(self, freed: list[str], name: str):
        self.me, self.freed, self.name = self, freed, name

    def __del__(self):
        self.freed.append(self.name)


def _timed_frees(collect_garbage: bool) -> tuple[list[str], list[str]]:
    """Runs two paths that each leave one cycle per call; returns what each block's own
    timed calls saw freed, and the order of calls."""
    freed: list[str] = []
    seen_during: list[str] = []
    calls: list[str] = []

    def path(name: str):
        def call():
            before = len(freed)
            gc.collect()  # stands for a collection an allocation triggers inside a timed call
            seen_during.extend(f"{name} freed {other}" for other in freed[before:] if other != name)
            calls.append(name)
            _Cycle(freed, name)

        return call

    settings = timing.Settings(repeats=4, min_repeats=4, max_number=1, budget_s=0.0, warmup=0, collect_garbage=collect_garbage)
    timing.interleaved({"a": path("a"), "b": path("b")}, settings)
    return seen_during, calls


def test_with_collection_between_blocks_no_block_frees_another_paths_garbage():
    seen_during, calls = _timed_frees(collect_garbage=True)
    assert calls.count("a") == calls.count("b") == 5  # calibration call and 4 rounds
    # Only the calibration calls (untimed set-up, no collection before them) leave garbage behind.
    assert seen_during == ["b freed a"]


def test_without_it_timed_calls_free_the_other_paths_garbage():
    seen_during, _ = _timed_frees(collect_garbage=False)
    assert len(seen_during) > 1
