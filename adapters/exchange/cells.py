"""One cell of the matrix: a producer's model, handed to a consumer, checked against its truth."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from reusable_savedmodel.adapters.exchange.consumer import Wrapped
from reusable_savedmodel.adapters.exchange.registry import Consumer
from reusable_savedmodel.adapters.exchange.truth import Truth, close, mismatch, unmatched

OK = "ok"
NOT_APPLICABLE = "n/a"


@dataclasses.dataclass
class Cell:
    """The outcome of one cell.

    Attributes:
      producer: The producer's name.
      kind: The model kind.
      consumer: The consumer's name.
      route: `in process` or `saved`.
      checks: Check name -> `ok`, `n/a`, or what went wrong.
      error: The exception the consumer raised, if it could not take the model at all.
      unavailable: Why the cell was not run (a framework is not installed), or None.
    """

    producer: str
    kind: str
    consumer: str
    route: str
    checks: dict[str, str] = dataclasses.field(default_factory=dict)
    error: BaseException | None = None
    unavailable: str | None = None

    @property
    def failed_checks(self) -> dict[str, str]:
        """The checks that did not pass."""
        return {k: v for k, v in self.checks.items() if v not in (OK, NOT_APPLICABLE)}

    @property
    def passed(self) -> bool:
        """Whether the consumer took the model and every check passed."""
        return self.unavailable is None and self.error is None and not self.failed_checks

    def describe(self) -> str:
        """One line for messages: where, and what went wrong."""
        where = f"{self.producer}/{self.kind} -> {self.consumer} ({self.route})"
        if self.error is not None:
            return f"{where}: {type(self.error).__name__}: {self.error}"
        problems = "; ".join(f"{k}: {v}" for k, v in self.failed_checks.items())
        return f"{where}: {problems or 'ok'}"


def run_cell(cell: Cell, consumer: Consumer, source: Any, truth: Truth, inputs: Any) -> Cell:
    """Runs every check of `cell`, recording the outcome in it.

    An exception from the consumer is recorded as the cell's `error` (the matrix
    compares it with the documented impossible cells) and ends the cell.

    Args:
      cell: The cell to fill in.
      consumer: The consumer.
      source: What the consumer is handed: the in-process object or the saved path.
      truth: The producer's figures.
      inputs: The inputs they were computed on.

    Returns:
      `cell`.
    """
    try:
        _run_checks(cell.checks, consumer, source, truth, inputs)
    except Exception as error:  # noqa: BLE001 (recorded; the caller asserts or reports it)
        cell.error = error
    return cell


def _run_checks(checks: dict[str, str], consumer: Consumer, source: Any, truth: Truth, inputs: Any) -> None:
    model = consumer.wrap(source, trainable=True, callable=None)
    model.remember()

    def check(name: str, run: Callable[[], str | None]) -> None:
        try:
            checks[name] = run() or OK
        finally:
            model.restore()

    for training, expected in truth.outputs.items():
        check(f"outputs (training={training})", lambda t=training, e=expected: _compare(model.outputs(inputs, t), e))
    if truth.stochastic_training:
        check("training trace", lambda: _random_training(model, inputs, truth))
    check("gradients", lambda: unmatched(
        model.value_grads(inputs, truth.gradient_training), truth.gradients, key="trainable variables"
    ))
    if truth.state_after_training is None:
        checks["state updates"] = NOT_APPLICABLE
    else:
        check("state updates", lambda: unmatched(
            model.state_after_training(inputs), truth.state_after_training, key="non-trainable variables"
        ))
    check("regularization", lambda: _compare(model.regularization(), truth.regularization))
    checks["frozen"] = _frozen(consumer, source, truth, inputs) if consumer.freezes else NOT_APPLICABLE
    checks["named callable"] = _named_callable(consumer, source, truth) if truth.callable_name else NOT_APPLICABLE


def _compare(got: Any, want: Any) -> str | None:
    return None if close(got, want) else mismatch(got, want)


def _random_training(model: Wrapped, inputs: Any, truth: Truth) -> str | None:
    """A random (dropout) training trace: right shape, and not the inference outputs."""
    got = model.outputs(inputs, True)
    inference = truth.outputs[False]
    if np.shape(got) != np.shape(inference):
        return f"shape {np.shape(got)} != expected {np.shape(inference)}"
    if close(got, inference):
        return "training outputs equal inference outputs: the training trace did not run"
    return None


def _frozen(consumer: Consumer, source: Any, truth: Truth, inputs: Any) -> str:
    """Frozen: nothing to train, no regularization, and training runs inference."""
    model = consumer.wrap(source, trainable=False, callable=None)
    model.remember()
    try:
        if model.trainable_count():
            return f"{model.trainable_count()} trainable variables while frozen"
        if model.regularization() != 0.0:
            return f"regularization {model.regularization()} while frozen"
        problem = _compare(model.outputs(inputs, True), truth.outputs[False])
        return f"training=True did not run inference: {problem}" if problem else OK
    finally:
        model.restore()


def _named_callable(consumer: Consumer, source: Any, truth: Truth) -> str:
    model = consumer.wrap(source, trainable=True, callable=truth.callable_name)
    model.remember()
    try:
        for training, expected in truth.callable_outputs.items():
            problem = _compare(model.outputs(truth.callable_inputs, training), expected)
            model.restore()
            if problem:
                return f"{truth.callable_name}(training={training}): {problem}"
        return OK
    finally:
        model.restore()
