"""Keras 3 adapter: `KerasLayer` (consume) and `from_keras` (produce).

`from reusable_savedmodel.adapters import keras as rsm_keras`, then
`rsm_keras.KerasLayer(handle, trainable=True)` to use a Reusable SavedModel as a Keras 3
layer, and `rsm.save(rsm_keras.from_keras(model), path)` to publish a Keras model as one.
Needs the TensorFlow backend (`KERAS_BACKEND=tensorflow`, Keras' default).
"""

from reusable_savedmodel.adapters.keras.consume import KerasLayer
from reusable_savedmodel.adapters.keras.produce import KerasExport, from_keras

__all__ = ["KerasExport", "KerasLayer", "from_keras"]
