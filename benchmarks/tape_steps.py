"""Eager training steps under `tf.GradientTape`, one per way to hold a Reusable SavedModel.

Every step does the same work around the wrapper: the forward pass with `training=True`,
a stand-in loss (the mean square of every output) plus the regularization losses the
wrapper reports, the gradient with respect to its trainable variables, and one SGD update
of the underlying `tf.Variable`s (the same update code on every path, so the rows compare
the wrappers, not optimizers). Each path trains its own copy of the model.

Keras 3's `TFSMLayer` drops `training` (it calls `__call__` without it, so the inference
trace runs: no dropout, no batch-norm statistics) and reports no regularization losses;
its step does less work than the others on a model with batch norm.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from benchmarks.binding import Bind
from benchmarks.source import Source

LEARNING_RATE = 1e-3


def _step(
    forward: Callable[[tf.Tensor], Any],
    variables: Callable[[], Sequence[tf.Variable]],
    losses: Callable[[], Sequence[tf.Tensor]],
) -> Bind:
    def bind(x: np.ndarray) -> Callable[[], Any]:
        xs = tf.constant(x)

        def step() -> tf.Tensor:
            with tf.GradientTape() as tape:
                outputs = forward(xs)
                loss = tf.add_n([tf.reduce_mean(tf.square(o)) for o in tf.nest.flatten(outputs)] + list(losses()))
            trainable = variables()
            for variable, gradient in zip(trainable, tape.gradient(loss, trainable), strict=True):
                if isinstance(gradient, tf.IndexedSlices):  # an embedding's rows: updated in place, as optimizers do
                    variable.scatter_sub(tf.IndexedSlices(LEARNING_RATE * gradient.values, gradient.indices))
                else:
                    variable.assign_sub(LEARNING_RATE * gradient)
            return loss

        return step

    return bind


def raw_step(source: Source) -> Bind:
    """The loaded object itself, its `regularization_losses` called as the protocol says."""
    obj = tf.saved_model.load(str(source.path))
    return _step(
        lambda x: obj(x, training=True),
        lambda: obj.trainable_variables,
        lambda: [loss() for loss in getattr(obj, "regularization_losses", ())],
    )


def piece_step(source: Source) -> Bind:
    """`rsm.load(path)` called with `training=True`, plus `piece.regularization_losses`."""
    from reusable_savedmodel import interface as rsm

    piece = rsm.load(str(source.path))
    return _step(
        lambda x: piece(x, training=True), lambda: piece.trainable_variables,
        lambda: [loss() for loss in piece.regularization_losses],
    )


def sonnet_module_step(source: Source) -> Bind:
    """`SonnetModule` (trainable) called with `is_training=True`, plus its regularization loss."""
    from reusable_savedmodel import interface as rsm
    from reusable_savedmodel.adapters.sonnet import SonnetModule

    module = SonnetModule(rsm.load(str(source.path)))
    return _step(lambda x: module(x, is_training=True), lambda: module.trainable_variables, lambda: [module.regularization_loss()])


def _underlying(keras_variables: Sequence[Any]) -> list[tf.Variable]:
    # A Keras 3 variable on TensorFlow keeps a tf.Variable as its value.
    return [v.value for v in keras_variables]


def keras_layer_step(source: Source) -> Bind:
    """`KerasLayer(trainable=True)` called with `training=True`, plus `layer.losses`."""
    from reusable_savedmodel import interface as rsm
    from reusable_savedmodel.adapters.keras import KerasLayer

    layer = KerasLayer(rsm.load(str(source.path)), trainable=True)
    return _step(lambda x: layer(x, training=True), lambda: _underlying(layer.trainable_weights), lambda: layer.losses)


def tfsm_layer_step(source: Source) -> Bind:
    """Keras 3's `TFSMLayer` on `__call__` for inference and training (see the module doc)."""
    import keras

    layer = keras.layers.TFSMLayer(str(source.path), call_endpoint="__call__", call_training_endpoint="__call__")
    return _step(lambda x: layer(x, training=True), lambda: _underlying(layer.trainable_weights), lambda: layer.losses)


def hub_layer_step(source: Source) -> Bind:
    """tensorflow_hub's `KerasLayer(trainable=True)` on tf_keras, plus `layer.losses`."""
    import tensorflow_hub as hub

    layer = hub.KerasLayer(tf.saved_model.load(str(source.path)), trainable=True)
    return _step(lambda x: layer(x, training=True), lambda: layer.trainable_weights, lambda: layer.losses)
