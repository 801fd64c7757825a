"""Flax nnx adapter: `FlaxModule` (consume) and `from_flax` (produce).

`from reusable_savedmodel.adapters import flax as rsm_flax`, then
`rsm_flax.FlaxModule(handle)` to use a Reusable SavedModel as an `nnx.Module`, and
`rsm.save(rsm_flax.from_flax(module, input_signature=...), path)` to publish one. Built on
`reusable_savedmodel.adapters.jax`. `FlaxModule` over a saved `JaxPiece` needs no
TensorFlow; `from_flax` (which does) loads on first use.

The names below are this package's public surface; its modules are internal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reusable_savedmodel.interface.kit import lazy_names, missing_extra

try:
    import flax.nnx  # noqa: F401  (first: a missing extra is named, not failed on deep inside)
except ImportError as error:  # the extra is not installed
    raise missing_extra(__name__, "Flax (with JAX)", "jax", error) from error

from reusable_savedmodel.adapters.flax._consume import FlaxModule

if TYPE_CHECKING:
    from reusable_savedmodel.adapters.flax._produce import from_flax

# `from_flax` needs TensorFlow: imported on first access.
__getattr__, __dir__ = lazy_names(__name__, {"from_flax": "reusable_savedmodel.adapters.flax._produce"})

__all__ = ["FlaxModule", "from_flax"]
