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

import jax
import numpy as np

from reusable_savedmodel.adapters.jax.runtime import _exported as exported_lib
from reusable_savedmodel.adapters.jax.runtime._traces import JaxTrace, LeafSpec, TraceKey
from reusable_savedmodel.interface import ReusableError, UnsupportedError

FORMAT = "reusable_savedmodel.jax_piece/1"
DEFAULT_PLATFORMS = ("cpu", "cuda")
MANIFEST = "piece.json"
VARIABLES = "variables.npz"


class TracedPiece(Protocol):
    """What saving reads from a `JaxPiece` (declared here so that this module, which
    `JaxPiece.save` uses, does not import the class)."""

    # Read-only (properties), so a JaxPiece's tuple and dicts satisfy them.
    @property
    def name(self) -> str: ...

    @property
    def params(self) -> Mapping[str, Any]: ...

    @property
    def state(self) -> Mapping[str, Any]: ...

    @property
    def keys(self) -> Sequence[TraceKey]: ...

    @property
    def wide(self) -> bool: ...

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


def _export(
    trace: JaxTrace, variables: Mapping[str, Any], platforms: Sequence[str], where: str
) -> bytes:
    """`exported.export_trace`, its lowering errors typed (e.g. a jax2tf module made for
    fewer platforms than asked)."""
    try:
        return exported_lib.export_trace(trace, variables, platforms)
    except ReusableError:
        raise
    except ValueError as error:
        raise UnsupportedError(
            f"{where} cannot be exported for platforms {tuple(platforms)}: {error} "
            f"(pass `platforms=` with the platforms it supports)."
        ) from error
    except Exception as error:
        if not _has_unknown_dimensions(trace.key):
            raise
        # tf2jax converts some ops (TensorList reserves, fills sized by a tensor) for
        # concrete shapes only; under jax.export's symbolic ones they fail in many ways.
        reason = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
        raise UnsupportedError(
            f"{where} cannot be exported with symbolic dimensions ({trace.key.describe()}): "
            f"an op of the converted trace needs them known ({reason}). Keep the model as a "
            f"SavedModel (`rsm.save`), or export it with fixed input shapes."
        ) from error


def _has_unknown_dimensions(key: TraceKey) -> bool:
    """Whether any input of the trace has a dimension that is exported as a symbol."""
    specs = jax.tree_util.tree_leaves(key.inputs, is_leaf=lambda s: isinstance(s, LeafSpec))
    specs += [spec for spec in dict(key.kwargs).values() if isinstance(spec, LeafSpec)]
    return any(spec.shape is not None and None in spec.shape for spec in specs)


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
      UnsupportedError: if an input has unknown rank (it cannot be exported
        symbolically), or a trace cannot be lowered for `platforms` (nothing is written).
    """
    target = Path(path)
    if target.exists():
        raise FileExistsError(f"{target} exists; JaxPiece.save writes a new directory.")
    variables = {**piece.state, **piece.params}
    # Everything is exported before the directory is made: a failure leaves nothing behind.
    files: dict[str, bytes] = {}
    entries: list[dict] = []
    losses: list[dict] = []
    for kind, traces, listed in (
        ("trace", [piece.trace(i) for i in range(len(piece.keys))], entries),
        ("regularization", piece.regularization_traces, losses),
    ):
        for index, trace in enumerate(traces):
            file = f"{kind}_{index}.jax"
            files[file] = _export(trace, variables, platforms, f"{piece.name}: {kind} {index}")
            listed.append(_entry(trace, file))
    target.mkdir(parents=True)
    for file, serialized in files.items():
        (target / file).write_bytes(serialized)
    # Any: numpy's stubs match **arrays against savez's allow_pickle keyword too.
    arrays: dict[str, Any] = {f"params/{k}": np.asarray(v) for k, v in piece.params.items()}
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
