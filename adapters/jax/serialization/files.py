"""Saving a `JaxPiece` for machines without TensorFlow, and loading it back.

A directory holds `piece.json` (trace keys, variable names), `variables.npz` (params and
state) and one `jax.export` serialization per trace and per regularization loss, each for
the platforms asked (by default cpu and cuda) with its VJP. Loading imports no TensorFlow.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from reusable_savedmodel.adapters.jax.jax_piece import JaxPiece
from reusable_savedmodel.adapters.jax.serialization import exported as exported_lib
from reusable_savedmodel.adapters.jax.traces import JaxTrace, TraceKey

FORMAT = "reusable_savedmodel.jax_piece/1"
DEFAULT_PLATFORMS = ("cpu", "cuda")
_MANIFEST = "piece.json"
_VARIABLES = "variables.npz"


def _entry(trace: JaxTrace, file: str) -> dict:
    return {
        "file": file,
        "key": trace.key.to_json(),
        "variable_names": list(trace.variable_names),
        "needs_rng": trace.needs_rng,
    }


def save_jax_piece(
    piece: JaxPiece, path: str | os.PathLike, *, platforms: Sequence[str] = DEFAULT_PLATFORMS
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
    np.savez(target / _VARIABLES, **arrays)
    manifest = {"format": FORMAT, "name": piece.name, "platforms": list(platforms), "traces": entries, "regularization": losses}
    (target / _MANIFEST).write_text(json.dumps(manifest, indent=1))
    return target


def _trace(entry: dict, serialized: bytes) -> JaxTrace:
    return exported_lib.trace_from_exported(
        serialized,
        TraceKey.from_json(entry["key"]),
        entry["variable_names"],
        entry["needs_rng"],
    )


def load_jax_piece(path: str | os.PathLike) -> JaxPiece:
    """Loads what `save_jax_piece` wrote; needs JAX only (no TensorFlow).

    Args:
      path: The directory.

    Returns:
      A `JaxPiece`; each trace is deserialized on first use.

    Raises:
      ValueError: if the directory holds no saved `JaxPiece` of this format.
    """
    directory = Path(path)
    manifest_path = directory / _MANIFEST
    if not manifest_path.is_file():
        raise ValueError(f"{directory} holds no saved JaxPiece (no {_MANIFEST}).")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{manifest_path}: format {manifest.get('format')!r}, expected {FORMAT!r}.")
    with np.load(directory / _VARIABLES) as arrays:
        params = {k[len("params/"):]: arrays[k] for k in arrays.files if k.startswith("params/")}
        state = {k[len("state/"):]: arrays[k] for k in arrays.files if k.startswith("state/")}
    entries, losses = manifest["traces"], manifest["regularization"]
    # Read now (the directory may go away), deserialize on first use.
    blobs = [(directory / e["file"]).read_bytes() for e in entries]
    loss_blobs = [(directory / e["file"]).read_bytes() for e in losses]
    return JaxPiece(
        name=manifest["name"],
        params=params,
        state=state,
        keys=[TraceKey.from_json(e["key"]) for e in entries],
        build=lambda index: _trace(entries[index], blobs[index]),
        build_regularization=lambda: [_trace(e, b) for e, b in zip(losses, loss_blobs)],
    )
