"""Reference figures of a model whose native object runs in TensorFlow.

`tf_truth` computes them from any TensorFlow-native call (a raw `tf.saved_model.load`
object, a Keras model, a Sonnet module) with a `tf.GradientTape`, never through this
project's adapters; `reference` does so for the raw loaded object a crosscheck checks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import tensorflow as tf

from reusable_savedmodel.adapters.crosscheck._compare import CallableTruth, Truth, close, leaves
from reusable_savedmodel.adapters.crosscheck._tf_values import (
    Snapshot,
    gradient_pairs,
    to_tensors,
    weighted_sum,
)
from reusable_savedmodel.interface import PieceSpec

#: `call(inputs, training) -> outputs`, through the model's own framework.
NativeCall = Callable[[Any, bool], Any]

#: Training calls compared to tell a random trace from a deterministic one. Two are not
#: enough: with few units, two dropout masks coincide often (a 0.1 rate over 16 units keeps
#: them all in 18% of the calls); eight all alike by chance is below one in 10**5.
_TRIALS = 8


def tf_truth(
    *,
    call: NativeCall,
    inputs: Any,
    trainables: Sequence[tf.Variable],
    state: Sequence[tf.Variable],
    regularization: Callable[[], Any],
    stochastic_training: bool,
    callables: Mapping[str, tuple[NativeCall, Any]] | None = None,
) -> Truth:
    """Computes a TensorFlow-native model's `Truth`, leaving its variables as they were.

    Args:
      call: The native call, e.g. `lambda x, training: model(x, training=training)`.
      inputs: The inputs (numpy nest).
      trainables: The variables the native framework trains.
      state: Its other variables (batch-norm statistics).
      regularization: Returns the native regularization total.
      stochastic_training: Whether the training call is random (dropout).
      callables: Named callable -> `(native call, inputs)`; their deterministic
        training modes are recorded.

    Returns:
      The Truth; gradients are taken in training mode unless it is random.
    """
    everything = [*trainables, *state]
    gradient_training = not stochastic_training
    modes = (False,) if stochastic_training else (False, True)
    outputs = {}
    for training in modes:
        with Snapshot(everything):
            outputs[training] = leaves(call(inputs, training))
    with Snapshot(everything):
        with tf.GradientTape() as tape:
            loss = weighted_sum(call(inputs, gradient_training))
        gradients = gradient_pairs(trainables, tape.gradient(loss, list(trainables)))
    state_after = _state_after_training(call, inputs, everything, state) if state else None
    callable_truths = {
        name: CallableTruth(callable_inputs, _deterministic_outputs(native, callable_inputs, everything))
        for name, (native, callable_inputs) in (callables or {}).items()
    }
    return Truth(
        outputs=outputs,
        stochastic_training=stochastic_training,
        gradient_training=gradient_training,
        gradients=gradients,
        regularization=float(regularization()),
        state_after_training=state_after,
        callables=callable_truths,
    )


def _state_after_training(
    call: NativeCall, inputs: Any, variables: Sequence[tf.Variable], state: Sequence[tf.Variable]
) -> list[Any] | None:
    """`state` after one training call; None when training calls disagree (e.g. batch
    norm after dropout): no framework's random stream reproduces another's, so random
    updates cannot be compared."""
    results = []
    for _ in range(_TRIALS):
        with Snapshot(variables):
            call(inputs, True)
            results.append([v.numpy() for v in state])
    return results[0] if all(close(r, results[0]) for r in results[1:]) else None


def is_stochastic(call: NativeCall, inputs: Any, variables: Sequence[tf.Variable]) -> bool:
    """Whether training calls from the same values differ (a random trace: dropout)."""
    results = []
    for _ in range(_TRIALS):
        with Snapshot(variables):
            results.append(leaves(call(inputs, True)))
    return not all(close(r, results[0]) for r in results[1:])


def _deterministic_outputs(call: NativeCall, inputs: Any, variables: Sequence[tf.Variable]) -> dict[bool, Any]:
    outputs = {}
    for training in (False, True):
        if training and is_stochastic(call, inputs, variables):
            continue
        with Snapshot(variables):
            outputs[training] = leaves(call(inputs, training))
    return outputs


def reference(obj: Any, spec: PieceSpec, inputs: Any, callable_inputs: Mapping[str, Any]) -> Truth:
    """The `Truth` of a raw `tf.saved_model.load` object (or an in-process one).

    Args:
      obj: The object: called as `obj(inputs, training=...)` (without `training` when
        its spec has no such parameter), its lists read as attributes.
      spec: The object's spec (for which callables take `training`).
      inputs: Inputs for `obj` (numpy nest).
      callable_inputs: Named callable -> inputs for it.

    Returns:
      The Truth, from plain TensorFlow calls and a `tf.GradientTape`.
    """
    trainables = list(getattr(obj, "trainable_variables", ()))
    trainable_ids = {id(v) for v in trainables}
    state = [v for v in getattr(obj, "variables", ()) if id(v) not in trainable_ids]
    call = _native_call(obj, spec)
    callables = {
        name: (_native_call(getattr(obj, name), spec.callables[name]), x) for name, x in callable_inputs.items()
    }
    return tf_truth(
        call=call,
        inputs=inputs,
        trainables=trainables,
        state=state,
        regularization=lambda: sum(float(loss()) for loss in getattr(obj, "regularization_losses", ())),
        stochastic_training=is_stochastic(call, inputs, [*trainables, *state]),
        callables=callables,
    )


def signature_reference(function: Any, inputs: Mapping[str, Any]) -> Truth:
    """The `Truth` of a signature of the raw object: its outputs, inference only.

    A signature has no training mode, no trainable variables and no regularization:
    only its outputs (a dict, compared by its leaves) are reference figures.

    Args:
      function: The signature's concrete function (keyword inputs, dict outputs).
      inputs: Its inputs by name (numpy).
    """
    return Truth(
        outputs={False: leaves(function(**to_tensors(inputs)))},
        stochastic_training=False,
        gradient_training=False,
        gradients=[],
        regularization=0.0,
        state_after_training=None,
    )


def _native_call(obj: Any, spec: PieceSpec) -> NativeCall:
    if spec.call is not None and spec.call.accepts_training:
        return lambda x, training: obj(to_tensors(x), training=training)
    return lambda x, training: obj(to_tensors(x))
