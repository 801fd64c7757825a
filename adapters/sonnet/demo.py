"""The Sonnet 2 section of `rsm demo`: wrap, one `snt.optimizers` step, compare."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sonnet as snt
import tensorflow as tf

from reusable_savedmodel.adapters import examples
from reusable_savedmodel.adapters.sonnet.consume import SonnetModule


def run(handle: str, say: Callable[[str], None]) -> None:
    """Wraps `handle` in a `SonnetModule`, compares it with the raw call, trains one step.

    Args:
      handle: The default example model's handle (the demo's model).
      say: Prints one line (or block) of the demo's output.
    """
    module = SonnetModule(handle)
    raw = tf.saved_model.load(handle)
    say(repr(module))
    x = tf.constant(examples.example_inputs(examples.DEFAULT, batch=8))
    difference = np.max(np.abs(module(x).numpy() - raw(x).numpy()))
    say(f"max |module(x) - raw(x)| = {difference:.2e} (equal weights, same trace)")

    labels = tf.constant(np.arange(8) % module(x).shape[-1])
    optimizer = snt.optimizers.Adam(learning_rate=0.01)

    def loss_fn() -> tf.Tensor:
        logits = module(x, is_training=True)
        data = tf.reduce_mean(
            tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
        )
        return data + module.regularization_loss()

    before = [v.numpy() for v in module.variables]
    with tf.GradientTape() as tape:
        loss = loss_fn()
    optimizer.apply(tape.gradient(loss, module.trainable_variables), module.trainable_variables)
    changed = [
        v.name
        for v, old in zip(module.variables, before, strict=True)
        if not np.array_equal(v.numpy(), old)
    ]
    say(
        f"one snt.optimizers.Adam step: loss {float(loss):.4f}; changed {len(changed)} of "
        f"{len(before)} variables (trainable ones, plus batch-norm moving statistics)"
    )
    difference = np.max(np.abs(module(x).numpy() - raw(x).numpy()))
    say(
        f"after the step, max |module(x) - raw(x)| = {difference:.2e} (raw: a separate, "
        f"untrained copy)"
    )
