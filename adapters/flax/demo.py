"""The Flax section of `rsm demo`: wrap as an nnx.Module, nnx.jit, one optax step, compare.

It builds on the JAX section: the same model, batch and comparison with TF.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import optax
from flax import nnx

from reusable_savedmodel.adapters.flax.consume import FlaxModule
from reusable_savedmodel.adapters.jax import demo as jax_demo


def run(handle: str, say: Callable[[str], None]) -> None:
    """Wraps `handle` in a `FlaxModule`, compares it with TF, and trains one optax step.

    Args:
      handle: The default example model's handle (the demo's model).
      say: Prints one line (or block) of the demo's output.
    """
    piece, x, labels = jax_demo.load_with_batch(handle)
    module = FlaxModule(piece)
    say(f"FlaxModule: {len(module.params)} nnx.Param, {len(module.state)} nnx.BatchStat")
    forward = nnx.jit(lambda m, v: m(v))
    difference = jax_demo.gap_to_tf(forward(module, x), piece, x)
    say(f"max |nnx.jit(module)(x) - TF(x)| = {difference:.2e}")

    optimizer = nnx.Optimizer(module, optax.adam(1e-2), wrt=nnx.Param)

    @nnx.jit
    def step(model, optimizer, rngs):
        def loss_fn(model, rngs):
            logits = model(x, training=True, rngs=rngs)
            return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean() + model.regularization_loss()

        loss, grads = nnx.value_and_grad(loss_fn)(model, rngs)
        optimizer.update(model, grads)
        return loss

    before = {k: v[...] for k, v in module.state.items()}
    loss = step(module, optimizer, nnx.Rngs(dropout=0))
    moved = [k for k, v in module.state.items() if not np.array_equal(v[...], before[k])]
    say(f"one nnx.Optimizer(adam) step: loss {float(loss):.4f}; batch stats moved: {', '.join(moved)}")
    after = jax_demo.gap_to_tf(forward(module, x), piece, x)
    say(f"after the step, max |module(x) - TF(x)| = {after:.2e} (TF: the untrained model)")
