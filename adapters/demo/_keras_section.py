"""The Keras 3 section of `rsm demo`: wrap, compare with the raw call, one fine-tuning step."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from reusable_savedmodel.adapters.demo._model import Model, Say, max_difference, stand_in_loss
from reusable_savedmodel.adapters.keras import KerasLayer


def run(model: Model, say: Say) -> None:
    """Wraps the model in a trainable `KerasLayer`, compares it with the raw call, trains a step.

    Args:
      model: The demo's model.
      say: Prints one line (or block) of the demo's output.
    """
    layer = KerasLayer(model.handle, trainable=model.trainable, **model.adapter_kwargs)
    x = model.tensors()
    say(repr(layer))
    if not model.compare("layer(x)", layer(x), say):
        return
    optimizer = keras.optimizers.Adam(0.01)
    before = [w.numpy() for w in layer.weights]
    with tf.GradientTape() as tape:
        loss = stand_in_loss(layer(x, training=True), tf.reduce_mean) + sum(layer.losses)
    gradients = tape.gradient(loss, layer.trainable_weights)
    optimizer.apply(gradients, layer.trainable_weights)
    changed = sum(not np.array_equal(w.numpy(), old) for w, old in zip(layer.weights, before))
    say(
        f"one Adam step on a stand-in loss (mean squared outputs, plus {len(layer.losses)} "
        f"regularization losses): loss {float(loss):.4f}; changed {changed} of {len(before)} "
        f"weights (trainable ones, plus state such as batch-norm moving statistics)"
    )
    say(
        f"after the step, max |layer(x) - raw(x)| = "
        f"{max_difference(layer(x), model.raw_outputs()):.2e} (raw: "
        f"a separate, untrained copy; rsm.save(layer.piece, path) would export the trained one)"
    )
