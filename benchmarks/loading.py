"""Load-time paths: loading alone, and loading plus each adapter's construction.

A builder takes the SavedModel path and returns a zero-argument callable that loads it
afresh, so the harness can build and time loaders exactly like call paths.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import tensorflow as tf

BASELINE = "tf.saved_model.load"


def _tf_load(path: Path) -> Callable[[], Any]:
    return lambda: tf.saved_model.load(str(path))


def _rsm_load(path: Path) -> Callable[[], Any]:
    from reusable_savedmodel import interface as rsm

    return lambda: rsm.load(str(path))


def _keras_layer(path: Path) -> Callable[[], Any]:
    from reusable_savedmodel.adapters.keras import KerasLayer

    return lambda: KerasLayer(str(path))


def _sonnet_module(path: Path) -> Callable[[], Any]:
    from reusable_savedmodel.adapters.sonnet import SonnetModule

    return lambda: SonnetModule(str(path))


LOADERS: dict[str, Callable[[Path], Callable[[], Any]]] = {
    BASELINE: _tf_load,
    "rsm.load": _rsm_load,
    "KerasLayer(handle)": _keras_layer,
    "SonnetModule(handle)": _sonnet_module,
}
