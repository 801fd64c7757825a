"""`to_jax`: a Reusable SavedModel (or in-process piece) as a `JaxPiece`."""

from __future__ import annotations

import os
from typing import Any

from reusable_savedmodel.adapters.jax.convert import (
    Converter,
    UnconvertibleError,
    trace_key,
    unconvertible_ops,
    variable_paths,
)
from reusable_savedmodel.adapters.jax.jax_piece import JaxPiece
from reusable_savedmodel.adapters.jax.serialization import embedded
from reusable_savedmodel.adapters.jax.traces import JaxTrace, TraceKey
from reusable_savedmodel.interface import Piece, as_piece, kit

_NO_INPUTS = TraceKey(inputs=[], training=None, kwargs=())


def _hint(piece: Piece, root: Piece) -> str:
    names = [n for n in root.callables if root.callables[n] is not piece]
    if names:
        return (
            f"Convert a named callable that avoids them instead, e.g. "
            f"to_jax(handle, callable={names[0]!r}) (named callables: {', '.join(names)}), and "
            f"run the rest (e.g. text preprocessing) in TensorFlow."
        )
    return "This piece has no named callables; run it in TensorFlow (e.g. with jax2tf.call_tf)."


def to_jax(handle_or_piece: str | os.PathLike | Piece | Any, *, callable: str | None = None) -> JaxPiece:
    """Converts a Reusable SavedModel to pure JAX.

    TensorFlow is needed to convert, never to call: each trace of `__call__` (one per
    `training` value and Python keyword combination) is converted once, on first use.

    Args:
      handle_or_piece: A handle, a loaded or in-process object, or a `rsm.Piece`.
      callable: The name of a named callable to convert instead of `__call__`.

    Returns:
      A `JaxPiece` whose `params` are the piece's `trainable_variables` and `state` its
      other `variables`, keyed by unique variable paths.

    Raises:
      UnconvertibleError: if a trace uses ops JAX cannot express (strings, lookup
        tables, ops tf2jax lacks); the message lists them and names the named callables.
      NonConformingError: for a signature-only model, or a missing named callable.
      HandleError: if the handle cannot be loaded.
    """
    root = as_piece(handle_or_piece)
    piece = root.callable(callable) if callable is not None else root
    if piece.function is None:
        raise UnconvertibleError(
            f"{piece.name} is signature-only: it has no `__call__` to convert (signatures "
            f"are inference-only); run it in TensorFlow."
        )
    found = embedded.read(piece)
    if found is not None:
        return found
    names = variable_paths(piece.variables)
    trainable = {id(v) for v in piece.trainable_variables}
    params = {n: v.numpy() for v, n in zip(piece.variables, names) if id(v) in trainable}
    state = {n: v.numpy() for v, n in zip(piece.variables, names) if id(v) not in trainable}
    converter = Converter(piece.variables, names, piece.name, _hint(piece, root))
    concretes = kit.pristine_concrete_functions(piece.function)
    defaults = kit.argument_defaults(piece.function)
    keys = [trace_key(t, defaults) for t in piece.spec.call.traces]

    # One error up front, listing every op of every trace that cannot be converted.
    bad = sorted({op for c in concretes for op in unconvertible_ops(c.graph)})
    if bad:
        raise converter.unconvertible("`__call__`", bad)

    def build(index: int) -> JaxTrace:
        return converter.convert(concretes[index], keys[index], f"trace {index} ({keys[index].describe()})")

    def build_regularization() -> list[JaxTrace]:
        return [
            converter.convert(loss.get_concrete_function(), _NO_INPUTS, f"regularization loss {i}")
            for i, loss in enumerate(piece.regularization_losses)
        ]

    return JaxPiece(
        name=piece.name,
        params=params,
        state=state,
        keys=keys,
        build=build,
        build_regularization=build_regularization,
    )
