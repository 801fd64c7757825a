"""Signature-only models (Keras 3 `model.export()`, most hub SavedModels) as frozen `JaxPiece`s.

A signature (`obj.signatures[name]`) is an inference-only entry point: keyword tensors in,
a dict of tensors out, no `training`. Its `JaxPiece` is frozen: `params` is empty (there
is nothing the protocol says may be fine-tuned) and every variable the signature reads is
in `state`; the only trace is the inference one (`training=False`).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import jax
import tensorflow as tf

from reusable_savedmodel.adapters.jax.conversion._convert import (
    Converter,
    leaf_spec,
    outputs_wide,
    refuse_string_variables,
    unconvertible_ops,
    variable_paths,
)
from reusable_savedmodel.adapters.jax.runtime import JaxPiece, JaxTrace, TraceKey
from reusable_savedmodel.interface import NonConformingError, Piece


def signature_to_jax(
    piece: Piece, name: str, output_key: str | None, values: Callable[[list[tf.Variable]], list[jax.Array]]
) -> JaxPiece:
    """Converts the signature `name` of `piece` (see the module docstring).

    Args:
      piece: The loaded model.
      name: The signature's name (one `piece` has: see `kit.choose_entry_point`).
      output_key: One output to return instead of the dict of all of them.
      values: Reads variables' values as JAX arrays.

    Raises:
      NonConformingError: if the signature has no such output.
      UnconvertibleError: if the signature uses ops JAX cannot express.
    """
    concrete = piece.signatures[name]  # `choose_entry_point` found it
    outputs = concrete.structured_outputs
    if output_key is not None and output_key not in outputs:
        raise NonConformingError(
            f"{piece.name}: signature {name!r} has no output {output_key!r}; outputs: {', '.join(sorted(outputs))}."
        )
    variables = list(concrete.variables)
    refuse_string_variables([concrete], f"{piece.name}.signatures[{name!r}]")
    names = variable_paths(variables)
    what = f"signature {name!r}"
    converter = Converter(variables, names, piece.name, lambda: "Run the signature in TensorFlow.")
    bad = unconvertible_ops(concrete.graph)
    if bad:
        raise converter.unconvertible(what, bad)
    _, specs = concrete.structured_input_signature
    # Signatures take keyword tensors: the flat inputs follow the sorted names, as a
    # dict's leaves do in JAX.
    keys = [TraceKey(inputs={k: leaf_spec(s) for k, s in sorted(specs.items())}, training=False, kwargs=())]
    if len(specs) == 1:  # a one-input signature also takes its tensor alone (as KerasLayer does)
        ((only, spec),) = specs.items()
        keys.append(TraceKey(inputs=leaf_spec(spec), training=False, kwargs=()))

    @functools.cache
    def converted() -> JaxTrace:
        return converter.convert(concrete, keys[0], what)

    def build(index: int) -> JaxTrace:
        trace = converted()
        pick = (lambda result: result) if output_key is None else (lambda result: result[output_key])
        wrap = (lambda inputs: inputs) if index == 0 else (lambda inputs: {only: inputs})

        def run(variables: Any, inputs: Any, *rest: Any) -> tuple[Any, dict[str, Any]]:
            result, updated = trace.fn(variables, wrap(inputs), *rest)
            return pick(result), updated

        return dataclasses.replace(trace, key=keys[index], fn=run)

    return JaxPiece(
        name=f"{piece.name}.signatures[{name!r}]",
        params={},
        state=dict(zip(names, values(variables))),
        keys=keys,
        build=build,
        build_regularization=list,
        wide=outputs_wide([concrete]),
    )
