"""`save`: write a Reusable SavedModel atomically, and only if it conforms."""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
import shutil
import tempfile
from pathlib import Path, PurePath
from typing import Any

import tensorflow as tf

from reusable_savedmodel.interface._conformance import check as check_piece
from reusable_savedmodel.interface._errors import (
    CheckFailedError,
    HandleError,
    ReusableError,
    UnsafeModelError,
)
from reusable_savedmodel.interface._loading import as_piece
from reusable_savedmodel.interface._piece import Piece
from reusable_savedmodel.interface._protocol import LIST_ATTRIBUTES
from reusable_savedmodel.interface.scanner import require_contained, saved_model_dir

_LIBC = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True) if os.name == "posix" else None
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


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
    # The source object is kept as a private child so resources it owns are saved (`_source`
    # is the child's name in saved models already written: kept).
    if isinstance(piece.obj, tf.__internal__.tracking.Trackable):
        root._source = piece.obj  # noqa: SLF001
    root.__call__ = piece.function
    root.variables = list(piece.variables)
    root.trainable_variables = list(piece.trainable_variables)
    root.regularization_losses = list(piece.regularization_losses)
    for name, sub in piece.callables.items():
        setattr(root, name, export_root(sub))
    return root


def _asset_paths(root: Any) -> list[str]:
    """Paths of the assets reachable from `root`, which saving copies into the export."""
    found = []
    for trackable in tf.train.TrackableView(root).descendants():
        if isinstance(trackable, tf.saved_model.Asset):
            path = trackable.asset_path
            found.append(path.numpy().decode() if hasattr(path, "numpy") else str(path))
    return sorted(found)


def _check_assets(root: Any, piece: Piece, target: Path) -> None:
    """Refuses assets that climb out of their directory (`..`), or that belong to a
    SavedModel with a file linked from outside it (the copy would carry that file)."""
    paths = _asset_paths(root)
    escaping = [p for p in paths if ".." in PurePath(p).parts]
    if escaping:
        raise UnsafeModelError(
            f"refusing to save {piece.name} to {target}: assets must lie inside the model, "
            f"found {', '.join(repr(e) for e in escaping)}, which would be copied into the export."
        )
    models = {saved_model_dir(Path(p)) for p in paths}
    for model in sorted(m for m in models if m is not None):
        require_contained(model, f"refusing to save {piece.name} to {target}")


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swaps two directories (Linux renameat2 RENAME_EXCHANGE); False if unsupported."""
    renameat2 = getattr(_LIBC, "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _move_into_place(staging: Path, target: Path) -> None:
    """Puts `staging` at `target`; at every moment `target` holds the old model or the new one.

    The old directory is swapped out atomically where the system can (then deleted); else it
    is moved aside, the new one moved in, and the old one put back if that fails.
    """
    if not target.exists():
        os.replace(staging, target)
        return
    if _exchange(staging, target):
        shutil.rmtree(staging)  # now the old model
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
    os.replace(target, aside / "model")
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(aside / "model", target)  # the old one goes back
        raise
    finally:
        if target.exists():
            shutil.rmtree(aside)


def _storage_error(target: Path, error: BaseException) -> HandleError:
    return HandleError(
        f"cannot save to {target}: {error}; expected a writable directory path (its parents "
        f"must be directories, not files)."
    )


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
    after the reloaded copy passes `check`: a failed save leaves nothing at `path`, and an
    overwrite interrupted at any point leaves the old model or the new one there.

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
      HandleError: if `path` exists and `overwrite` is False, or cannot be written (a
        parent is a regular file, the place is read-only).
      UnsafeModelError: if an asset of the model lies outside its directory (`..`), or
        the SavedModel an asset comes from has a file linked from outside it: it would be
        copied into the export.
      CheckFailedError: if the reloaded model does not conform (nothing is written).
    """
    target = Path(path)
    if target.exists() and not overwrite:
        raise HandleError(f"{target} exists; pass overwrite=True to replace it.")
    if target.exists() and not target.is_dir():
        raise HandleError(f"cannot save to {target}: it is a file; expected a directory path.")
    piece = as_piece(x)
    root = export_root(piece)
    _check_assets(root, piece, target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".saving", dir=target.parent))
    except OSError as error:
        raise _storage_error(target, error) from error
    try:
        tf.saved_model.save(
            root,
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
        _move_into_place(staging, target)
    except BaseException as error:
        shutil.rmtree(staging, ignore_errors=True)
        storage = isinstance(error, (OSError, tf.errors.PermissionDeniedError))
        if storage and not isinstance(error, ReusableError):
            raise _storage_error(target, error) from error
        raise
    return as_piece(str(target))
