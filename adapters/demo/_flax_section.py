"""The Flax section of `rsm demo`: wrap as an nnx.Module, nnx.jit, one optax step, compare."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from reusable_savedmodel.adapters.demo._model import Model, Say, max_difference, stand_in_loss
from reusable_savedmodel.adapters.flax import FlaxModule


def run(model: Model, say: Say) -> None:
    """Wraps the model in a `FlaxModule`, compares it with TF, and trains one optax step.

    Raises `UnconvertibleError` for ops JAX has no counterpart for (e.g. strings).
    """
    module = FlaxModule(model.piece, **model.adapter_kwargs)
    x = model.inputs
    say(f"FlaxModule: {len(module.params)} nnx.Param, {len(module.state)} nnx.BatchStat")
    forward = nnx.jit(lambda m, v: m(v))
    if not model.compare("nnx.jit(module)(x)", forward(module, x), say):
        return
    optimizer = nnx.Optimizer(module, optax.adam(1e-2), wrt=nnx.Param)

    @nnx.jit
    def step(module, optimizer, rngs):
        def loss_fn(module, rngs):
            outputs = module(x, training=True, rngs=rngs)
            return stand_in_loss(outputs, jnp.mean) + module.regularization_loss()

        loss, grads = nnx.value_and_grad(loss_fn)(module, rngs)
        optimizer.update(module, grads)
        return loss

    before = {k: v[...] for k, v in module.state.items()}
    loss = step(module, optimizer, nnx.Rngs(dropout=0))
    moved = sorted(k for k, v in module.state.items() if not np.array_equal(v[...], before[k]))
    say(
        f"one nnx.Optimizer(adam) step on a stand-in loss: loss {float(loss):.4f}; batch "
        f"stats moved: {', '.join(moved) or 'none'}"
    )
    after = max_difference(forward(module, x), model.raw_outputs())
    say(f"after the step, max |module(x) - raw(x)| = {after:.2e} (raw: the untrained model)")
