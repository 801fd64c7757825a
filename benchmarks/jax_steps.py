"""Training steps of a converted model in JAX, the counterparts of `benchmarks.tape_steps`.

The same work as the eager TensorFlow steps, compiled: the forward pass with `training=True`
(the training trace; a fixed PRNG key where it draws random numbers, e.g. dropout), the
mean square of every output plus the piece's regularization loss, the gradient with
respect to the trainable params, one SGD update (and the trace's new state, e.g. batch-norm
statistics, carried to the next step). This module imports no TensorFlow.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks import native
from benchmarks.binding import Bind

LEARNING_RATE = 1e-3


def mean_square(outputs: Any) -> Any:
    """The stand-in loss: the sum over outputs of each one's mean square."""
    import jax
    import jax.numpy as jnp

    return sum(jnp.mean(jnp.square(o)) for o in jax.tree_util.tree_leaves(outputs))


def to_jax_step(jax_piece: Any) -> Bind:
    """A `jax.jit` step through `JaxPiece.apply(..., training=True)`.

    Args:
      jax_piece: A `JaxPiece` (its params are the starting point; arrays are immutable, so
        the step trains its own copy).

    Returns:
      The binder.
    """
    import jax

    @jax.jit
    def step(params: Any, state: Any, x: Any, rng: Any) -> Any:
        def loss(p: Any) -> Any:
            outputs, new_state = jax_piece.apply(p, state, x, training=True, rng=rng)
            return mean_square(outputs) + jax_piece.regularization_loss(p), new_state

        grads, new_state = jax.grad(loss, has_aux=True)(params)
        return jax.tree_util.tree_map(lambda p, g: p - LEARNING_RATE * g, params, grads), new_state

    def bind(x: np.ndarray) -> Callable[[], Any]:
        held = [jax_piece.params, jax_piece.state]
        xs, rng = jax.numpy.asarray(x), jax.random.key(0)

        def call() -> Any:
            held[:] = step(held[0], held[1], xs, rng)
            return held[0]

        return call

    return bind


def flax_module_step(jax_piece: Any) -> Bind:
    """An `nnx.jit` step of `FlaxModule` in training mode (its `nnx.Param`s, SGD).

    Args:
      jax_piece: A `JaxPiece`.

    Returns:
      The binder.
    """
    from flax import nnx

    from reusable_savedmodel.adapters.flax import FlaxModule

    module = FlaxModule(jax_piece, rngs=nnx.Rngs(0))
    module.train()
    return native.nnx_step(module, lambda m, x, labels: mean_square(m(x)) + m.regularization_loss(), LEARNING_RATE)
