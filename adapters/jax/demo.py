"""The JAX section of `rsm demo`: convert, jit, one optax step, compare with TF.

The Flax section builds on this one: it takes its model, batch and comparison from here.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

from reusable_savedmodel.adapters import examples
from reusable_savedmodel.adapters.jax.consume import to_jax
from reusable_savedmodel.interface import Piece, load

#: Examples in the demo's batch; their labels cycle through the default model's 3 classes.
BATCH = 8


def load_with_batch(handle: str) -> tuple[Piece, np.ndarray, jax.Array]:
    """Loads the demo's model in TF with a batch of example inputs and integer class labels."""
    return load(handle), examples.example_inputs(examples.DEFAULT, batch=BATCH), jnp.arange(BATCH) % 3


def gap_to_tf(y: jax.Array, piece: Piece, x: np.ndarray) -> float:
    """The largest |y - piece(x)|: how far a JAX result on `x` is from TensorFlow's."""
    return float(np.max(np.abs(np.asarray(y) - piece(x).numpy())))


def run(handle: str, say: Callable[[str], None]) -> None:
    """Converts `handle` with `to_jax`, compares with TF, and trains one optax step.

    Args:
      handle: The default example model's handle (the demo's model).
      say: Prints one line (or block) of the demo's output.
    """
    piece, x, labels = load_with_batch(handle)
    jp = to_jax(piece)
    say(repr(jp))
    say(f"params: {', '.join(jp.params)}\nstate:  {', '.join(jp.state)}")
    forward = jax.jit(lambda p, s, v: jp.apply(p, s, v)[0])
    difference = gap_to_tf(forward(jp.params, jp.state, x), piece, x)
    say(f"max |jit(apply)(x) - TF(x)| = {difference:.2e}")

    optimizer = optax.adam(1e-2)

    def loss_fn(params, state, rng):
        logits, new_state = jp.apply(params, state, x, training=True, rng=rng)
        data = optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()
        return data + jp.regularization_loss(params), new_state

    @jax.jit
    def step(params, state, opt_state, rng):
        (loss, new_state), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, state, rng)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), new_state, opt_state, loss

    params, state, _, loss = step(jp.params, jp.state, optimizer.init(jp.params), jax.random.key(0))
    moved = [n for n in state if not np.array_equal(state[n], jp.state[n])]
    say(f"one optax.adam step: loss {float(loss):.4f}; state updated in training: {', '.join(moved)}")
    after = gap_to_tf(forward(params, state, x), piece, x)
    say(f"after the step, max |apply(x) - TF(x)| = {after:.2e} (TF: the untrained model)")
