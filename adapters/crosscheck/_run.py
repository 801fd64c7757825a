"""`crosscheck`: a model in every installed consumer, against the raw TensorFlow object."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from typing import Any

import tensorflow as tf

from reusable_savedmodel.adapters.crosscheck import _entry as entry_lib
from reusable_savedmodel.adapters.crosscheck._agreement import ConsumerResult, run_checks
from reusable_savedmodel.adapters.crosscheck._child import ChildConsumer
from reusable_savedmodel.adapters.crosscheck._compare import TOLERANCES, Truth
from reusable_savedmodel.adapters.crosscheck._entry import Entry
from reusable_savedmodel.adapters.crosscheck._errors import (
    ChildFailedError,
    KerasBackendError,
    SavedModelOnlyError,
    UnknownConsumerError,
)
from reusable_savedmodel.adapters.crosscheck._inputs import callable_inputs, inputs_for
from reusable_savedmodel.adapters.crosscheck._precision import compute_dtype
from reusable_savedmodel.adapters.crosscheck._registry import CONSUMERS, Consumer
from reusable_savedmodel.adapters.crosscheck._report import CrosscheckReport
from reusable_savedmodel.adapters.crosscheck._truth import reference, signature_reference
from reusable_savedmodel.interface import Piece, as_piece, check, resolve


def crosscheck(
    handle_or_piece: str | os.PathLike | Any,
    *,
    consumers: Sequence[str] | None = None,
    seed: int = 0,
    callable: str | None = None,  # the adapters' name for it, though it shadows a builtin
    signature: str | None = None,
    progress: Callable[[ConsumerResult], None] | None = None,
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
    Floats agree within a tolerance set by the lowest precision the model computes in
    (float32, or float16/bfloat16 for mixed precision: `compare.TOLERANCES`).

    The entry point is `__call__`, or the one `callable` / `signature` names; a model
    with only signatures (Keras 3's `model.export()`) runs through `serving_default`
    (or its one signature) for inference only: outputs and frozen mode are compared.
    The model is also checked with `rsm.check`: the report is OK only if the model
    passes it and some consumer other than the bare Piece agrees (see
    `CrosscheckReport.ok`).

    Args:
      handle_or_piece: A handle (local directory, `file://`, `http(s)://`, ...), a
        loaded or in-process object implementing the protocol, or an `rsm.Piece`.
      consumers: Names of the consumers to run (default: all; see `CONSUMERS`).
      seed: Seeds the example inputs.
      callable: A named callable (or bare `tf.function`) of the root to check instead
        of `__call__`.
      signature: A signature of the root to check instead of `__call__` (inference only).
      progress: Called with each consumer's result as soon as it is known (a consumer
        takes seconds to a minute), e.g. to show progress.

    Returns:
      The report: `print(report)` shows a table and the verdict, `report.dumps()` JSON.

    Raises:
      HandleError: if the handle cannot be resolved.
      NonConformingError: if the model has no such callable or signature, no entry
        point to pick by itself, or takes inputs crosscheck cannot build.
      UnknownConsumerError: if `consumers` names an unknown consumer.
      ValueError: for both `callable` and `signature`.
    """
    chosen = _chosen(consumers)
    if isinstance(handle_or_piece, (str, os.PathLike)):
        source: Any = str(resolve(handle_or_piece))
        obj = tf.saved_model.load(source)
        model = os.fspath(handle_or_piece)
    else:
        piece = as_piece(handle_or_piece)
        source, obj, model = piece, piece.obj, piece.name
    root = as_piece(obj)
    entry = entry_lib.choose(root, callable=callable, signature=signature)
    where = model if entry == entry_lib.CALL else f"{model} ({entry.describe()})"
    inputs = inputs_for(entry.inputs_spec(root), where=where, seed=seed)
    truth = dataclasses.replace(
        _truth(obj, root, entry, inputs, seed),
        tolerance=TOLERANCES[compute_dtype(entry.functions(root))],
    )
    results = []
    for consumer in chosen:
        results.append(_run(consumer, source, truth, inputs, entry))
        if progress is not None:
            progress(results[-1])
    return CrosscheckReport(
        model=model,
        results=tuple(results),
        stochastic_training=truth.stochastic_training,
        callables=tuple(truth.callables),
        entry=entry.describe(),
        check_errors=tuple(f"{f.code} {f.where}: {f.message}" for f in check(root).errors),
        tolerance=truth.tolerance,
    )


def _truth(obj: Any, root: Piece, entry: Entry, inputs: Any, seed: int) -> Truth:
    """The raw object's reference figures for the entry point."""
    if entry.signature is not None:
        return signature_reference(root.signatures[entry.signature], inputs)
    if entry.callable is not None:
        sub = root.callable(entry.callable)
        return reference(sub.obj, sub.spec, inputs, {})
    return reference(obj, root.spec, inputs, callable_inputs(root.spec.callables, seed=seed))


def _chosen(names: Sequence[str] | None) -> tuple[Consumer | ChildConsumer, ...]:
    if names is None:
        return CONSUMERS
    known = {c.name: c for c in CONSUMERS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UnknownConsumerError(f"unknown consumers {unknown}; known: {', '.join(known)}")
    return tuple(known[n] for n in names)


def _run(
    consumer: Consumer | ChildConsumer, source: Any, truth: Truth, inputs: Any, entry: Entry
) -> ConsumerResult:
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
            recording = consumer.record({"model": (source, inputs, truth)}, entry=entry)["model"]
        except (SavedModelOnlyError, ChildFailedError) as error:
            result.error = error
            return result
        return run_checks(result, recording, source, truth, inputs, entry)
    return run_checks(result, consumer, source, truth, inputs, entry)
