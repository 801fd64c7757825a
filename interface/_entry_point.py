"""Choosing what of a model runs: `__call__`, a named callable, or a signature.

Every consumer (KerasLayer, SonnetModule, `to_jax`, FlaxModule, crosscheck, the demo) takes
`callable=` / `signature=` / `output_key=` with one meaning, TF Hub's defaults for TF1 Hub
modules included; this module is that meaning, written once, with one wording for each error.
"""

from __future__ import annotations

import dataclasses

from reusable_savedmodel.interface._errors import NonConformingError, UnsupportedError
from reusable_savedmodel.interface._piece import ADAPTER_ARGUMENTS, Piece, no_call_message
from reusable_savedmodel.interface._signature_call import signature_named, tf1_hub_signature

#: The signature a signature-only model runs when a consumer may pick one by itself.
DEFAULT_SIGNATURE = "serving_default"

@dataclasses.dataclass(frozen=True)
class EntryPoint:
    """The entry point a consumer runs.

    Attributes:
      piece: The root, or the named callable's (or bare `tf.function`'s) Piece.
      callable: The named callable or bare `tf.function` chosen, or None.
      signature: The signature chosen (inference only), or None.
      output_key: With `signature`, the one output to return; None for the whole dict.
    """

    piece: Piece
    callable: str | None = None
    signature: str | None = None
    output_key: str | None = None

    @property
    def trainable(self) -> bool:
        """Whether the entry point can train (signatures are inference only)."""
        return self.signature is None

    def check_runnable(self, how: tuple[str, str] = ADAPTER_ARGUMENTS) -> None:
        """Raises unless the entry point can run: a signature, or a piece with `__call__`.

        Args:
          how: How the caller names a callable and a signature, for the message.

        Raises:
          NonConformingError: for a root without `__call__` (the message lists what can run).
        """
        if self.signature is None and self.piece.function is None:
            raise NonConformingError(no_call_message(self.piece, how))


def choose_entry_point(
    root: Piece,
    *,
    owner: str,
    callable: str | None = None,  # the fixed public name, though it shadows a builtin
    signature: str | None = None,
    output_key: str | None = None,
    trainable: bool | None = None,
    outputs_as_dict: bool = False,
    pick_signature: bool = False,
    require_call: bool = True,
    how: tuple[str, str] = ADAPTER_ARGUMENTS,
) -> EntryPoint:
    """The entry point a consumer runs, from what its caller asked for.

    Args:
      root: The loaded model.
      owner: The consumer, for messages (e.g. "KerasLayer").
      callable: A named callable (or bare `tf.function`) asked for.
      signature: A signature asked for (inference only).
      output_key: With a signature, the one output to return.
      trainable: Whether the caller asked to train (None: not asked).
      outputs_as_dict: Whether the caller asked for a signature's whole output dict (TF
        Hub's `signature_outputs_as_dict`); a TF1 Hub module then keeps every output.
      pick_signature: Whether a signature-only root may run its `serving_default` (or its
        only signature) without being told, for inference.
      require_call: Whether a root without `__call__` is refused when nothing was named
        (False: the consumer checks later, with `EntryPoint.check_runnable`, or holds the
        root for its named callables and calling it raises).
      how: How the caller names a callable and a signature, for the error messages.

    Returns:
      The entry point; TF Hub's defaults filled in for a TF1 Hub module.

    Raises:
      ValueError: for both `callable` and `signature`, or `output_key` without a signature.
      UnsupportedError: for `trainable=True` with a signature or a TF1 Hub module, or a
        `callable` of a TF1 Hub module.
      NonConformingError: for a callable or signature the model lacks, or a root without
        `__call__` when nothing was named (the messages list what can run).
    """
    if callable is not None and signature is not None:
        raise ValueError(f"{owner}: pass callable= ({callable!r}) or signature= ({signature!r}), not both.")
    if signature is not None and trainable:
        raise UnsupportedError(
            f"{owner}(signature={signature!r}) is inference only: signatures have no training "
            f"mode or trainable variables. Pass trainable=False, or use the model's __call__ (no "
            f"signature=) to fine-tune."
        )
    if root.tf1_hub_module:
        signature, output_key = tf1_hub_signature(
            root,
            trainable=trainable,
            callable=callable,
            signature=signature,
            output_key=output_key,
            outputs_as_dict=outputs_as_dict,
        )
    if output_key is not None and signature is None:
        raise ValueError(f"{owner}: output_key={output_key!r} selects a signature output: pass signature= too.")
    if callable is not None:
        return EntryPoint(root.callable(callable), callable=callable)
    if signature is None and root.function is None and pick_signature and not trainable:
        signature = _only_signature(root)
    if signature is not None:
        signature_named(root, signature)  # raises, listing the signatures, if there is none
        return EntryPoint(root, signature=signature, output_key=output_key)
    entry = EntryPoint(root)
    if require_call:
        entry.check_runnable(how)
    return entry


def _only_signature(root: Piece) -> str | None:
    """`serving_default`, or the one signature, of a signature-only root; else None."""
    if not root.is_signature_only:
        return None
    if DEFAULT_SIGNATURE in root.signatures:
        return DEFAULT_SIGNATURE
    return next(iter(root.signatures)) if len(root.signatures) == 1 else None

