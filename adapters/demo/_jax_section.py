"""The JAX section of `rsm demo`: convert, jit, one optax step, compare with TF."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from reusable_savedmodel.adapters.demo._model import Model, Say, max_difference, stand_in_loss
from reusable_savedmodel.adapters.jax import to_jax


def run(model: Model, say: Say) -> None:
    """Converts the model with `to_jax`, compares with TF, and trains one optax step.

    Raises `UnconvertibleError` for ops JAX has no counterpart for (e.g. strings).
    """
    jp = to_jax(model.piece, **model.adapter_kwargs)
    x = model.inputs
    say(repr(jp))
    # By name: the piece's own order follows its traces' captures, which can vary by run.
    say(f"params: {', '.join(sorted(jp.params)) or '-'}\nstate:  {', '.join(sorted(jp.state)) or '-'}")
    forward = jax.jit(lambda p, s, v: jp.apply(p, s, v)[0])
    if not model.compare("jit(apply)(x)", forward(jp.params, jp.state, x), say):
        return
    optimizer = optax.adam(1e-2)

    def loss_fn(params, state, rng):
        outputs, new_state = jp.apply(params, state, x, training=True, rng=rng)
        return stand_in_loss(outputs, jnp.mean) + jp.regularization_loss(params), new_state

    @jax.jit
    def step(params, state, opt_state, rng):
        (loss, new_state), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, state, rng)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), new_state, opt_state, loss

    params, state, _, loss = step(jp.params, jp.state, optimizer.init(jp.params), jax.random.key(0))
    moved = sorted(n for n in state if not np.array_equal(state[n], jp.state[n]))
    say(
        f"one optax.adam step on a stand-in loss: loss {float(loss):.4f}; state updated in "
        f"training: {', '.join(moved) or 'none'}"
    )
    after = max_difference(forward(params, state, x), model.raw_outputs())
    say(f"after the step, max |apply(x) - raw(x)| = {after:.2e} (raw: the untrained model)")
