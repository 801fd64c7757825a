"""`from_flax`: an `nnx.Module` as an in-process Reusable SavedModel (through `from_jax`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
from flax import nnx

from reusable_savedmodel.adapters.jax import ApplyFn, from_jax
from reusable_savedmodel.interface import Piece


def from_flax(
    module: nnx.Module,
    *,
    input_signature: Any,
    regularization_loss: Callable[[nnx.Module], Any] | None = None,
    callables: Mapping[str, tuple[str, Any]] | None = None,
) -> Piece:
    """Makes a Flax nnx module a Reusable SavedModel (in process; `rsm.save` writes it).

    `nnx.Param`s become `trainable_variables`; other variables (e.g. `nnx.BatchStat`)
    non-trainable `variables`, updated in the `training=True` trace. `training` switches
    the module with `module.train()` / `module.eval()` (dropout, batch norm); its random
    streams are reseeded from a fresh key on every training call.

    Named callables run other methods of the module on the same variables, e.g.
    `callables={"embed": ("embed", tf.TensorSpec([None, 4], tf.float32))}` gives
    `piece.callables["embed"]` (`obj.embed(x, training=False)` once saved) and
    `to_jax(piece, callable="embed")`. As for `from_jax`, a callable's variables,
    `trainable_variables` and regularization loss are the root's.

    Args:
      module: The module, called as `module(inputs)`.
      input_signature: A nest of `tf.TensorSpec` for `inputs`; None dimensions (the batch)
        stay symbolic.
      regularization_loss: `regularization_loss(module) -> scalar`, e.g.
        `lambda m: 1e-4 * jnp.sum(m.dense.kernel[...] ** 2)`: becomes the piece's one
        regularization loss, a function of the `nnx.Param`s (other variables keep the
        values they have now).
      callables: Name -> `(method_name, input_signature)`: `module.<method_name>(inputs)`
        as a named callable. Names are Python identifiers not starting with `_`.

    Returns:
      A Piece (see `from_jax`); `rsm.save` writes it.

    Raises:
      TypeError: if a callable is not a `(method_name, input_signature)` pair.
      ValueError: if the module has no such method, or a callable's name is not
        admissible.
    """
    # Typed as variadic (one state per filter): the three filters give three states.
    graphdef, *states = nnx.split(module, nnx.Param, nnx.Not(nnx.RngState), ...)
    params, state, rng_state = states
    streams = sorted({v.tag for v in jax.tree_util.tree_leaves(rng_state, is_leaf=lambda x: isinstance(x, nnx.Variable))})

    def merged(params: Any, state: Any) -> nnx.Module:
        return nnx.merge(graphdef, params, state, rng_state, copy=True)

    def apply_method(method: str) -> ApplyFn:
        def apply(params, state, inputs, *, training, rng):
            model = merged(params, state)
            if training:
                # Any: reseed's named options share its **keyword space with the streams.
                keys: dict[str, Any] = {stream: jax.random.fold_in(rng, i) for i, stream in enumerate(streams)}
                nnx.reseed(model, **keys)
                model.train()
            else:
                model.eval()
            outputs = getattr(model, method)(inputs)
            return outputs, nnx.state(model, nnx.All(nnx.Not(nnx.Param), nnx.Not(nnx.RngState)))

        return apply

    def callable_entry(name: str, value: Any) -> tuple[ApplyFn, Any]:
        if not (isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str)):
            raise TypeError(
                f"from_flax: callables[{name!r}] must be (method_name, input_signature), got "
                f"{type(value).__name__}."
            )
        method, signature = value
        if not callable(getattr(module, method, None)):
            raise ValueError(
                f"from_flax: callables[{name!r}] names method {method!r}, which "
                f"{type(module).__name__} does not have."
            )
        return apply_method(method), signature

    return from_jax(
        apply_method("__call__"),
        params,
        input_signature=input_signature,
        state=state,
        regularization_loss=None
        if regularization_loss is None
        else lambda params: regularization_loss(merged(params, state)),
        callables={name: callable_entry(name, v) for name, v in (callables or {}).items()},
    )
