"""The model built with a Keras API: Keras 3 or tf_keras (Keras 2), which share it."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from conformance import architecture as arch
from reusable_savedmodel.adapters.crosscheck._compare import Truth
from reusable_savedmodel.adapters.crosscheck._truth import tf_truth


def build_model(keras_api: ModuleType, kind: str) -> tuple[Any, Any]:
    """Builds the functional model of `kind`.

    The `mlp` is flat: tf_keras lists a nested model's regularization losses on that
    model only, not on the exported root, so a nested encoder would hide them from
    consumers of the classic export. The `rich` model nests its `encoder` (a named
    callable must be a model of its own) and shows that limitation.

    Args:
      keras_api: The `keras` or the `tf_keras` module.
      kind: `mlp` or `rich`.

    Returns:
      `(model, encoder)`, with `encoder` None for the `mlp`; weights set to
      `architecture.weights()`.
    """
    layers = keras_api.layers
    encoder_layers = [
        layers.Dense(arch.HIDDEN, kernel_regularizer=keras_api.regularizers.L2(arch.L2), name="dense"),
        layers.BatchNormalization(momentum=arch.MOMENTUM, epsilon=arch.EPSILON, name="batch_norm"),
        layers.ReLU(name="relu"),
    ]
    head = layers.Dense(arch.CLASSES, kernel_regularizer=keras_api.regularizers.L2(arch.L2), name="head")
    features = keras_api.Input((arch.FEATURES,), name="features")
    encoder = None
    if kind == "mlp":
        hidden = features
        for layer in encoder_layers:
            hidden = layer(hidden)
        model = keras_api.Model(features, head(hidden), name="mlp")
    else:
        encoder = keras_api.Sequential([keras_api.Input((arch.FEATURES,)), *encoder_layers], name="encoder")
        scale = keras_api.Input((1,), name="scale")
        hidden = layers.Dropout(arch.DROPOUT)(encoder(features) * scale)
        model = keras_api.Model({"features": features, "scale": scale}, head(hidden), name="rich")
    values = arch.weights()
    encoder_layers[0].set_weights([values["dense_kernel"], values["dense_bias"]])
    encoder_layers[1].set_weights([values[k] for k in ("gamma", "beta", "moving_mean", "moving_variance")])
    head.set_weights([values["head_kernel"], values["head_bias"]])
    return model, encoder


def keras_truth(model: Any, encoder: Any, kind: str, inputs: Any, variable: Any) -> Truth:
    """The truth of a Keras-API model, from its own calls and weights.

    Args:
      model: The model from `build_model`.
      encoder: Its encoder (None for the `mlp`).
      kind: `mlp` or `rich`.
      inputs: The cell's inputs.
      variable: Maps a model weight to the `tf.Variable` holding it.
    """
    dense = model.get_layer("dense") if encoder is None else encoder.get_layer("dense")
    kernels = (dense.kernel, model.get_layer("head").kernel)
    callables = (
        {arch.CALLABLE: (lambda x, training: encoder(x, training=training), inputs["features"])}
        if encoder is not None
        else None
    )
    return tf_truth(
        call=lambda x, training: model(x, training=training),
        inputs=inputs,
        trainables=[variable(w) for w in model.trainable_weights],
        state=[variable(w) for w in model.non_trainable_variables],
        regularization=lambda: arch.l2(*(k.numpy() for k in kernels)),
        stochastic_training=kind == "rich",
        callables=callables,
    )
