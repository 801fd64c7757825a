"""`crosscheck`: a model in every installed consumer, against the raw TensorFlow object."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from reusable_savedmodel.adapters.crosscheck.checks import ConsumerResult, run_checks
from reusable_savedmodel.adapters.crosscheck.child import (
    ChildConsumer,
    ChildFailedError,
    SavedModelOnlyError,
)
from reusable_savedmodel.adapters.crosscheck.compare import Truth
from reusable_savedmodel.adapters.crosscheck.inputs import callable_inputs, example_inputs
from reusable_savedmodel.adapters.crosscheck.registry import CONSUMERS, Consumer
from reusable_savedmodel.adapters.crosscheck.report import CrosscheckReport
from reusable_savedmodel.adapters.crosscheck.truth import reference
from reusable_savedmodel.interface import ReusableError, as_piece, resolve


class UnknownConsumerError(ReusableError, ValueError):
    """`consumers=` names a consumer crosscheck does not know (the message lists them)."""


class KerasBackendError(ReusableError, RuntimeError):
    """A consumer needs Keras on another backend than the one this interpreter runs."""


def crosscheck(
    handle_or_piece: str | os.PathLike | Any,
    *,
    consumers: Sequence[str] | None = None,
    seed: int = 0,
) -> CrosscheckReport:
    """Loads a model in every installed consumer and compares each with the raw object.

    The reference is the object `tf.saved_model.load` returns (for a handle), or the
    in-process object under a Piece, called with plain TensorFlow and differentiated
    with a `tf.GradientTape`. Each consumer (`Piece`, Keras 3 `KerasLayer`,
    `SonnetModule`, `to_jax`, `FlaxModule`, tensorflow_hub's `KerasLayer`, and
    `KerasLayer[jax]`: Keras 3 on the JAX backend, run in a child interpreter with
    `KERAS_BACKEND=jax` on saved models only) is checked
    for its outputs in both training modes, gradients, state updates (batch-norm
    statistics), regularization, frozen mode and every named callable. Inputs are
    built from the model's own input spec. Variables are restored after every check.

    Args:
      handle_or_piece: A handle (local directory, `file://`, `http(s)://`, ...), a
        loaded or in-process object implementing the protocol, or an `rsm.Piece`.
      consumers: Names of the consumers to run (default: all; see `CONSUMERS`).
      seed: Seeds the example inputs.

    Returns:
      The report: `report.ok` is True when every consumer that can run the model
      agrees; `print(report)` shows a table, `report.dumps()` JSON.

    Raises:
      HandleError: if the handle cannot be resolved.
      NonConformingError: if the object has no `__call__` or takes inputs crosscheck
        cannot build.
      UnknownConsumerError: if `consumers` names an unknown consumer.
    """
    chosen = _chosen(consumers)
    if isinstance(handle_or_piece, (str, os.PathLike)):
        source: Any = str(resolve(handle_or_piece))
        obj = tf.saved_model.load(source)
        model = os.fspath(handle_or_piece)
    else:
        piece = as_piece(handle_or_piece)
        source, obj, model = piece, piece.obj, piece.name
    spec = as_piece(obj).spec
    inputs = example_inputs(spec.call, where=model, seed=seed)
    named_inputs = callable_inputs(spec.callables, seed=seed)
    truth = reference(obj, spec, inputs, named_inputs)
    results = tuple(_run(consumer, source, truth, inputs) for consumer in chosen)
    return CrosscheckReport(
        model=model,
        results=results,
        stochastic_training=truth.stochastic_training,
        callables=tuple(named_inputs),
    )


def _chosen(names: Sequence[str] | None) -> tuple[Consumer | ChildConsumer, ...]:
    if names is None:
        return CONSUMERS
    known = {c.name: c for c in CONSUMERS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UnknownConsumerError(f"unknown consumers {unknown}; known: {', '.join(known)}")
    return tuple(known[n] for n in names)


def _run(consumer: Consumer | ChildConsumer, source: Any, truth: Truth, inputs: Any) -> ConsumerResult:
    result = ConsumerResult(consumer.name)
    absent = consumer.missing()
    if absent:
        result.unavailable = f"needs {', '.join(absent)}: {consumer.install}"
        return result
    if isinstance(consumer, Consumer) and (running := consumer.wrong_backend()) is not None:
        result.error = KerasBackendError(
            f"{consumer.name} needs Keras on {consumer.keras_backend!r}; Keras runs on {running!r} in this "
            f"interpreter (fixed at import): run crosscheck with KERAS_BACKEND={consumer.keras_backend} to include it"
        )
        return result
    if isinstance(consumer, ChildConsumer):
        # The child answers every question at once; the checks then read its answers.
        try:
            consumer.refuse_in_process(source)
            recording = consumer.record({"model": (source, inputs, truth)})["model"]
        except (SavedModelOnlyError, ChildFailedError) as error:
            result.error = error
            return result
        return run_checks(result, recording, source, truth, inputs)
    return run_checks(result, consumer, source, truth, inputs)
