"""`FlaxModule`: a Reusable SavedModel (or a `JaxPiece`) as a Flax `nnx.Module`."""

from __future__ import annotations

import os
from typing import Any

import jax
from flax import nnx

from reusable_savedmodel.adapters.jax import JaxPiece


def _key(rngs: nnx.Rngs | None) -> jax.Array | None:
    """A key from the `dropout` stream (nnx falls back to `default` when there is none)."""
    return None if rngs is None else rngs.dropout()


class FlaxModule(nnx.Module):
    """A Reusable SavedModel as an `nnx.Module`.

    The piece's `trainable_variables` become `nnx.Param`s and its other variables
    `nnx.BatchStat`s, in `params` and `state` (dicts keyed by unique variable paths). The
    forward pass is the piece's converted JAX code; in training, the state variables take
    the values the training trace assigns (e.g. batch-norm moving statistics). Works with
    `nnx.jit`, `nnx.value_and_grad`, `nnx.Optimizer(model, tx, wrt=nnx.Param)`, and
    `nnx.split` / `nnx.merge`.

    Like `nnx.Dropout`, the module follows `model.train()` / `model.eval()` (its
    `deterministic` attribute, True at first) unless a call passes `training=`, so it
    behaves inside a larger nnx model, and `from_flax` exports both of its traces.

    Args:
      handle_or_piece: A handle, a loaded or in-process object, a `rsm.Piece`, or a
        `JaxPiece` (used as is). There is no `trainable` flag: as for any nnx module, what
        trains is what the optimizer is given (`wrt=nnx.Param`).
      callable: A named callable to use instead of `__call__` (not for a `JaxPiece`).
      signature: A signature to run instead of `__call__` (not for a `JaxPiece`), for
        inference only: the module is frozen (no `nnx.Param`s; the signature's variables
        are `nnx.BatchStat`s that never change) and always runs the inference trace.
      output_key: With `signature`, return only this output of the signature's dict.
      rngs: Random streams for training calls that pass none (its `dropout` stream, or
        `default`); needed for `from_flax` to export a training trace that draws random
        numbers.

    Raises:
      UnconvertibleError: if the piece cannot be converted to JAX.
      ValueError: if `callable` or `signature` is given with a `JaxPiece`.
    """

    def __init__(
        self,
        handle_or_piece: str | os.PathLike | JaxPiece | Any,
        *,
        callable: str | None = None,
        signature: str | None = None,
        output_key: str | None = None,
        rngs: nnx.Rngs | None = None,
    ):
        if isinstance(handle_or_piece, JaxPiece):
            if callable is not None or signature is not None:
                raise ValueError("`callable` selects a named callable to convert; a JaxPiece is converted already.")
            piece = handle_or_piece
        else:
            from reusable_savedmodel.adapters.jax import to_jax  # needs TensorFlow

            piece = to_jax(handle_or_piece, callable=callable, signature=signature, output_key=output_key)
        self.piece = nnx.static(piece)
        self.params = nnx.data({k: nnx.Param(v) for k, v in piece.params.items()})
        self.state = nnx.data({k: nnx.BatchStat(v) for k, v in piece.state.items()})
        self.rngs = rngs
        self.deterministic = True
        #: A signature runs for inference only, whatever the mode or `training` says.
        self.frozen = signature is not None

    def _values(self) -> tuple[dict[str, jax.Array], dict[str, jax.Array]]:
        return {k: v[...] for k, v in self.params.items()}, {k: v[...] for k, v in self.state.items()}

    def __call__(
        self, inputs: Any, *, training: bool | None = None, rngs: nnx.Rngs | None = None, **kwargs: Any
    ) -> Any:
        """Runs the forward pass.

        Args:
          inputs: An array, or a list or dict of arrays, as the piece expects.
          training: A Python bool: the training trace (dropout, batch-norm updates) or not;
            None follows the module's mode (`train()` / `eval()`).
          rngs: `nnx.Rngs` for randomness in training (its `dropout` stream, or `default`);
            None uses the module's own `rngs`.
          **kwargs: The piece's extra keyword arguments.

        Returns:
          The outputs.

        Raises:
          RngRequiredError: if the training trace draws random numbers and `rngs` is None.
          NoTraceError: if the arguments match no trace.
          X64RequiredError: if 64-bit inputs or state arrive narrowed to 32 bits (e.g.
            under `nnx.jit` with 64-bit types off; eager calls carry them exactly).
        """
        if training is None:
            training = not self.deterministic
        training = training and not self.frozen
        params, state = self._values()
        rng = _key(rngs if rngs is not None else self.rngs) if training else None
        # Compiled even outside `nnx.jit`, so an eager call does not run op by op; under a
        # transformation it traces into the enclosing computation like `apply`.
        outputs, new_state = self.piece.jit_apply(params, state, inputs, training=training, rng=rng, **kwargs)
        if training:
            for name, value in new_state.items():
                self.state[name].value = value
        return outputs

    def regularization_loss(self) -> jax.Array:
        """The piece's regularization losses at the current params (0.0 when none)."""
        return self.piece.regularization_loss(self._values()[0])
