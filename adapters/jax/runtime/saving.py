"""Saving a `JaxPiece` for machines without TensorFlow (`loading.load_jax_piece` reads it back).

A directory holds `piece.json` (trace keys, variable names), `variables.npz` (params and
state) and one `jax.export` serialization per trace and per regularization loss, each for
the platforms asked (by default cpu and cuda) with its VJP. Loading imports no TensorFlow.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from reusable_savedmodel.adapters.jax.runtime import exported as exported_lib
from reusable_savedmodel.adapters.jax.runtime.traces import JaxTrace, TraceKey

FORMAT = "reusable_savedmodel.jax_piece/1"
DEFAULT_PLATFORMS = ("cpu", "cuda")
MANIFEST = "piece.json"
VARIABLES = "variables.npz"


class TracedPiece(Protocol):
    """What saving reads from a `JaxPiece` (declared here so that this module, which
    `JaxPiece.save` uses, does not import the class)."""

    name: str
    params: Mapping[str, Any]
    state: Mapping[str, Any]
    keys: Sequence[TraceKey]
    wide: bool

    def trace(self, index: int) -> JaxTrace: ...

    @property
    def regularization_traces(self) -> Sequence[JaxTrace]: ...


def _entry(trace: JaxTrace, file: str) -> dict:
    return {
        "file": file,
        "key": trace.key.to_json(),
        "variable_names": list(trace.variable_paths),  # the format's key since version 1
        "needs_rng": trace.needs_rng,
    }


def save_jax_piece(
    piece: TracedPiece, path: str | os.PathLike, *, platforms: Sequence[str] = DEFAULT_PLATFORMS
) -> Path:
    """Writes every trace of `piece` (converting those not converted yet) to `path`.

    Args:
      piece: The piece.
      path: A directory to create (it must not exist).
      platforms: `jax.export` platforms each trace is lowered for.

    Returns:
      The directory.

    Raises:
      FileExistsError: if `path` exists.
      ValueError: if an input has unknown rank (it cannot be exported symbolically).
    """
    target = Path(path)
    target.mkdir(parents=True)
    variables = {**piece.state, **piece.params}
    entries = []
    for index in range(len(piece.keys)):
        trace = piece.trace(index)
        file = f"trace_{index}.jax"
        (target / file).write_bytes(exported_lib.export_trace(trace, variables, platforms))
        entries.append(_entry(trace, file))
    losses = []
    for index, trace in enumerate(piece.regularization_traces):
        file = f"regularization_{index}.jax"
        (target / file).write_bytes(exported_lib.export_trace(trace, variables, platforms))
        losses.append(_entry(trace, file))
    arrays = {f"params/{k}": np.asarray(v) for k, v in piece.params.items()}
    arrays.update({f"state/{k}": np.asarray(v) for k, v in piece.state.items()})
    np.savez(target / VARIABLES, **arrays)
    manifest = {
        "format": FORMAT,
        "name": piece.name,
        "platforms": list(platforms),
        "traces": entries,
        "regularization": losses,
        "wide": piece.wide,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=1))
    return target
