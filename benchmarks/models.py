"""The benchmark models: their inputs (no TensorFlow needed) and their export (TensorFlow)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np


def _zoo_mlp(**sizes: int) -> Callable[[Path], None]:
    def export(path: Path) -> None:
        from reusable_savedmodel.adapters import examples

        examples.export("mlp", path, **sizes)

    return export


def _mobilenet(path: Path) -> None:
    """MobileNetV2 (tf_keras, random weights) exported with only the protocol's interface.

    Only `__call__` (both `training` traces) and the variables are saved, not tf_keras's
    functions for every layer: those make loading several times slower and would dominate
    the load timings without being part of what a Reusable SavedModel needs.
    """
    import tensorflow as tf
    import tf_keras

    from reusable_savedmodel.interface import ReusableModule

    class MobileNet(ReusableModule):
        def __init__(self) -> None:
            super().__init__(tf.TensorSpec([None, *SHAPES["mobilenet_v2"]], tf.float32))
            net = tf_keras.applications.MobileNetV2(input_shape=SHAPES["mobilenet_v2"], weights=None, classes=100)
            # A lambda is not tracked, so the Keras model is not saved beside the traces.
            self._forward = lambda x, training: net(x, training=training)

        def call(self, inputs: tf.Tensor, training: bool = False) -> tf.Tensor:
            return self._forward(inputs, training)

    model = MobileNet()
    model.finalize_reusable()
    tf.saved_model.save(model, str(path))


def _tf_keras_mobilenet_035(path: Path) -> None:
    """A real convnet as hub users export it: tf_keras MobileNetV2 (alpha 0.35, 96x96,
    random weights, batch norm) saved whole with `tf.saved_model.save`, as TF Hub's
    image models are; Keras 3's `TFSMLayer` and `hub.KerasLayer` load the same files."""
    import tensorflow as tf
    import tf_keras

    tf_keras.utils.set_random_seed(0)
    net = tf_keras.applications.MobileNetV2(input_shape=SHAPES[REAL_MODEL], alpha=0.35, weights=None)
    tf.saved_model.save(net, str(path))


def _tf_keras_mlp(path: Path) -> None:
    """The classic hub producer at the size where dispatch dominates: a 64-32-4 tf_keras MLP."""
    import tensorflow as tf
    import tf_keras

    tf_keras.utils.set_random_seed(0)
    model = tf_keras.Sequential(
        [
            tf_keras.layers.InputLayer(input_shape=SHAPES["keras_mlp"]),
            tf_keras.layers.Dense(32, activation="relu"),
            tf_keras.layers.Dense(4),
        ]
    )
    tf.saved_model.save(model, str(path))


#: The model the native networks are written for (see `benchmarks.native`).
NATIVE_MODEL = "keras_mlp"
#: The real architecture timed against the anchors users would pick instead (TFSMLayer,
#: hub.KerasLayer, the raw object), for calls, training steps and loading.
REAL_MODEL = "mobilenet_v2_035"
#: name -> input shape without the batch dimension.
SHAPES: dict[str, tuple[int, ...]] = {
    "tiny_mlp": (4,),
    "keras_mlp": (64,),
    "mlp": (256,),
    "mobilenet_v2": (128, 128, 3),
    REAL_MODEL: (96, 96, 3),
    "wide_mlp": (2048,),
}

#: name -> exporter. `tiny_mlp` is pure call overhead, `keras_mlp` the eager-vs-graph and
#: native-baseline case, `REAL_MODEL` a real convnet as TF Hub ships it; `wide_mlp` (64 MiB
#: of weights, a trivial graph) makes any copy of the weights plain in the memory figures.
EXPORTERS: dict[str, Callable[[Path], None]] = {
    "tiny_mlp": _zoo_mlp(),
    "keras_mlp": _tf_keras_mlp,
    "mlp": _zoo_mlp(features=256, hidden=1024, classes=10),
    "mobilenet_v2": _mobilenet,
    REAL_MODEL: _tf_keras_mobilenet_035,
    "wide_mlp": _zoo_mlp(features=2048, hidden=8192, classes=10),
}


def export(name: str, directory: Path) -> Path:
    """Exports model `name` into `directory` once.

    Args:
      name: A key of `EXPORTERS`.
      directory: Where the SavedModels go.

    Returns:
      The SavedModel's path.
    """
    path = directory / name
    if not path.exists():
        EXPORTERS[name](path)
    return path


def inputs(name: str, batch: int) -> np.ndarray:
    """Deterministic float32 inputs.

    Args:
      name: A key of `SHAPES`.
      batch: The batch size.

    Returns:
      An array of shape `(batch, *SHAPES[name])`.
    """
    return np.random.default_rng(0).standard_normal((batch, *SHAPES[name])).astype(np.float32)
