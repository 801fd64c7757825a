"""Keras 3 adapter: `KerasLayer` (consume) and `from_keras` (produce).

`from reusable_savedmodel.adapters import keras as rsm_keras`, then
`rsm_keras.KerasLayer(handle, trainable=True)` to use a Reusable SavedModel as a Keras 3
layer, and `rsm.save(rsm_keras.from_keras(model), path)` to publish a Keras model as one.
Runs on the TensorFlow backend (`KERAS_BACKEND=tensorflow`, Keras' default) and on the
JAX backend (`KERAS_BACKEND=jax`: the piece runs as JAX, through the JAX adapter); the
names below are the implementations for `keras.backend.backend()`. Other backends raise
`UnsupportedBackendError`.
"""

import keras

from reusable_savedmodel.adapters.keras.backends import UnsupportedBackendError
from reusable_savedmodel.adapters.keras.produce import KerasExport

if keras.backend.backend() == "jax":
    from reusable_savedmodel.adapters.keras.jax_consume import KerasLayer
    from reusable_savedmodel.adapters.keras.jax_produce import from_keras
else:
    from reusable_savedmodel.adapters.keras.consume import KerasLayer
    from reusable_savedmodel.adapters.keras.produce import from_keras

__all__ = ["KerasExport", "KerasLayer", "UnsupportedBackendError", "from_keras"]
