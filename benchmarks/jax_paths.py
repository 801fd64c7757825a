"""The GPU call paths: converted models loaded without TensorFlow, and native Flax.

Each builder takes a `JaxPiece` that `benchmarks.gpu_artifacts` saved on a machine with
TensorFlow and returns a `Bind`. This module imports no TensorFlow, so it runs where only
JAX and Flax are installed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from benchmarks.binding import Bind, flax_module, jit_apply, jitted, nnx_jit


def _native_jax_jit(jax_piece: Any) -> Bind:
    import jax
    from flax import nnx

    from benchmarks import native_flax

    graph, state = nnx.split(native_flax.from_piece(jax_piece))
    return jitted(jax.jit(lambda s, x: nnx.merge(graph, s)(x)), state)


def _native_nnx_jit(jax_piece: Any) -> Bind:
    from benchmarks import native_flax

    return nnx_jit(native_flax.from_piece(jax_piece))


#: Path name -> builder, in report order; converted paths pair with native ones.
PATHS: dict[str, Callable[[Any], Bind]] = {
    "native Flax jax.jit": _native_jax_jit,
    "to_jax + jax.jit": jit_apply,
    "native Flax nnx.jit": _native_nnx_jit,
    "FlaxModule nnx.jit": flax_module,
}

#: Ratios are taken against the first of these that was measured (a model without a
#: native network falls back to the converted call).
BASELINES = ("native Flax jax.jit", "to_jax + jax.jit")
