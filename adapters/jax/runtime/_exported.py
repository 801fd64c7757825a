"""`jax.export` for traces: serialize a `JaxTrace`, and turn an `Exported` back into one.

Every exported trace has one calling convention,
`f(variables: dict, inputs, tensor_kwargs: tuple, rng: uint32[2]) -> (outputs, updated: dict)`,
whether it was converted from TF (`JaxPiece.save`) or written by `from_jax` into a
SavedModel. Unknown dimensions become symbolic (`b` for the leading one, shared by all
inputs). No TensorFlow is imported here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from reusable_savedmodel.adapters.jax.runtime._traces import JaxTrace, LeafSpec, TraceKey
from reusable_savedmodel.interface import UnsupportedError

#: The raw key data an exported trace takes as `rng` (a legacy threefry key).
RNG_SPEC = jax.ShapeDtypeStruct((2,), np.uint32)
#: Vector-Jacobian products serialized with each trace, so `grad` works after loading.
VJP_ORDER = 1


def dimension_names(shape: Sequence[int | None], counter: list[int]) -> list[str]:
    """A shape's dimensions in `jax.export`'s symbolic syntax (also jax2tf's).

    Args:
      shape: Known sizes, None for unknown ones.
      counter: `[n]`, the number of `d` names given so far; shared across the inputs of
        one trace so that every other unknown dimension gets its own name.

    Returns:
      Known sizes as they are; `b` for an unknown leading dimension (the batch, shared
      by all inputs); `d1`, `d2`... for other unknown ones.
    """
    dims = []
    for axis, dim in enumerate(shape):
        if dim is not None:
            dims.append(str(dim))
        elif axis == 0:
            dims.append("b")
        else:
            counter[0] += 1
            dims.append(f"d{counter[0]}")
    return dims


def _symbolic(spec: LeafSpec, scope: jax.export.SymbolicScope, counter: list[int]) -> jax.ShapeDtypeStruct:
    if spec.shape is None:
        raise UnsupportedError(
            f"cannot export an input of unknown rank ({spec}); declare its rank in the "
            f"input signature."
        )
    dims = dimension_names(spec.shape, counter)
    shape = jax.export.symbolic_shape(",".join(dims), scope=scope) if dims else ()
    return jax.ShapeDtypeStruct(shape, np.dtype(spec.dtype))


def abstract_args(key: TraceKey, variables: Mapping[str, Any]) -> tuple[Any, ...]:
    """The abstract `(variables, inputs, tensor_kwargs, rng)` a trace is exported for."""
    scope = jax.export.SymbolicScope()
    counter = [0]
    leaf = lambda s: _symbolic(s, scope, counter)  # noqa: E731
    inputs = jax.tree_util.tree_map(leaf, key.inputs, is_leaf=lambda s: isinstance(s, LeafSpec))
    tensor_kwargs = tuple(leaf(dict(key.kwargs)[n]) for n in key.tensor_kwargs())
    abstract_variables = {n: jax.ShapeDtypeStruct(np.shape(v), np.asarray(v).dtype) for n, v in variables.items()}
    return abstract_variables, inputs, tensor_kwargs, RNG_SPEC


def raw_key(rng: Any) -> jax.Array:
    """A key's uint32[2] data (typed keys from `jax.random.key` are unwrapped)."""
    if jnp.issubdtype(rng.dtype, jax.dtypes.prng_key):
        return jax.random.key_data(rng)
    return jnp.asarray(rng, jnp.uint32)


def export_fn(fn: Any, key: TraceKey, variables: Mapping[str, Any], platforms: Sequence[str]) -> jax.export.Exported:
    """Exports `fn(variables, inputs, tensor_kwargs, rng)` for `key`'s shapes on `platforms`."""
    return jax.export.export(jax.jit(fn), platforms=tuple(platforms))(*abstract_args(key, variables))


def export_trace(trace: JaxTrace, variables: Mapping[str, Any], platforms: Sequence[str]) -> bytes:
    """Serializes one trace (with its VJP) for `platforms`, e.g. `("cpu", "cuda")`."""
    used = {n: variables[n] for n in trace.variable_paths}

    def fn(v, inputs, tensor_kwargs, rng):
        return trace.fn(v, inputs, tensor_kwargs, rng if trace.needs_rng else None)

    return bytes(export_fn(fn, trace.key, used, platforms).serialize(vjp_order=VJP_ORDER))


def _cast(nest: Any, specs: Any) -> Any:
    """Casts a call's arrays to the exported dtypes (and lists to lists): `Exported.call` is strict."""
    if isinstance(specs, LeafSpec):
        return jnp.asarray(nest, np.dtype(specs.dtype))
    if isinstance(specs, Mapping):
        return {k: _cast(nest[k], specs[k]) for k in specs}
    return [_cast(v, s) for v, s in zip(nest, specs)]


def trace_from_exported(
    serialized: bytes,
    key: TraceKey,
    variable_paths: Sequence[str],
    needs_rng: bool,
    rename: Mapping[str, str] | None = None,
) -> JaxTrace:
    """Turns a serialized exported trace back into a `JaxTrace`.

    Args:
      serialized: What `export_trace` (or `from_jax`) wrote.
      key: The trace's key.
      variable_paths: The paths of the variables it was exported with.
      needs_rng: Whether it draws random numbers.
      rename: Exported variable name -> the name the `JaxPiece` uses (identity if None).

    Returns:
      The trace; calling it runs the deserialized module (no TensorFlow involved).
    """
    exported = jax.export.deserialize(bytearray(serialized))
    to_piece = {n: (rename or {}).get(n, n) for n in variable_paths}
    to_exported = {v: k for k, v in to_piece.items()}
    tensor_specs = [dict(key.kwargs)[n] for n in key.tensor_kwargs()]

    def run(variables: Mapping[str, Any], inputs: Any, tensor_kwargs: tuple, rng: Any):
        own = {to_exported[n]: v for n, v in variables.items()}
        key_data = raw_key(rng) if rng is not None else jnp.zeros((2,), jnp.uint32)
        kwargs = tuple(_cast(t, s) for t, s in zip(tensor_kwargs, tensor_specs))
        outputs, updated = exported.call(own, _cast(inputs, key.inputs), kwargs, key_data)
        return outputs, {to_piece[n]: v for n, v in updated.items()}

    return JaxTrace(key=key, fn=run, variable_paths=tuple(to_piece.values()), needs_rng=needs_rng)
