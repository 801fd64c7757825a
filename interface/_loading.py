"""Loading handles as Pieces (`load`, `as_piece`); handles resolve in `handles`."""

from __future__ import annotations

import os
from typing import Any, Literal

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from reusable_savedmodel.interface._custom_ops import require_ops
from reusable_savedmodel.interface._piece import Piece
from reusable_savedmodel.interface.handles import Handle, is_tf1_hub_module, resolve
from reusable_savedmodel.interface.scanner import check_before_load, enforce


def _has_untagged_graph(proto: saved_model_pb2.SavedModel) -> bool:
    """Whether the SavedModel has a meta graph with no tags (a TF1 Hub module's default)."""
    return any(not m.meta_info_def.tags for m in proto.meta_graphs)


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
      handle: A local directory, a `file://` URL or archive, an `http(s)://` URL, a
        Kaggle Models handle (`kaggle://OWNER/MODEL/FRAMEWORK/VARIATION/VERSION` or its
        kaggle.com URL) or `hf://ORG/REPO[@REVISION][/SUBDIR]` (see `rsm.resolve`).
      tags: MetaGraph tags to load (for SavedModels with several); for a TF1 Hub module
        (`tfhub_module.pb`) the default is the empty set, TF Hub's inference graph.
      options: `tf.saved_model.LoadOptions`.
      scan: Scan the graphs before loading (see `rsm.scan`): `"warn"` logs ops that touch
        files, run code or use the network; `"strict"` refuses the model if there are any.
        None (the default) does not scan.
      **remote_options: Options for remote handles and archives: `sha256` (expected hex
        sha256 of the archive), `timeout` (seconds per connect or read), `retries`,
        `progress` (None: a bar only on a terminal), `offline` (None: `$RSM_OFFLINE`).

    Returns:
      A Piece over the loaded object. A TF1 Hub module's Piece is inference only, through
      its signatures (`piece.tf1_hub_module` is True).

    Raises:
      HandleError: for a missing path, a directory that is no SavedModel, or a corrupt
        `saved_model.pb`.
      MissingOpError: if the graphs use ops this process has not registered (TF Text's
        are imported when installed; the message names what to install).
      DownloadError: if a remote handle cannot be fetched, verified or unpacked.
      UnsafeModelError: if an asset path leads outside the model's `assets/`, a file of
        the model is a link to a file outside its directory, or if
        `scan="strict"` flags any op.
    """
    text = os.fspath(handle)
    path = resolve(handle, **remote_options)
    # Before TensorFlow reads anything: no file linked from elsewhere, typed errors for bad
    # files, no asset outside assets/. `saved_model.pb` is parsed here, once: the scan, the
    # TF1 tag choice and the op check all read this one parse.
    proto = check_before_load(path, text)
    if scan is not None:
        enforce(path, text, scan, proto)
    tf1_hub_module = is_tf1_hub_module(path)
    if tf1_hub_module and tags is None and _has_untagged_graph(proto):
        tags = []  # TF Hub's TF1 modules keep their inference graph under no tags
    require_ops(proto, text)
    # The parse is as large as the graphs (several times the weights of a small convnet):
    # let it go before TensorFlow parses the file again, so the two never add up at the peak.
    del proto
    obj = tf.saved_model.load(str(path), tags=tags, options=options)
    return Piece(obj, handle=text, tf1_hub_module=tf1_hub_module)


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
