"""Running `XlaCallModule` ops (SavedModels written by jax2tf) in JAX.

jax2tf serializes a JAX function as a StableHLO module inside one `XlaCallModule` op: the
module bytes (`module`), its calling-convention `version`, the `platforms` it was lowered
for, and its result types (`Sout`, `Tout`). The module is what `jax.export` calls an
`Exported`'s `mlir_module_serialized`, with the same calling-convention versions, so the
op becomes an `Exported` for the shapes of each call (shape-polymorphic modules are
specialized to them first) and runs through `Exported.call`. Traced with symbolic
dimensions (`jax.export` of a converted piece, Keras's symbolic build), the module stays
polymorphic: its result dimensions, which it declares only as dynamic, are found as
linear expressions of the argument symbols by refining it for a few sizes.
Gradients need nothing here: jax2tf's `with_gradient=True` puts the op under a custom
gradient whose backward pass is another `XlaCallModule` (see `_gradients.py`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import numpy as np
import tensorflow as tf

from reusable_savedmodel.adapters.jax import _compat as compat
from reusable_savedmodel.adapters.jax._errors import XlaCallModuleError

# tf2jax's names for the op's attributes that this converter cannot honour.
_UNSUPPORTED = ("function_list", "has_token_input_output", "dim_args_spec")
# Calling-convention versions `jax.export` can call (it serializes 9 and up; 5-8 differ
# only in effects and shape assertions, which jax2tf's TF ops do not use).
_MIN_VERSION = 5
# The symbol sizes the result dimensions are probed at: a base, one more (the slope)
# and, to check the fit, other sizes per symbol.
_BASE, _CHECK = 2, 5

#: A call's argument types: (shape, dtype name) per operand; dimensions may be symbolic.
Avals = tuple[tuple[tuple[Any, ...], str], ...]


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


def _specialize(proto: Any, in_avals: Avals) -> tuple[bytes, list[tuple[int, ...]]]:
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


def _symbolic_results(
    name: str, specialize: Callable[[Avals], tuple[bytes, list[tuple[int, ...]]]], in_avals: Avals
) -> list[tuple[Any, ...]]:
    """The result shapes for symbolic argument shapes, as expressions of their symbols.

    Each result dimension is taken to be linear in the symbols (what shape polymorphism
    yields for batch-like dimensions): fitted from refinements at a base size and one
    more per symbol, then checked at other sizes.

    Raises:
      XlaCallModuleError: if a result dimension is not linear in the symbols.
    """
    dims = [d for shape, _ in in_avals for d in shape if jax.export.is_symbolic_dim(d)]
    names = sorted(set().union(*(d.get_vars() for d in dims)))
    symbols = {n: jax.export.symbolic_shape(n, scope=dims[0].scope)[0] for n in names}

    def results_at(values: dict[str, int]) -> list[tuple[int, ...]]:
        concrete = tuple(
            (tuple(compat.evaluate_dimension(d, values) if jax.export.is_symbolic_dim(d) else d for d in shape), dtype)
            for shape, dtype in in_avals
        )
        return specialize(concrete)[1]

    base_values = dict.fromkeys(names, _BASE)
    base = results_at(base_values)
    slopes = {n: results_at({**base_values, n: _BASE + 1}) for n in names}
    check_values = {n: _CHECK + i for i, n in enumerate(names)}
    checked = results_at(check_values)
    shapes = []
    for index, shape in enumerate(base):
        dims_out = []
        for axis, size in enumerate(shape):
            coefficients = {n: slopes[n][index][axis] - size for n in names}
            constant = size - _BASE * sum(coefficients.values())
            if constant + sum(c * check_values[n] for n, c in coefficients.items()) != checked[index][axis]:
                raise XlaCallModuleError(
                    f"{name}: result {index} dimension {axis} is not linear in the symbolic "
                    f"dimensions {names} of inputs {in_avals}; call it with static shapes."
                )
            dims_out.append(sum((c * symbols[n] for n, c in coefficients.items() if c), constant))
        shapes.append(tuple(dims_out))
    return shapes


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
    symbolic_results = functools.lru_cache(maxsize=None)(
        lambda avals: _symbolic_results(proto.name, specialize, avals)
    )

    def run(*operands: jax.Array) -> tuple[jax.Array, ...]:
        in_avals = tuple((tuple(x.shape), np.dtype(x.dtype).name) for x in operands)
        if any(jax.export.is_symbolic_dim(d) for shape, _ in in_avals for d in shape):
            # The module as it is: the call's refinement resolves the symbols later.
            module, out_shapes = proto.attr["module"].s, symbolic_results(in_avals)
        else:
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
