"""`to_jax`: a Reusable SavedModel (or in-process piece) as a `JaxPiece`."""

from __future__ import annotations

import ctypes
import functools
import gc
import os
import platform
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import tensorflow as tf

from reusable_savedmodel.adapters.jax.conversion import (
    Converter,
    holds_arrays,
    merge_ops,
    outputs_wide,
    read_exports,
    refuse_string_variables,
    signature_to_jax,
    trace_key,
    unconvertible_ops,
    variable_paths,
)
from reusable_savedmodel.adapters.jax.runtime import (
    JaxPiece,
    JaxTrace,
    TraceKey,
    any_wide,
    wide_scope,
)
from reusable_savedmodel.interface import Piece, ReusableError, as_piece, kit

_NO_INPUTS = TraceKey(inputs=[], training=None, kwargs=())


def _converts(candidate: Piece) -> bool:
    """Whether a named callable converts: no unconvertible ops, and its first trace converts."""
    if candidate.function is None:
        return False
    concretes = kit.pristine_concrete_functions(candidate.function)
    if not concretes or any(unconvertible_ops(c.graph) for c in concretes):
        return False
    key = trace_key(candidate.call_spec.traces[0], kit.argument_defaults(candidate.function), candidate.name)
    converter = Converter(candidate.variables, variable_paths(candidate.variables), candidate.name, str)
    try:
        converter.convert(concretes[0], key, "trace 0")
    except ReusableError:
        return False
    return True


def _hint(piece: Piece, root: Piece) -> str:
    """What to do instead: the named callables and root tf.functions that do convert (each
    tried), if any."""
    others = {n: root.callable(n) for n in [*root.callables, *root.functions]}
    names = [n for n, p in others.items() if p.obj is not piece.obj and p.function is not piece.function]
    working = [n for n in names if _converts(others[n])]
    if working:
        return (
            f"Convert a named callable or tf.function that avoids them instead, e.g. "
            f"to_jax(handle, callable={working[0]!r}) (those that convert: "
            f"{', '.join(working)}), and run the rest (e.g. text preprocessing) in TensorFlow."
        )
    if names:
        return (
            f"None of its named callables or tf.functions ({', '.join(names)}) converts either; "
            f"run it in TensorFlow (e.g. with jax2tf.call_tf)."
        )
    return (
        "This piece has no other named callable or tf.function; run it in TensorFlow "
        "(e.g. with jax2tf.call_tf)."
    )


#: Dtypes JAX takes over from a TensorFlow tensor as they are (without x64, JAX would
#: narrow 64-bit ones, which `jnp.asarray` does).
_SHARED_DTYPES = frozenset({tf.float16, tf.bfloat16, tf.float32, tf.int32})


def _jax_value(variable: tf.Variable) -> jax.Array:
    value = variable.read_value()
    if value.dtype in _SHARED_DTYPES and value.device.endswith("CPU:0"):
        # Shares the buffer of the value read (no copy of the weights): TensorFlow copies
        # on write when the variable is assigned later, so the JAX array never changes.
        # `device_put` of its NumPy view keeps sharing it and leaves the array uncommitted,
        # as `jnp.asarray` does: `from_dlpack`'s committed arrays make a jitted step's
        # outputs committed, so any uncommitted array fed back (an optimizer's step count,
        # an `nnx.Rngs` counter) changes the step's argument shardings and compiles it again.
        return jax.device_put(np.asarray(jax.dlpack.from_dlpack(value)))
    return jnp.asarray(value.numpy())


def _jax_values(variables: Sequence[tf.Variable]) -> list[jax.Array]:
    with wide_scope(any_wide(v.dtype.name for v in variables)):  # int64 stays int64
        return [_jax_value(v) for v in variables]


def to_jax(
    handle_or_piece: str | os.PathLike | Piece | Any,
    *,
    callable: str | None = None,
    signature: str | None = None,
    output_key: str | None = None,
    keep_tf: bool = True,
) -> JaxPiece:
    """Converts a Reusable SavedModel to pure JAX.

    TensorFlow is needed to convert, never to call: each trace of `__call__` (one per
    `training` value and Python keyword combination) is converted once, on first use.

    Args:
      handle_or_piece: A handle, a loaded or in-process object, or a `rsm.Piece`.
      callable: The name of a named callable (or of a bare `tf.function` at the root,
        as jax2tf exports put `f`) to convert instead of `__call__`.
      signature: The name of a signature (e.g. "serving_default") to convert instead of
        `__call__`, for inference only: the result is frozen (`params` is empty, every
        variable the signature reads is in `state`) and has only the `training=False`
        trace; it returns the signature's dict of outputs.
      output_key: With `signature`, return only this output.
      keep_tf: False converts every trace (and regularization loss) now and lets go of
        the TensorFlow object (`JaxPiece.detach`), so that only the JAX weights stay in
        memory once the caller drops its own references to it (on glibc, the freed heap
        is handed back to the OS: `malloc_trim`).

    Returns:
      A `JaxPiece` whose `params` are the piece's `trainable_variables` and `state` its
      other `variables`, keyed by unique variable paths. 64-bit inputs, variables and
      outputs (int64 ids, float64 weights) stay 64-bit without `jax_enable_x64`: the
      piece's own calls enable 64-bit types for their work only (`JaxPiece.wide`), and
      values JAX already narrowed raise `X64RequiredError`.

    Raises:
      UnconvertibleError: if a trace uses ops JAX cannot express (strings, lookup
        tables, ops tf2jax lacks); the message lists them and names the named callables.
        Also for a ragged or sparse input, or a trace reading a string variable (named).
      NonConformingError: for a missing named callable, signature or output, or a root
        without `__call__` when neither was named (the message lists what can run).
      HandleError: if the handle cannot be loaded.
      ValueError: for `signature` together with `callable`, or `output_key` without
        `signature`.
    """
    converted = _convert(handle_or_piece, callable, signature, output_key)
    if keep_tf:
        return converted
    converted.detach()  # the TensorFlow objects went with `_convert`'s frame; its traces let go now
    # Conversion leaves TensorFlow graphs (the traced and re-imported functions) in
    # reference cycles. Collected here, before the caller allocates more, their memory is
    # reused; left to a later collection, more stays resident (measured on the benchmark's
    # wide_mlp: 1.11x the weights' bytes held after, against 1.02x).
    gc.collect()
    _return_freed_heap()
    return converted


@functools.cache
def _malloc_trim() -> Any:
    """glibc's `malloc_trim`, or None where the C library is not glibc (macOS, musl)."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    return ctypes.CDLL("libc.so.6").malloc_trim


def _return_freed_heap() -> None:
    """Hands the heap pages freed with the TensorFlow object back to the OS.

    glibc keeps freed small blocks (graph protos, function definitions: most of a
    convnet's TensorFlow memory) in its arenas for reuse, so without this the process
    stays as large as if the object were alive (measured on MobileNetV2 0.35: 132 MiB
    resident after, against 50 MiB trimmed; BERT-small 152 against 121).
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _convert(
    handle_or_piece: str | os.PathLike | Piece | Any, callable: str | None, signature: str | None,
    output_key: str | None,
) -> JaxPiece:
    """`to_jax` with `keep_tf=True` (see there)."""
    root = as_piece(handle_or_piece)
    entry = kit.choose_entry_point(
        root, owner="to_jax", callable=callable, signature=signature, output_key=output_key
    )
    if entry.signature is not None:
        return signature_to_jax(root, entry.signature, entry.output_key, _jax_values)
    piece = entry.piece
    found = read_exports(piece)
    if found is not None:
        return found
    defaults = kit.argument_defaults(piece.function)
    keys = [trace_key(t, defaults, piece.name) for t in piece.call_spec.traces]
    concretes = kit.pristine_concrete_functions(piece.function)
    refuse_string_variables(concretes, piece.name)
    variables = [v for v in piece.variables if holds_arrays(v)]  # no trace reads the others
    names = variable_paths(variables)
    trainable = {id(v) for v in piece.trainable_variables}
    values = dict(zip(names, _jax_values(variables)))
    params = {n: values[n] for v, n in zip(variables, names) if id(v) in trainable}
    state = {n: values[n] for v, n in zip(variables, names) if id(v) not in trainable}
    del values
    converter = Converter(variables, names, piece.name, lambda: _hint(piece, root))

    # One error up front, listing every op of every trace that cannot be converted.
    bad = merge_ops([unconvertible_ops(c.graph) for c in concretes])
    if bad:
        raise converter.unconvertible("`__call__`", bad)

    def build(index: int) -> JaxTrace:
        return converter.convert(concretes[index], keys[index], f"trace {index} ({keys[index].describe()})")

    def build_regularization() -> list[JaxTrace]:
        return [
            converter.convert(loss.get_concrete_function(), _NO_INPUTS, f"regularization loss {i}")
            for i, loss in enumerate(piece.regularization_losses)
        ]

    converted = JaxPiece(
        name=piece.name,
        params=params,
        state=state,
        keys=keys,
        build=build,
        build_regularization=build_regularization,
        wide=outputs_wide(concretes),
    )
    return converted
