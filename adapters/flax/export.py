"""`from_flax`: an `nnx.Module` as an in-process Reusable SavedModel (through `from_jax`)."""

from __future__ import annotations

from typing import Any

import jax
from flax import nnx

from reusable_savedmodel.adapters.jax.produce import from_jax
from reusable_savedmodel.interface import Piece


def from_flax(module: nnx.Module, *, input_signature: Any) -> Piece:
    """Makes a Flax nnx module a Reusable SavedModel (in process; `rsm.save` writes it).

    `nnx.Param`s become `trainable_variables`; other variables (e.g. `nnx.BatchStat`)
    non-trainable `variables`, updated in the `training=True` trace. `training` switches
    the module with `module.train()` / `module.eval()` (dropout, batch norm); its random
    streams are reseeded from a fresh key on every training call.

    Args:
      module: The module, called as `module(inputs)`.
      input_signature: A nest of `tf.TensorSpec` for `inputs`; None dimensions (the batch)
        stay symbolic.

    Returns:
      A Piece (see `from_jax`); `rsm.save` writes it.
    """
    graphdef, params, state, rng_state = nnx.split(module, nnx.Param, nnx.Not(nnx.RngState), ...)
    streams = sorted({v.tag for v in jax.tree_util.tree_leaves(rng_state, is_leaf=lambda x: isinstance(x, nnx.Variable))})

    def apply(params, state, inputs, *, training, rng):
        model = nnx.merge(graphdef, params, state, rng_state, copy=True)
        if training:
            nnx.reseed(model, **{stream: jax.random.fold_in(rng, i) for i, stream in enumerate(streams)})
            model.train()
        else:
            model.eval()
        outputs = model(inputs)
        return outputs, nnx.state(model, nnx.All(nnx.Not(nnx.Param), nnx.Not(nnx.RngState)))

    return from_jax(apply, params, input_signature=input_signature, state=state)
