"""Which entry point of a model a crosscheck (or the demo) runs: `__call__`, a named
callable, or a signature.

A root without `__call__` that has only signatures (Keras 3's `model.export()`, TF
Serving models) runs through `serving_default`, or through its one signature, without
being told; any other root without `__call__` needs `callable=` or `signature=`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from reusable_savedmodel.interface import NonConformingError, Piece
from reusable_savedmodel.interface.kit import pristine_concrete_functions

DEFAULT_SIGNATURE = "serving_default"


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
    if callable is not None and signature is not None:
        raise ValueError(f"pass a callable ({callable!r}) or a signature ({signature!r}), not both")
    if callable is not None:
        root.callable(callable)  # raises, listing the callables, if there is none
        return Entry(callable=callable)
    if signature is not None:
        if signature not in root.signatures:
            raise NonConformingError(
                f"{root.name} has no signature {signature!r}; signatures: "
                f"{', '.join(root.signatures) or 'none'}"
            )
        return Entry(signature=signature)
    if root.function is not None:
        return CALL
    if root.is_signature_only:
        if DEFAULT_SIGNATURE in root.signatures:
            return Entry(signature=DEFAULT_SIGNATURE)
        if len(root.signatures) == 1:
            return Entry(signature=next(iter(root.signatures)))
    raise NonConformingError(
        f"{root.name} has no `__call__`: name the entry point to run, a callable (named "
        f"callables and tf.functions: {', '.join([*root.callables, *root.functions]) or 'none'}) "
        f"or a signature ({', '.join(root.signatures) or 'none'}); `rsm crosscheck` takes "
        f"--callable NAME or --signature NAME"
    )
