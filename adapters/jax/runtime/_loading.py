"""Loading what `files.save_jax_piece` wrote, as a `JaxPiece`; needs JAX only (no TensorFlow)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from reusable_savedmodel.adapters.jax.runtime import _exported as exported_lib
from reusable_savedmodel.adapters.jax.runtime._jax_piece import JaxPiece
from reusable_savedmodel.adapters.jax.runtime._saving import FORMAT, MANIFEST, VARIABLES
from reusable_savedmodel.adapters.jax.runtime._traces import JaxTrace, TraceKey
from reusable_savedmodel.interface import HandleError


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
      HandleError: if the directory holds no saved `JaxPiece` of this format (a `ValueError`).
    """
    directory = Path(path)
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise HandleError(f"{directory} holds no saved JaxPiece (no {MANIFEST}).")
    manifest = json.loads(manifest_path.read_text())
    if manifest.get("format") != FORMAT:
        raise HandleError(f"{manifest_path}: format {manifest.get('format')!r}, expected {FORMAT!r}.")
    with np.load(directory / VARIABLES) as arrays:
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
        wide=manifest.get("wide", False),
    )
