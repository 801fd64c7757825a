"""The conformance matrix: every producer x consumer x route passes, or fails exactly as documented."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from conformance import matrix, table
from conformance.cells import Cell
from conformance.producers import CONSUMERS, PRODUCERS
from reusable_savedmodel.adapters.crosscheck._agreement import run_checks

# Child interpreters or large models: left out of the quick loop (pytest -m "not slow").
pytestmark = pytest.mark.slow

README = Path(__file__).resolve().parents[2] / "docs" / "compatibility.md"


@pytest.mark.parametrize("producer", PRODUCERS, ids=[p.module for p in PRODUCERS])
def test_row_passes_or_fails_as_documented_and_matches_the_readme(producer, tmp_path):
    cells = matrix.run_producer(producer, tmp_path)

    assert all(cell.unavailable is None for cell in cells), "the dev install has every framework"
    problems = [p for p in map(matrix.verdict, cells) if p]
    assert not problems, "\n".join(problems)
    readme = [row for row in table.readme_rows(README) if row.startswith(f"| {producer.name} |")]
    assert readme == table.rows(cells), (
        "docs/compatibility.md's rows differ from this run; regenerate them with "
        "`PYTHONPATH=tests python -m conformance --readme docs/compatibility.md`"
    )


def test_checks_catch_a_consumer_that_deviates_from_the_truth():
    """Each check can fail: against a perturbed truth, the raw Piece fails exactly those checks."""
    producer = next(p for p in PRODUCERS if p.module == "produce_tf")
    produced = producer.build("mlp")
    truth = produced.truth
    wrong = dataclasses.replace(
        truth,
        outputs={False: truth.outputs[False], True: [leaf + 1e-2 for leaf in truth.outputs[True]]},
        gradients=[(value, 2.0 * grad) for value, grad in truth.gradients],
        regularization=truth.regularization * 1.01,
    )
    consumer = next(c for c in CONSUMERS if c.name == "Piece")

    cell = Cell("Piece", producer=producer.name, kind="mlp", route="in process")
    run_checks(cell, consumer, produced.in_process, wrong, produced.inputs)

    assert set(cell.failed_checks) == {"outputs (training=True)", "gradients", "regularization"}
    assert matrix.verdict(cell) is not None
    assert "✗" not in table.cell_text(cell) and "(unexpected)" in table.cell_text(cell)
