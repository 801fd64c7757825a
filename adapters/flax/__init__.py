"""Flax nnx adapter: `FlaxModule` (consume) and `from_flax` (produce).

`from reusable_savedmodel.adapters import flax as rsm_flax`, then
`rsm_flax.FlaxModule(handle)` to use a Reusable SavedModel as an `nnx.Module`, and
`rsm.save(rsm_flax.from_flax(module, input_signature=...), path)` to publish one. Built on
`reusable_savedmodel.adapters.jax`.
"""

from reusable_savedmodel.adapters.flax.export import from_flax
from reusable_savedmodel.adapters.flax.module import FlaxModule

__all__ = ["FlaxModule", "from_flax"]
