"""TensorFlow helpers shared by the reference computation and the TF-based consumers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from reusable_savedmodel.adapters.crosscheck._compare import cotangent, is_float


class Snapshot:
    """The values of some variables, to put back after a call that changed them.

    Training calls update batch-norm statistics; the reference figures and every check
    must start from the same values (in process, consumers share the model's
    variables). Use it as a context manager, or call `restore` yourself.
    """

    def __init__(self, variables: Sequence[tf.Variable]):
        self._variables = list(variables)
        self._values = [v.numpy() for v in self._variables]

    def restore(self) -> None:
        """Assigns every variable the value it had when the snapshot was taken."""
        for variable, value in zip(self._variables, self._values):
            variable.assign(value)

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.restore()


def to_tensors(inputs: Any) -> Any:
    """Numpy inputs as Tensors, for callers that take only Tensors (Keras layers)."""
    return tf.nest.map_structure(tf.constant, inputs)


def weighted_sum(outputs: Any) -> tf.Tensor:
    """The loss gradients are taken of: each float output weighted by `cotangent`."""
    terms = [
        tf.reduce_sum(tf.cast(leaf, tf.float32) * cotangent(leaf.shape))
        for leaf in tf.nest.flatten(outputs)
        if is_float(leaf)
    ]
    return tf.add_n(terms) if terms else tf.constant(0.0)


def gradient_pairs(variables: Sequence[tf.Variable], gradients: Sequence[Any]) -> list[tuple[np.ndarray, np.ndarray]]:
    """`(value, gradient)` per variable; a variable the loss does not reach gets zeros."""
    return [
        (v.numpy(), np.asarray(tf.convert_to_tensor(g)) if g is not None else np.zeros(v.shape, v.dtype.as_numpy_dtype))
        for v, g in zip(variables, gradients)
    ]
