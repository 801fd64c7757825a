"""Truth for producers whose native object runs in TensorFlow (tf.Module, Keras, Sonnet)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from reusable_savedmodel.adapters.exchange.truth import Truth, cotangent

#: `call(inputs, training) -> outputs`, through the producer's own framework.
NativeCall = Callable[[Any, bool], Any]


class Restored:
    """Puts variables back to their values on entry when the block ends.

    Training calls update batch-norm statistics; the truth, and every cell, must start
    from the same values (in process, consumers share the producer's variables).
    """

    def __init__(self, variables: Sequence[tf.Variable]):
        self._variables = list(variables)
        self._values = [v.numpy() for v in self._variables]

    def __enter__(self) -> Restored:
        return self

    def __exit__(self, *exc: Any) -> None:
        for variable, value in zip(self._variables, self._values):
            variable.assign(value)


def tf_truth(
    *,
    call: NativeCall,
    inputs: Any,
    trainables: Sequence[tf.Variable],
    state: Sequence[tf.Variable],
    regularization: Callable[[], Any],
    stochastic_training: bool,
    callable_call: NativeCall | None = None,
    callable_name: str | None = None,
    callable_inputs: Any = None,
) -> Truth:
    """Computes a TensorFlow-native model's `Truth`, leaving its variables as they were.

    Args:
      call: The native call, e.g. `lambda x, training: model(x, training=training)`.
      inputs: The cell's inputs.
      trainables: The variables the native framework trains.
      state: Its other variables (batch-norm statistics).
      regularization: Returns the native regularization total.
      stochastic_training: Whether the training call is random (dropout).
      callable_call: The named callable's native call, if the model exports one.
      callable_name: Its name.
      callable_inputs: Its inputs.

    Returns:
      The Truth; gradients are taken in training mode unless it is random.
    """
    everything = [*trainables, *state]
    gradient_training = not stochastic_training
    with Restored(everything):
        outputs = {False: _numpy(call(inputs, False))}
    if not stochastic_training:
        with Restored(everything):
            outputs[True] = _numpy(call(inputs, True))
    with Restored(everything):
        with tf.GradientTape() as tape:
            result = call(inputs, gradient_training)
            loss = tf.reduce_sum(result * cotangent(result.shape))
        grads = tape.gradient(loss, list(trainables))
        gradients = [(v.numpy(), _numpy(g)) for v, g in zip(trainables, grads)]
    with Restored(everything):
        call(inputs, True)
        state_after = [v.numpy() for v in state] if state else None
    callable_outputs = {}
    if callable_call is not None:
        for training in (False, True):
            with Restored(everything):
                callable_outputs[training] = _numpy(callable_call(callable_inputs, training))
    return Truth(
        outputs=outputs,
        stochastic_training=stochastic_training,
        gradient_training=gradient_training,
        gradients=gradients,
        regularization=float(regularization()),
        state_after_training=state_after,
        callable_name=callable_name,
        callable_inputs=callable_inputs,
        callable_outputs=callable_outputs,
    )


def _numpy(value: Any) -> np.ndarray:
    if value is None:
        raise ValueError("a trainable variable got no gradient from the native call")
    return np.asarray(tf.convert_to_tensor(value))
