"""Whether a consumer agrees with the raw TensorFlow object: its figures against the reference `Truth`."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from reusable_savedmodel.adapters.crosscheck._compare import Truth, close, compare, unmatched
from reusable_savedmodel.adapters.crosscheck._consumer import Wrapped
from reusable_savedmodel.adapters.crosscheck._entry import CALL, Entry
from reusable_savedmodel.adapters.crosscheck._recorded import Recording
from reusable_savedmodel.adapters.crosscheck._registry import Consumer
from reusable_savedmodel.interface import ReusableError

OK = "ok"
NOT_APPLICABLE = "n/a"

#: Verdicts; a crosscheck succeeds when every consumer's is one of `ACCEPTABLE`.
AGREES, DISAGREES, CANNOT_RUN, FAILED, NOT_INSTALLED = "agrees", "disagrees", "cannot run", "failed", "not installed"
ACCEPTABLE = (AGREES, CANNOT_RUN, NOT_INSTALLED)

#: Every check, in report order.
OUTPUTS_INFERENCE = "outputs (training=False)"
OUTPUTS_TRAINING = "outputs (training=True)"
TRAINING_TRACE = "training trace"
GRADIENTS = "gradients"
STATE = "state updates"
REGULARIZATION = "regularization"
FROZEN = "frozen"
CALLABLES = "named callables"


@dataclasses.dataclass
class ConsumerResult:
    """How one consumer did.

    Attributes:
      consumer: The consumer's name.
      checks: Check name -> `ok`, `n/a`, or what went wrong.
      error: The exception the consumer raised, if it could not take the model at all.
      unavailable: Why it was not run (a framework is not installed), or None.
    """

    consumer: str
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

    @property
    def verdict(self) -> str:
        """`agrees`, `disagrees`, `cannot run` (refused with a typed `ReusableError`, e.g.
        strings in JAX), `failed` (any other exception) or `not installed`."""
        if self.unavailable is not None:
            return NOT_INSTALLED
        if self.error is not None:
            return CANNOT_RUN if isinstance(self.error, ReusableError) else FAILED
        return DISAGREES if self.failed_checks else AGREES


def run_checks(
    result: ConsumerResult,
    consumer: Consumer | Recording,
    source: Any,
    truth: Truth,
    inputs: Any,
    entry: Entry = CALL,
) -> ConsumerResult:
    """Runs every check of `consumer` on `source`, recording the outcome in `result`.

    An exception from the consumer is recorded as `result.error` (the caller reports
    it: a typed refusal, or a failure) and ends the checks.

    Args:
      result: Where to record the outcome.
      consumer: The consumer, or the answers a child interpreter recorded for it.
      source: What the consumer is handed: a handle, or the in-process object.
      truth: The reference figures.
      inputs: The inputs they were computed on.
      entry: The model's entry point the consumer runs (default `__call__`).

    Returns:
      `result`.
    """
    try:
        _run_checks(result.checks, consumer, source, truth, inputs, entry)
    except Exception as error:  # noqa: BLE001 (recorded; the caller reports or asserts it)
        result.error = error
    return result


def _run_checks(
    checks: dict[str, str], consumer: Consumer | Recording, source: Any, truth: Truth, inputs: Any, entry: Entry
) -> None:
    tolerance = truth.tolerance
    model = consumer.wrap(source, **entry.wrap_kwargs())
    model.remember()

    def check(name: str, run: Callable[[], str | None]) -> None:
        try:
            checks[name] = run() or OK
        finally:
            model.restore()

    def outputs_agree(training: bool, expected: Any) -> str | None:
        return compare(model.outputs(inputs, training), expected, tolerance)

    for training, expected in truth.outputs.items():
        name = OUTPUTS_TRAINING if training else OUTPUTS_INFERENCE
        check(name, functools.partial(outputs_agree, training, expected))
    if truth.stochastic_training:
        check(TRAINING_TRACE, lambda: _random_training(model, inputs, truth))
    gradients = truth.gradients
    if gradients:
        check(GRADIENTS, lambda: unmatched(
            model.value_grads(inputs, truth.gradient_training), gradients, key="trainable variables",
            tolerance=tolerance,
        ))
    else:
        checks[GRADIENTS] = NOT_APPLICABLE
    state = truth.state_after_training
    if state is None:
        checks[STATE] = NOT_APPLICABLE
    else:
        check(STATE, lambda: unmatched(
            model.state_after_training(inputs), state, key="non-trainable variables",
            tolerance=tolerance,
        ))
    check(REGULARIZATION, lambda: compare(model.regularization(), truth.regularization, tolerance))
    checks[FROZEN] = _frozen(consumer, source, truth, inputs, entry) if consumer.freezes else NOT_APPLICABLE
    checks[CALLABLES] = _named_callables(consumer, source, truth) if truth.callables else NOT_APPLICABLE


def _random_training(model: Wrapped, inputs: Any, truth: Truth) -> str | None:
    """A random (dropout) training trace: right shapes, and not the inference outputs."""
    got = model.outputs(inputs, True)
    inference = truth.outputs[False]
    shapes = [np.shape(g) for g in got]
    if shapes != [np.shape(i) for i in inference]:
        return f"shapes {shapes} != expected {[np.shape(i) for i in inference]}"
    if close(got, inference, truth.tolerance):
        return "training outputs equal inference outputs: the training trace did not run"
    return None


def _frozen(consumer: Consumer | Recording, source: Any, truth: Truth, inputs: Any, entry: Entry) -> str:
    """Frozen: nothing to train, no regularization, and training runs inference."""
    model = consumer.wrap(source, **entry.wrap_kwargs(trainable=False))
    model.remember()
    try:
        if model.trainable_count():
            return f"{model.trainable_count()} trainable variables while frozen"
        if model.regularization() != 0.0:
            return f"regularization {model.regularization()} while frozen"
        problem = compare(model.outputs(inputs, True), truth.outputs[False], truth.tolerance)
        return f"training=True did not run inference: {problem}" if problem else OK
    finally:
        model.restore()


def _named_callables(consumer: Consumer | Recording, source: Any, truth: Truth) -> str:
    for name, expected in truth.callables.items():
        model = consumer.wrap(source, **Entry(callable=name).wrap_kwargs())
        model.remember()
        try:
            for training, outputs in expected.outputs.items():
                problem = compare(model.outputs(expected.inputs, training), outputs, truth.tolerance)
                model.restore()
                if problem:
                    return f"{name}(training={training}): {problem}"
        finally:
            model.restore()
    return OK
