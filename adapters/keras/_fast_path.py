"""When an eager `KerasLayer` call may skip `keras.layers.Layer.__call__`.

Keras' `Layer.__call__` resolves arguments, masks, autocasting, name scopes and the call
context on every call: about 100-300 µs, as much as a small model's forward pass. For the
commonest eager call (one Tensor, a Python `training`, called by user code rather than by
an enclosing layer, default dtype policy) none of that changes anything, and the layer runs
`call` directly. Every other call goes through Keras.

The conditions read Keras state that has no public accessor (through `compat`), and
`tests/adapters/keras` checks that nested and mixed-precision calls still take Keras' path.
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from reusable_savedmodel.adapters.keras import _compat as compat

_EAGER_TENSOR = type(tf.constant(0))


def applies(layer: keras.layers.Layer, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether `layer(*args, **kwargs)` can run `layer.call` directly, with the same result.

    Args:
      layer: The (built) layer being called.
      args: The positional arguments of the call.
      kwargs: The keyword arguments of the call.

    Returns:
      True for one eager Tensor of the layer's input dtype (or a non-float one), at most a
      Python-bool `training`, no mask, outside any Keras call context, autocast scope,
      stateless scope or distribution, with no activity regularizer and a dtype policy
      whose compute and variable dtypes agree.
    """
    if len(args) != 1 or type(args[0]) is not _EAGER_TENSOR:
        return False
    if kwargs:
        if len(kwargs) != 1 or "training" not in kwargs:
            return False
        training = kwargs["training"]
        if training is not None and type(training) is not bool:
            return False
    inputs = args[0]
    if inputs.dtype.is_floating and inputs.dtype.name != layer.input_dtype:
        return False  # Keras would autocast it
    return (
        layer.built
        and getattr(inputs, "_keras_mask", None) is None
        and compat.outside_keras_scopes()
        and layer.activity_regularizer is None
        and layer.compute_dtype == layer.variable_dtype
        and keras.distribution.distribution() is None
        and tf.executing_eagerly()
    )
