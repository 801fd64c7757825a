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


def _bert_small(path: Path) -> None:
    """A BERT-small encoder (L=4, H=512, A=8, intermediate 2048, 30,522-token vocabulary, as
    Google's BERT-small config gives them) built from tf_keras layers, random weights, saved
    whole: token ids in (0 pads, masked out of attention), the pooled [CLS] output out;
    dropout 0.1 in training, as in the config."""
    import tensorflow as tf
    import tf_keras
    from tf_keras import layers

    tf_keras.utils.set_random_seed(0)
    ids = tf_keras.Input(SHAPES[BERT_MODEL], dtype=tf.int32, name="input_word_ids")
    positions = layers.Embedding(SHAPES[BERT_MODEL][0], BERT_HIDDEN, name="position_embedding")(tf.range(SHAPES[BERT_MODEL][0]))
    x = layers.Embedding(BERT_VOCAB, BERT_HIDDEN, name="word_embedding")(ids) + positions
    x = layers.Dropout(0.1)(layers.LayerNormalization(epsilon=1e-12)(x))
    mask = tf.cast(ids != 0, tf.int32)[:, None, :]
    for _ in range(4):
        attended = layers.MultiHeadAttention(8, BERT_HIDDEN // 8, dropout=0.1)(x, x, attention_mask=mask)
        x = layers.LayerNormalization(epsilon=1e-12)(x + layers.Dropout(0.1)(attended))
        inner = layers.Dense(4 * BERT_HIDDEN, activation="gelu")(x)
        x = layers.LayerNormalization(epsilon=1e-12)(x + layers.Dropout(0.1)(layers.Dense(BERT_HIDDEN)(inner)))
    pooled = layers.Dense(BERT_HIDDEN, activation="tanh", name="pooler")(x[:, 0])
    tf.saved_model.save(tf_keras.Model(ids, pooled), str(path))


def _resnet50_slice(path: Path) -> None:
    """ResNet-50's first three stages (tf_keras `applications.ResNet50`, random weights, up
    to `conv3_block4_out`: 22 convolutions with batch norm, 1.4 M weights) at 64x64, under a
    10-class head, saved whole: the residual convnet at a cost that keeps the rows cheap."""
    import tensorflow as tf
    import tf_keras

    tf_keras.utils.set_random_seed(0)
    base = tf_keras.applications.ResNet50(weights=None, include_top=False, input_shape=SHAPES[RESNET_MODEL])
    features = tf_keras.layers.GlobalAveragePooling2D()(base.get_layer("conv3_block4_out").output)
    tf.saved_model.save(tf_keras.Model(base.input, tf_keras.layers.Dense(10)(features)), str(path))


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
#: The other real architectures timed the same way (`REAL_MODELS` holds all three).
BERT_MODEL, RESNET_MODEL = "bert_small", "resnet50_slice"
REAL_MODELS = (REAL_MODEL, BERT_MODEL, RESNET_MODEL)
BERT_VOCAB, BERT_HIDDEN = 30522, 512
#: name -> input shape without the batch dimension.
SHAPES: dict[str, tuple[int, ...]] = {
    "tiny_mlp": (4,),
    "keras_mlp": (64,),
    "mlp": (256,),
    "mobilenet_v2": (128, 128, 3),
    REAL_MODEL: (96, 96, 3),
    BERT_MODEL: (128,),
    RESNET_MODEL: (64, 64, 3),
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
    BERT_MODEL: _bert_small,
    RESNET_MODEL: _resnet50_slice,
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
    """Deterministic inputs: token ids for the BERT encoder, float32 values for the rest.

    Args:
      name: A key of `SHAPES`.
      batch: The batch size.

    Returns:
      An array of shape `(batch, *SHAPES[name])` (int32 ids in 1..vocabulary-1 for
      `BERT_MODEL`: no padding, every position attends).
    """
    if name == BERT_MODEL:
        return np.random.default_rng(0).integers(1, BERT_VOCAB, (batch, *SHAPES[name])).astype(np.int32)
    return np.random.default_rng(0).standard_normal((batch, *SHAPES[name])).astype(np.float32)
