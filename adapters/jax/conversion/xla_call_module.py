"""Running `XlaCallModule` ops (SavedModels written by jax2tf) in JAX.

jax2tf serializes a JAX function as a StableHLO module inside one `XlaCallModule` op: the
module bytes (`module`), its calling-convention `version`, the `platforms` it was lowered
for, and its result types (`Sout`, `Tout`). The module is what `jax.export` calls an
`Exported`'s `mlir_module_serialized`, with the same calling-convention versions, so the
op becomes an `Exported` for the shapes of each call (shape-polymorphic modules are
specialized to them first) and runs through `Exported.call`.
Gradients need nothing here: jax2tf's `with_gradient=True` puts the op under a custom
gradient whose backward pass is another `XlaCallModule` (see `gradients.py`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
import tensorflow as tf

from reusable_savedmodel.adapters.jax import compat
from reusable_savedmodel.adapters.jax.errors import XlaCallModuleError

# tf2jax's names for the op's attributes that this converter cannot honour.
_UNSUPPORTED = ("function_list", "has_token_input_output", "dim_args_spec")
# Calling-convention versions `jax.export` can call (it serializes 9 and up; 5-8 differ
# only in effects and shape assertions, which jax2tf's TF ops do not use).
_MIN_VERSION = 5


def _attr_list(proto: Any, name: str) -> list[Any]:
    value = proto.attr[name].list
    return [*value.s, *value.func, *value.type, *value.shape]


def _check(proto: Any) -> tuple[str, ...]:
    """The op's platforms, lower-case; raises `XlaCallModuleError` for what cannot run."""
    version = proto.attr["version"].i
    if version < _MIN_VERSION:
        raise XlaCallModuleError(
            f"{proto.name}: XlaCallModule version {version} is older than {_MIN_VERSION}; "
            f"re-export it with a newer jax2tf."
        )
    found = [name for name in _UNSUPPORTED if name in proto.attr and (_attr_list(proto, name) or proto.attr[name].b)]
    if found:
        raise XlaCallModuleError(f"{proto.name}: XlaCallModule uses {', '.join(found)} (host callbacks or old dynamic shapes).")
    platforms = tuple(p.decode().lower() for p in proto.attr["platforms"].list.s)
    backend = jax.default_backend()
    if platforms and backend not in platforms:
        raise XlaCallModuleError(
            f"{proto.name}: the module was exported for {', '.join(platforms)}; JAX runs on "
            f"{backend}. Re-export it with jax2tf for {backend} too."
        )
    return platforms


def _specialize(proto: Any, in_avals: tuple[tuple[tuple[int, ...], str], ...]) -> tuple[bytes, list[tuple[int, ...]]]:
    """The module for static input shapes (its dynamic shapes refined), and its result shapes."""
    avals = list(in_avals)
    if len(proto.attr["platforms"].list.s) > 1:  # the module takes the platform index first
        avals.insert(0, ((), "int32"))
    try:
        module, shapes = compat.static_module(proto.attr["module"].s, avals)
    except ValueError as error:
        raise XlaCallModuleError(f"{proto.name}: cannot refine the module's shapes for inputs {in_avals}: {error}") from error
    if any(d < 0 for shape in shapes for d in shape):
        raise XlaCallModuleError(f"{proto.name}: cannot tell the result shapes for inputs {in_avals}")
    return module, shapes


def parse(proto: Any) -> Callable[..., tuple[jax.Array, ...]]:
    """The JAX function for one `XlaCallModule` node (tf2jax's parser interface).

    Raises:
      XlaCallModuleError: for modules it cannot run (old versions, host callbacks, another
        platform).
    """
    platforms = _check(proto)
    version = proto.attr["version"].i
    out_dtypes = [np.dtype(tf.as_dtype(t).as_numpy_dtype) for t in proto.attr["Tout"].list.type]
    specialize = functools.lru_cache(maxsize=None)(lambda avals: _specialize(proto, avals))

    def run(*operands: jax.Array) -> tuple[jax.Array, ...]:
        in_avals = tuple((tuple(x.shape), np.dtype(x.dtype).name) for x in operands)
        module, out_shapes = specialize(in_avals)
        exported = compat.exported(
            name=proto.name,
            in_avals=[jax.core.ShapedArray(s, d) for s, d in in_avals],
            out_avals=[jax.core.ShapedArray(s, d) for s, d in zip(out_shapes, out_dtypes)],
            platforms=platforms or (jax.default_backend(),),
            module=module,
            version=version,
        )
        return tuple(exported.call(*operands))

    return run
