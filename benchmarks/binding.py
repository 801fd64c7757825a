"""Call paths as the harness sees them, and the JAX binders shared by the CPU and GPU paths.

A builder turns a model's source (a loaded SavedModel, or a `JaxPiece` on the GPU) into a
`Bind`; binding an input gives the zero-argument call that is timed. Inputs are converted
when binding, so the timed call does no conversion. This module imports no TensorFlow.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

Bind = Callable[[np.ndarray], Callable[[], Any]]


def jitted(call: Callable[..., Any], *leading: Any) -> Bind:
    """Binds the input, as a JAX array, after `leading` arguments of a jitted `call`.

    Args:
      call: A jitted function taking `*leading` and then the input.
      *leading: Its first arguments (params, a module, ...).

    Returns:
      The binder.
    """
    import jax

    return lambda x: functools.partial(call, *leading, jax.numpy.asarray(x))


def jit_apply(jax_piece: Any) -> Bind:
    """`jax.jit` of a `JaxPiece`'s inference `apply`, called with its params and state.

    Args:
      jax_piece: A `JaxPiece` (from `to_jax`, or loaded without TensorFlow).

    Returns:
      The binder.
    """
    import jax

    apply = jax.jit(lambda params, state, x: jax_piece.apply(params, state, x)[0])
    return jitted(apply, jax_piece.params, jax_piece.state)


def nnx_jit(module: Any) -> Bind:
    """`nnx.jit` of an `nnx.Module`'s inference call.

    Args:
      module: The module.

    Returns:
      The binder.
    """
    from flax import nnx

    return jitted(nnx.jit(lambda m, x: m(x)), module)


def flax_module(jax_piece: Any) -> Bind:
    """`FlaxModule(jax_piece)` under `nnx.jit`.

    Args:
      jax_piece: A `JaxPiece`.

    Returns:
      The binder.
    """
    from reusable_savedmodel.adapters.flax import FlaxModule

    return nnx_jit(FlaxModule(jax_piece))
