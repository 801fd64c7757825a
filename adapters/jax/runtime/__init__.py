"""The JAX adapter's TF-free half: what runs on a host with JAX and no TensorFlow.

`JaxPiece` (pure JAX functions over explicit params and state), its traces and their
selection, 64-bit handling, and the directory format a `JaxPiece` is saved in
(`save_jax_piece`) and loaded back from (`load_jax_piece`, with `jax.export`). Nothing
here imports TensorFlow or tf2jax (tests/test_layout.py and
tests/adapters/jax/test_runtime_without_tensorflow.py hold it to that); the converter
that makes a `JaxPiece` from a SavedModel is `adapters.jax.conversion`.

The names below are this package's public surface (the converter builds on the traces,
64-bit handling and `jax.export` helpers); its modules are internal.
"""

from reusable_savedmodel.adapters.jax.runtime._exported import (
    VJP_ORDER,
    dimension_names,
    export_fn,
    raw_key,
    trace_from_exported,
)
from reusable_savedmodel.adapters.jax.runtime._jax_piece import JaxPiece
from reusable_savedmodel.adapters.jax.runtime._loading import load_jax_piece
from reusable_savedmodel.adapters.jax.runtime._saving import save_jax_piece
from reusable_savedmodel.adapters.jax.runtime._traces import (
    JaxTrace,
    LeafSpec,
    PythonValue,
    TraceKey,
)
from reusable_savedmodel.adapters.jax.runtime._wide import HOW_TO_ENABLE, NARROWED, any_wide
from reusable_savedmodel.adapters.jax.runtime._wide import enabled as x64_enabled
from reusable_savedmodel.adapters.jax.runtime._wide import scope as wide_scope

__all__ = [
    "HOW_TO_ENABLE",
    "NARROWED",
    "VJP_ORDER",
    "JaxPiece",
    "JaxTrace",
    "LeafSpec",
    "PythonValue",
    "TraceKey",
    "any_wide",
    "dimension_names",
    "export_fn",
    "load_jax_piece",
    "raw_key",
    "save_jax_piece",
    "trace_from_exported",
    "wide_scope",
    "x64_enabled",
]
