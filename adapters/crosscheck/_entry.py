"""Which entry point of a model a crosscheck (or the demo) runs: `__call__`, a named
callable, or a signature.

`Entry` names the entry point (it crosses to child interpreters); which one runs is the
core's rule (`choose_entry_point`): a root without `__call__` that has only signatures
(Keras 3's `model.export()`, TF Serving models) runs through `serving_default`, or its one
signature, without being told; any other root without `__call__` needs `--callable` or
`--signature`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from reusable_savedmodel.interface import Piece
from reusable_savedmodel.interface.kit import choose_entry_point, pristine_concrete_functions


@dataclasses.dataclass(frozen=True)
class Entry:
    """An entry point of a model.

    Attributes:
      callable: A named callable (or bare `tf.function`) of the root, or None.
      signature: A signature of the root, or None. Neither: the root's `__call__`.
    """

    callable: str | None = None
    signature: str | None = None

    @property
    def trainable(self) -> bool:
        """Whether the entry point can train (signatures are inference only)."""
        return self.signature is None

    def wrap_kwargs(self, *, trainable: bool = True) -> dict[str, Any]:
        """What a consumer is built with to run this entry point (`Wrapped(source, **kwargs)`).

        Args:
          trainable: Whether to build it trainable; always False for a signature.
        """
        return {
            "trainable": trainable and self.trainable,
            "callable": self.callable,
            "signature": self.signature,
        }

    def describe(self) -> str:
        """The entry point in words, for reports."""
        if self.signature is not None:
            return f"signature {self.signature!r} (inference only)"
        if self.callable is not None:
            return f"callable {self.callable!r}"
        return "__call__"

    def functions(self, root: Piece) -> list[Any]:
        """The concrete functions the entry point runs (its traces, or the signature)."""
        if self.signature is not None:
            return [root.signatures[self.signature]]
        piece = root.callable(self.callable) if self.callable is not None else root
        return pristine_concrete_functions(piece.function)

    def inputs_spec(self, root: Piece) -> Any:
        """The nest of `tf.TensorSpec` the entry point takes (a signature: a dict by name)."""
        if self.signature is not None:
            return dict(root.spec.signatures[self.signature].inputs)
        call = root.callable(self.callable).spec.call if self.callable is not None else root.spec.call
        return call.inputs[0] if call is not None and call.inputs else None


#: The root's `__call__`.
CALL = Entry()


def choose(root: Piece, *, callable: str | None = None, signature: str | None = None) -> Entry:
    """The entry point to run: the one asked for, else `__call__`, else the only signature.

    The core's `choose_entry_point` decides (one rule for every consumer); a signature-only
    root runs its `serving_default` (or its one signature) without being told.

    Args:
      root: The model.
      callable: A named callable (or bare `tf.function`) asked for.
      signature: A signature asked for.

    Returns:
      The entry point.

    Raises:
      ValueError: for both `callable` and `signature`.
      NonConformingError: if the model has no such callable or signature, or has no
        `__call__` and no entry point to pick by itself (the message lists them).
    """
    chosen = choose_entry_point(
        root,
        owner="rsm crosscheck",
        callable=callable,
        signature=signature,
        pick_signature=True,
        how=("--callable NAME", "--signature NAME"),
    )
    return Entry(callable=chosen.callable, signature=chosen.signature)
