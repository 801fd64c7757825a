"""Figures passed to and from a child interpreter: JSON for the structure, npz for arrays.

A value is a nest of dicts (any JSON scalar as key, booleans included), lists, tuples,
numpy arrays (arrays of `bytes` or `str` of dtype object included), JSON scalars and the crosscheck dataclasses `Truth` and `CallableTruth`.
`write(directory, name, value)` stores it as `name.json` and `name.npz`; `read` rebuilds it.
No pickle: only arrays and plain JSON cross over.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np

from reusable_savedmodel.adapters.crosscheck._compare import CallableTruth, Tolerance, Truth

#: The dataclasses a value may contain, by name.
_CLASSES = {cls.__name__: cls for cls in (Truth, CallableTruth, Tolerance)}


def write(directory: Path, name: str, value: Any) -> None:
    """Stores `value` as `directory/name.json` and `directory/name.npz`.

    Raises:
      TypeError: for a value of another type than those listed in the module docstring.
    """
    arrays: dict[str, np.ndarray] = {}
    (directory / f"{name}.json").write_text(json.dumps(_encode(value, arrays)))
    np.savez(directory / f"{name}.npz", **arrays)  # type: ignore[arg-type]  # numpy's stubs match **arrays against allow_pickle


def read(directory: Path, name: str) -> Any:
    """The value `write(directory, name, value)` stored."""
    with np.load(directory / f"{name}.npz", allow_pickle=False) as arrays:
        return _decode(json.loads((directory / f"{name}.json").read_text()), arrays)


def _encode(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, (np.ndarray, np.generic)):
        key, value = f"a{len(arrays)}", np.asarray(value)
        if value.dtype == object:  # strings: npz stores them without pickle as fixed-width arrays
            as_bytes = all(isinstance(item, bytes) for item in value.flat)
            arrays[key] = value.astype(bytes if as_bytes else str)
            return {"array": key, "object": True}
        arrays[key] = value
        return {"array": key}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {"dict": [[_encode(k, arrays), _encode(v, arrays)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        # Subclasses (named tuples, framework list wrappers) cross as the plain sequence.
        return {"tuple" if isinstance(value, tuple) else "list": [_encode(v, arrays) for v in value]}
    if type(value) in _CLASSES.values():
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        return {"class": type(value).__name__, "fields": _encode(fields, arrays)}
    raise TypeError(f"cannot pass a {type(value).__name__} between interpreters")


def _decode(value: Any, arrays: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "array" in value:
        array = arrays[value["array"]]
        return array.astype(object) if value.get("object") else array
    if "dict" in value:
        return {_decode(k, arrays): _decode(v, arrays) for k, v in value["dict"]}
    if "list" in value:
        return [_decode(v, arrays) for v in value["list"]]
    if "tuple" in value:
        return tuple(_decode(v, arrays) for v in value["tuple"])
    return _CLASSES[value["class"]](**_decode(value["fields"], arrays))
