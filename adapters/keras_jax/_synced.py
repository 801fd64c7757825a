"""The piece a Keras-on-JAX `KerasLayer` hands out, kept in step with the layer's weights.

On the JAX backend the layer trains Keras variables that are copies of the piece's
`tf.Variable`s (a Keras variable cannot keep a `tf.Variable` as its storage there).
`WriteBack` copies the layer's current values into those `tf.Variable`s; `SyncedPiece` is
an `rsm.Piece` over the same object that runs it before every public use. Whatever the
piece hands on (its object for `tf.saved_model.save`, its variables, functions and
signatures, its named callables, itself to `rsm.save`) therefore carries the training the
user did: the design's "no stale piece" rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import jax
import keras
import numpy as np
import tensorflow as tf

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.keras_jax._errors import StalePieceError


class WriteBack:
    """Copies Keras variables' current values into the `tf.Variable`s they were made from.

    Only values that changed since the last copy are written: Keras replaces a
    variable's array on every assignment, so an unchanged variable is the same array.

    Args:
      pairs: `(Keras variable, the tf.Variable it copies)` pairs.
    """

    def __init__(self, pairs: Sequence[tuple[keras.Variable, tf.Variable]]):
        self._pairs = list(pairs)
        self._written: list[Any] = [None] * len(self._pairs)

    def __call__(self) -> None:
        """Writes every changed value.

        Raises:
          StalePieceError: if a value is a JAX tracer (the piece is used inside `jax.jit`
            or `jax.grad`, where the weights have no concrete value to write).
        """
        for index, (source, target) in enumerate(self._pairs):
            value = source.value
            if value is self._written[index]:
                continue
            try:
                array = np.asarray(value, dtype=target.dtype.as_numpy_dtype)
            except jax.errors.TracerArrayConversionError as error:
                raise StalePieceError(
                    f"layer.piece was used inside a traced JAX function: the layer's weight "
                    f"{source.path} is a traced value that cannot be written into the piece's "
                    f"{target.name}. Use layer.piece outside jax.jit / jax.grad."
                ) from error
            target.assign(array)
            self._written[index] = value


class SyncedPiece(rsm.Piece):
    """An `rsm.Piece` over `piece`'s object that runs `write_back` before every use.

    Every public attribute, `__call__`, and the named callables it hands out (themselves
    `SyncedPiece`s) write first, so a piece kept from before more training is still
    current when it is saved or called.

    Args:
      piece: The piece to hand out.
      write_back: Brings the piece's variables up to date (a `WriteBack`).
    """

    def __init__(self, piece: rsm.Piece, write_back: Callable[[], None]):
        # Set before the base class reads any attribute (which writes back first).
        self._write_back = write_back
        self._synced_callables: dict[str, SyncedPiece] = {}
        super().__init__(
            piece.obj, handle=piece.handle, name=piece.name, tf1_hub_module=piece.tf1_hub_module
        )

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("_"):
            object.__getattribute__(self, "_write_back")()
        return super().__getattribute__(name)

    def __call__(self, inputs: Any, training: Any = False, **kwargs: Any) -> rsm.Structure:
        """Writes back, then runs the forward pass (see `rsm.Piece.__call__`)."""
        self._write_back()
        return super().__call__(inputs, training, **kwargs)

    @property
    def callables(self) -> Mapping[str, rsm.Piece]:
        """Named callables, each a `SyncedPiece` over the same variables."""
        return {name: self._synced(name, sub) for name, sub in super().callables.items()}

    def callable(self, name: str) -> rsm.Piece:
        """`rsm.Piece.callable`, as a `SyncedPiece`."""
        return self._synced(name, super().callable(name))

    def _synced(self, name: str, sub: rsm.Piece) -> rsm.Piece:
        if isinstance(sub, SyncedPiece):
            return sub
        if name not in self._synced_callables:
            self._synced_callables[name] = SyncedPiece(sub, self._write_back)
        return self._synced_callables[name]
