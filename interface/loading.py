"""Turning handles into local SavedModel directories and loaded Pieces."""

from __future__ import annotations

import os
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Literal

import tensorflow as tf
from google.protobuf.message import DecodeError
from tensorflow.core.protobuf import saved_model_pb2

from reusable_savedmodel.interface.errors import HandleError
from reusable_savedmodel.interface.piece import Piece

Handle = str | os.PathLike

_SAVED_MODEL_FILES = ("saved_model.pb", "saved_model.pbtxt")
_TF1_HUB_MODULE_FILE = "tfhub_module.pb"
_REMOTE_SCHEMES = ("http", "https")


def _local_path(handle: str) -> Path:
    """The path a local handle (a path or a `file://` URL) names."""
    if handle.startswith("file://"):
        parsed = urllib.parse.urlparse(handle)
        return Path(urllib.request.url2pathname(parsed.netloc + parsed.path))
    return Path(handle).expanduser()


def _scanner():
    """The safety scan, imported here only when asked for (it imports this module)."""
    from reusable_savedmodel.interface import scanning

    return scanning


def _remote_resolver():
    """The resolver for http(s) handles and archives, imported only when one is used."""
    from reusable_savedmodel.interface import remote

    return remote


def is_remote(handle: Handle) -> bool:
    """Whether `handle` is an http(s) URL."""
    return urllib.parse.urlparse(str(handle)).scheme in _REMOTE_SCHEMES


def validate_saved_model_dir(path: Path, handle: str) -> Path:
    """Checks that `path` is a TF2 SavedModel directory; returns it.

    Raises:
      HandleError: if it is missing, not a directory, a TF1 hub module, or has no
        `saved_model.pb`.
    """
    if not path.exists():
        raise HandleError(f"{handle!r}: no such file or directory ({path}).")
    if not path.is_dir():
        raise HandleError(
            f"{handle!r}: expected a SavedModel directory, got a file ({path}). Archives "
            f"(.tar.gz, .tgz, .tar) are unpacked only from file:// or http(s):// handles."
        )
    if (path / _TF1_HUB_MODULE_FILE).exists():
        raise HandleError(
            f"{handle!r} is a TF1 Hub module (it has {_TF1_HUB_MODULE_FILE}), a format for "
            f"TensorFlow 1's hub.Module. This library loads TF2 SavedModels; use the model's "
            f"TF2 SavedModel version, or load this one with tensorflow_hub.Module under tf.compat.v1."
        )
    if not any((path / name).exists() for name in _SAVED_MODEL_FILES):
        contents = ", ".join(sorted(p.name for p in path.iterdir())[:8]) or "nothing"
        raise HandleError(
            f"{handle!r}: {path} is not a SavedModel directory: expected saved_model.pb, "
            f"found {contents}."
        )
    return path


def resolve(handle: Handle, **remote_options: Any) -> Path:
    """Returns the local SavedModel directory for a handle, downloading it if remote.

    Args:
      handle: A local directory, a `file://` URL, or an `http(s)://` URL.
      **remote_options: Options for remote handles and archives: `sha256`, `timeout`,
        `retries`, `progress`, `offline` (see `remote.resolve_remote`).

    Returns:
      The directory holding `saved_model.pb`.

    Raises:
      HandleError: if the handle names no SavedModel, or remote options are given for a
        local directory.
      DownloadError: if a remote handle cannot be fetched.
    """
    text = os.fspath(handle)
    if is_remote(text):
        return _remote_resolver().resolve_remote(text, **remote_options)
    path = _local_path(text)
    if path.is_file() and _remote_resolver().is_archive(path):
        return _remote_resolver().resolve_remote(text, **remote_options)
    if remote_options:
        raise HandleError(
            f"{text!r} is a local directory: options {sorted(remote_options)} apply only to "
            f"archives and http(s) handles."
        )
    return validate_saved_model_dir(path, text)


def _diagnose_load_failure(path: Path, handle: str, error: Exception) -> HandleError | None:
    """Explains a failed `tf.saved_model.load` when the files themselves are bad."""
    pb = path / "saved_model.pb"
    if pb.exists():
        proto = saved_model_pb2.SavedModel()
        try:
            proto.ParseFromString(pb.read_bytes())
        except DecodeError:
            return HandleError(
                f"{handle!r}: {pb} is corrupt (not a SavedModel protocol buffer: {error})."
            )
    return None


def load(
    handle: Handle,
    *,
    tags: Any = None,
    options: tf.saved_model.LoadOptions | None = None,
    scan: Literal["warn", "strict"] | None = None,
    **remote_options: Any,
) -> Piece:
    """Loads a Reusable SavedModel as a Piece.

    Args:
      handle: A local directory, a `file://` URL or archive, or an `http(s)://` URL.
      tags: MetaGraph tags to load (for SavedModels with several).
      options: `tf.saved_model.LoadOptions`.
      scan: Scan the graphs before loading (see `rsm.scan`): `"warn"` logs ops that touch
        files, run code or use the network; `"strict"` refuses the model if there are any.
        None (the default) does not scan.
      **remote_options: Options for remote handles and archives: `sha256` (expected hex
        sha256 of the archive), `timeout` (seconds per connect or read), `retries`,
        `progress` (None: a bar only on a terminal), `offline` (None: `$RSM_OFFLINE`).

    Returns:
      A Piece over the loaded object.

    Raises:
      HandleError: for a missing path, a directory that is no SavedModel, a corrupt
        `saved_model.pb`, or a TF1 hub module.
      DownloadError: if a remote handle cannot be fetched, verified or unpacked.
      UnsafeModelError: if `scan="strict"` flags any op.
    """
    text = os.fspath(handle)
    path = resolve(handle, **remote_options)
    if scan is not None:
        _scanner().enforce(path, text, scan)
    try:
        obj = tf.saved_model.load(str(path), tags=tags, options=options)
    except Exception as error:  # re-raised, explained when the files are at fault
        diagnosis = _diagnose_load_failure(path, text, error)
        if diagnosis is None:
            raise
        raise diagnosis from error
    return Piece(obj, handle=text)


def as_piece(x: Any, **load_kwargs: Any) -> Piece:
    """Returns a Piece for a handle, a loaded object, an in-process object or a Piece.

    Args:
      x: A handle (str or path), an object implementing the protocol, or a Piece.
      **load_kwargs: Passed to `load` when `x` is a handle.

    Returns:
      A Piece (`x` itself if it already is one).

    Raises:
      HandleError: if `x` is a handle that cannot be loaded.
      NonConformingError: if `x` is an object that does not implement the protocol.
    """
    if isinstance(x, Piece):
        return x
    if isinstance(x, (str, os.PathLike)):
        return load(x, **load_kwargs)
    finalize = getattr(x, "finalize_reusable", None)
    if callable(finalize):
        finalize()
    return Piece(x)
