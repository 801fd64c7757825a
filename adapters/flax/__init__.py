"""Flax nnx adapter: `FlaxModule` (consume) and `from_flax` (produce).

`from reusable_savedmodel.adapters import flax as rsm_flax`, then
`rsm_flax.FlaxModule(handle)` to use a Reusable SavedModel as an `nnx.Module`, and
`rsm.save(rsm_flax.from_flax(module, input_signature=...), path)` to publish one. Built on
`reusable_savedmodel.adapters.jax`. `FlaxModule` over a saved `JaxPiece` needs no
TensorFlow; `from_flax` (which does) loads on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from reusable_savedmodel.interface.extras import missing_extra

try:
    import flax.nnx  # noqa: F401  (first: a missing extra is named, not failed on deep inside)
except ImportError as error:  # the extra is not installed
    raise missing_extra(__name__, "Flax (with JAX)", "jax", error) from error

from reusable_savedmodel.adapters.flax.consume import FlaxModule

__all__ = ["FlaxModule", "from_flax"]


def __getattr__(name: str) -> Any:
    if name == "from_flax":
        return importlib.import_module("reusable_savedmodel.adapters.flax.produce").from_flax
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
