"""The Keras 3 section of `rsm demo`: wrap, compare with the raw call, one fine-tuning step."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from reusable_savedmodel.adapters import examples
from reusable_savedmodel.adapters.keras.consume import KerasLayer


def run(handle: str, say: Callable[[str], None]) -> None:
    """Wraps `handle` in a trainable `KerasLayer`, compares it with the raw call, trains a step.

    Args:
      handle: The default example model's handle (the demo's model).
      say: Prints one line (or block) of the demo's output.
    """
    layer = KerasLayer(handle, trainable=True)
    raw = tf.saved_model.load(handle)
    say(repr(layer))
    x = tf.constant(examples.example_inputs(examples.DEFAULT, batch=8))
    difference = np.max(np.abs(layer(x).numpy() - raw(x).numpy()))
    say(f"max |layer(x) - raw(x)| = {difference:.2e} (same weights, same trace)")

    classes = layer(x).shape[-1]
    model = keras.Sequential([keras.Input(x.shape[1:]), layer])
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    labels = np.arange(8) % classes
    before = [w.numpy() for w in layer.weights]
    loss = model.train_on_batch(x, labels)
    changed = sum(not np.array_equal(w.numpy(), old) for w, old in zip(layer.weights, before))
    say(
        f"one model.train_on_batch step (Adam): loss {float(loss):.4f} including "
        f"{len(layer.losses)} regularization losses; changed {changed} of {len(before)} "
        f"weights (trainable ones, plus batch-norm moving statistics)"
    )
    difference = np.max(np.abs(layer(x).numpy() - raw(x).numpy()))
    say(
        f"after the step, max |layer(x) - raw(x)| = {difference:.2e} (raw: a separate, "
        f"untrained copy; rsm.save(layer.piece, path) would export the trained one)"
    )
