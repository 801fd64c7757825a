"""`save`: write a Reusable SavedModel atomically, and only if it conforms."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import tensorflow as tf

from reusable_savedmodel.interface.checking import check as check_piece
from reusable_savedmodel.interface.errors import CheckFailedError, HandleError
from reusable_savedmodel.interface.loading import as_piece
from reusable_savedmodel.interface.piece import Piece
from reusable_savedmodel.interface.protocol import LIST_ATTRIBUTES


def _saves_lists_itself(obj: Any) -> bool:
    """Whether saving `obj` as it is keeps the protocol's lists as attributes.

    `tf.Module` computes `variables` as a read-only property, which SavedModel does not
    store; such objects (and non-trackable ones) are saved under an export root instead.
    """
    if isinstance(obj, tf.Module) or not isinstance(obj, tf.__internal__.tracking.AutoTrackable):
        return False
    return all(name in vars(obj) for name in LIST_ATTRIBUTES if hasattr(obj, name))


def export_root(piece: Piece) -> Any:
    """Returns a trackable object whose SavedModel has the protocol's attributes.

    Objects that already carry them (loaded objects, `ReusableModule`s, checkpoint-style
    modules) are saved as they are, which keeps their assets and other attributes.
    """
    if _saves_lists_itself(piece.obj):
        return piece.obj
    root = tf.train.Checkpoint()
    # The source object is kept as a private child so resources it owns are saved.
    if isinstance(piece.obj, tf.__internal__.tracking.Trackable):
        root._source = piece.obj
    root.__call__ = piece.function
    root.variables = list(piece.variables)
    root.trainable_variables = list(piece.trainable_variables)
    root.regularization_losses = list(piece.regularization_losses)
    for name, sub in piece.callables.items():
        setattr(root, name, export_root(sub))
    return root


def save(
    x: Any,
    path: str | os.PathLike,
    *,
    signatures: Any = None,
    check: bool = True,
    overwrite: bool = False,
    options: tf.saved_model.SaveOptions | None = None,
) -> Piece:
    """Writes a Reusable SavedModel, reloads it and checks it before it appears at `path`.

    The model is written to a temporary directory beside `path` and moved into place only
    after the reloaded copy passes `check`: a failed save leaves nothing at `path`.

    Args:
      x: A Piece, an object implementing the protocol, or a handle.
      path: The directory to write.
      signatures: As for `tf.saved_model.save`; by default the piece's own signatures
        (`piece.signatures`, e.g. a loaded model's `serving_default`).
      check: Whether to check the reloaded model (recommended).
      overwrite: Whether to replace an existing directory at `path`.
      options: `tf.saved_model.SaveOptions`; by default custom gradients are saved.

    Returns:
      The reloaded Piece (loaded from `path`).

    Raises:
      HandleError: if `path` exists and `overwrite` is False.
      CheckFailedError: if the reloaded model does not conform (nothing is written).
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise HandleError(f"{target} exists; pass overwrite=True to replace it.")
    piece = as_piece(x)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".saving", dir=target.parent))
    try:
        tf.saved_model.save(
            export_root(piece),
            str(staging),
            # A loaded model's signatures are kept unless others are given: TF Serving
            # users re-export fine-tuned models.
            signatures=signatures if signatures is not None else (dict(piece.signatures) or None),
            options=options or tf.saved_model.SaveOptions(experimental_custom_gradients=True),
        )
        if check:
            report = check_piece(str(staging))
            if not report.ok:
                raise CheckFailedError(f"refusing to save {piece.name} to {target}:\n{report}")
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return as_piece(str(target))
