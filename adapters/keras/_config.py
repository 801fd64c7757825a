"""Config values for `KerasLayer` and Keras' safe mode when a saved model is loaded.

Safe mode (the default of `keras.saving.load_model`) exists so that opening a `.keras`
file cannot run code its author chose. A `KerasLayer` config names a SavedModel whose
graphs run when the model is called, so in safe mode the SavedModel is loaded only

- from a local handle (a directory, `file://` URL or local archive): deserializing never
  makes a network request to an address the file names; and
- after `rsm.scan` flagged nothing: every op, including those that run while loading
  (initializers, the restore path), is on the reviewed pure-computation allowlist, and the
  assets stay inside the model.

Anything else raises, saying how to opt out: `safe_mode=False` for one load, or
`keras.config.enable_unsafe_deserialization()`. Outside safe mode the handle is loaded as
it is, like any handle passed to `KerasLayer` directly.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import tensorflow as tf

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.interface.kit import is_remote


def check_safe_to_load(handle: str) -> None:
    """Refuses, in safe mode, a handle that is remote or whose graphs reach outside.

    Raises:
      ValueError: for an http(s) handle.
      UnsafeModelError: if `rsm.scan` flags any op (the message lists them).
    """
    if is_remote(handle):
        raise ValueError(
            f"Refusing to load the KerasLayer handle {handle!r} in Keras safe mode: a saved "
            f"model may not make this process fetch from a URL it names. If you trust the "
            f"file, pass safe_mode=False to keras.saving.load_model (or call "
            f"keras.config.enable_unsafe_deserialization())."
        )
    rsm.scan(handle).raise_if_unsafe()


def to_config_value(value: Any) -> Any:
    """Turns Tensors and numpy values in a nest into JSON-able Python values."""
    if isinstance(value, (tf.Tensor, tf.Variable, np.ndarray, np.generic)):
        return np.asarray(value).tolist()
    if isinstance(value, Mapping):
        return {k: to_config_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_config_value(v) for v in value]
    return value


def handle_string(handle: Any) -> str | None:
    """The handle as a string if it is one (str or path), else None."""
    if isinstance(handle, (str, os.PathLike)):
        return os.fspath(handle)
    return None
