"""The Sonnet 2 section of `rsm demo`: wrap, compare with the raw call, one optimizer step."""

from __future__ import annotations

import numpy as np
import sonnet as snt
import tensorflow as tf

from reusable_savedmodel.adapters.demo._model import Model, Say, max_difference, stand_in_loss
from reusable_savedmodel.adapters.sonnet import SonnetModule


def run(model: Model, say: Say) -> None:
    """Wraps the model in a `SonnetModule`, compares it with the raw call, trains one step.

    Args:
      model: The demo's model.
      say: Prints one line (or block) of the demo's output.
    """
    module = SonnetModule(model.handle, **model.adapter_kwargs)
    x = model.tensors()
    say(repr(module))
    if not model.compare("module(x)", module(x), say):
        return
    optimizer = snt.optimizers.Adam(learning_rate=0.01)
    before = [v.numpy() for v in module.variables]
    with tf.GradientTape() as tape:
        outputs = module(x, is_training=True)
        loss = stand_in_loss(outputs, tf.reduce_mean) + module.regularization_loss()
    optimizer.apply(tape.gradient(loss, module.trainable_variables), module.trainable_variables)
    changed = sum(not np.array_equal(v.numpy(), old) for v, old in zip(module.variables, before))
    say(
        f"one snt.optimizers.Adam step on a stand-in loss (mean squared outputs plus "
        f"regularization): loss {float(loss):.4f}; changed {changed} of {len(before)} variables"
    )
    after = max_difference(module(x), model.raw_outputs())
    say(f"after the step, max |module(x) - raw(x)| = {after:.2e}")
