"""JAX exports embedded in `from_jax` SavedModels, for the way back to JAX.

tf2jax 0.3.8 cannot convert the `XlaCallModule` ops that `jax2tf.convert` writes (with
JAX 0.10 it fails with "An MLIR function requires a Context"). So `from_jax` also stores
each trace as a `jax.export` serialization (with its VJP) in a string variable; `to_jax`
finds it and deserializes it, and the round trip runs the original JAX computation with
the SavedModel's current variable values (e.g. after fine-tuning in TF).
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import tensorflow as tf

from reusable_savedmodel.adapters.jax.conversion._convert import (
    trace_key,
    variable_name,
    variable_paths,
)
from reusable_savedmodel.adapters.jax.runtime import (
    VJP_ORDER,
    JaxPiece,
    JaxTrace,
    TraceKey,
    export_fn,
    trace_from_exported,
)
from reusable_savedmodel.interface import NonConformingError, Piece
from reusable_savedmodel.interface.kit import TraceSpec

FORMAT = "reusable_savedmodel.jax_embedded/1"
#: The attribute of the exported object holding `[manifest, trace blobs...]`.
ATTRIBUTE = "_jax_traces"
PLATFORMS = ("cpu", "cuda")
_NO_INPUTS = TraceKey(inputs=[], training=None, kwargs=())


def _keys_for(input_signature: Any) -> dict[bool, TraceKey]:
    """The `TraceKey`s of a `from_jax` piece's two traces (training False and True)."""
    return {
        training: trace_key(TraceSpec(inputs=input_signature, training=training, kwargs={}, outputs=None), {})
        for training in (False, True)
    }


def attach(module: Any, input_signature: Any) -> None:
    """Stores `module`'s traces (a `produce.JaxExport`) as `jax.export` serializations."""
    variables = {variable_name(v): v.numpy() for v in [*module.params, *module.state]}
    entries, blobs = [], []
    for training, key in _keys_for(input_signature).items():
        exported = export_fn(module.jax_apply(training), key, variables, PLATFORMS)
        blobs.append(bytes(exported.serialize(vjp_order=VJP_ORDER)))
        entries.append({"key": key.to_json(), "needs_rng": training and module.takes_rng})
    regularization = module.jax_regularization()
    if regularization is not None:
        exported = export_fn(regularization, _NO_INPUTS, variables, PLATFORMS)
        blobs.append(bytes(exported.serialize(vjp_order=VJP_ORDER)))
    manifest = {
        "format": FORMAT,
        "variables": list(variables),
        "traces": entries,
        "regularization": regularization is not None,
    }
    blob = [json.dumps(manifest).encode(), *blobs]
    setattr(module, ATTRIBUTE, tf.Variable(blob, trainable=False, dtype=tf.string, name="jax_traces"))


def read(piece: Piece) -> JaxPiece | None:
    """A `JaxPiece` from the exports embedded in `piece`, or None if it has none.

    Raises:
      NonConformingError: if the embedded exports do not fit the piece's variables.
    """
    stored = getattr(piece.obj, ATTRIBUTE, None)
    if stored is None:
        return None
    manifest_bytes, *blobs = [bytes(b) for b in stored.numpy()]
    manifest = json.loads(manifest_bytes)
    if manifest.get("format") != FORMAT:
        raise NonConformingError(f"{piece.name}: embedded JAX exports of unknown format {manifest.get('format')!r}.")
    names = variable_paths(piece.variables)
    exported_names = manifest["variables"]
    missing = sorted(set(exported_names) - set(names))
    if missing:
        raise NonConformingError(f"{piece.name}: embedded JAX exports read variables the piece lacks: {missing}.")
    trainable = {id(v) for v in piece.trainable_variables}
    values = {n: np.asarray(v.numpy()) for n, v in zip(names, piece.variables)}
    params = {n: values[n] for n, v in zip(names, piece.variables) if id(v) in trainable}
    state = {n: values[n] for n, v in zip(names, piece.variables) if id(v) not in trainable}
    entries = manifest["traces"]

    def build(index: int) -> JaxTrace:
        entry = entries[index]
        return trace_from_exported(
            blobs[index], TraceKey.from_json(entry["key"]), exported_names, entry["needs_rng"]
        )

    def build_regularization() -> list[JaxTrace]:
        if not manifest["regularization"]:
            return []
        return [trace_from_exported(blobs[-1], _NO_INPUTS, exported_names, False)]

    return JaxPiece(
        name=piece.name,
        params=params,
        state=state,
        keys=[TraceKey.from_json(e["key"]) for e in entries],
        build=build,
        build_regularization=build_regularization,
    )
