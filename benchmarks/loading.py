"""Load-time paths: loading alone, from a local path or a cache hit, and each adapter's construction.

A builder takes the SavedModel's path and its cached URL (see `cache_hit.staged`) and returns
a zero-argument callable that loads afresh, so loads are timed like calls. Frameworks are
imported in the builders, so a missing one drops only its loader.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

#: What every load ratio is taken against.
BASELINE = "tf.saved_model.load"
#: The cache-hit target compares these two.
LOCAL, CACHE_HIT = "rsm.load(path)", "rsm.load(url), cache hit"
#: KerasLayer's loader and the anchors' (Keras 3's TFSMLayer, tensorflow_hub on tf_keras).
KERAS_LAYER, TFSM_LAYER, HUB_LAYER = "KerasLayer(path)", "keras TFSMLayer(path)", "hub.KerasLayer(path)"

Loader = Callable[[Path, str], Callable[[], Any]]


def _tf_load(path: Path, url: str) -> Callable[[], Any]:
    import tensorflow as tf

    return lambda: tf.saved_model.load(str(path))


def _rsm_load(handle: Callable[[Path, str], Any]) -> Loader:
    def build(path: Path, url: str) -> Callable[[], Any]:
        from reusable_savedmodel import interface as rsm

        return lambda: rsm.load(handle(path, url))

    return build


def _keras_layer(path: Path, url: str) -> Callable[[], Any]:
    from reusable_savedmodel.adapters.keras import KerasLayer

    return lambda: KerasLayer(str(path))


def _tfsm_layer(path: Path, url: str) -> Callable[[], Any]:
    import keras

    return lambda: keras.layers.TFSMLayer(str(path), call_endpoint="__call__")


def _hub_layer(path: Path, url: str) -> Callable[[], Any]:
    import tensorflow_hub as hub

    return lambda: hub.KerasLayer(str(path))


def _sonnet_module(path: Path, url: str) -> Callable[[], Any]:
    from reusable_savedmodel.adapters.sonnet import SonnetModule

    return lambda: SonnetModule(str(path))


def _to_jax(path: Path, url: str) -> Callable[[], Any]:
    from reusable_savedmodel.adapters.jax import to_jax

    return lambda: to_jax(str(path))


def _flax_module(path: Path, url: str) -> Callable[[], Any]:
    from reusable_savedmodel.adapters.flax import FlaxModule

    return lambda: FlaxModule(str(path))


#: Loader name -> builder, in report order.
LOADERS: dict[str, Loader] = {
    BASELINE: _tf_load,
    LOCAL: _rsm_load(lambda path, url: path),
    CACHE_HIT: _rsm_load(lambda path, url: url),
    KERAS_LAYER: _keras_layer,
    TFSM_LAYER: _tfsm_layer,
    HUB_LAYER: _hub_layer,
    "SonnetModule(path)": _sonnet_module,
    "to_jax(path)": _to_jax,
    "FlaxModule(path)": _flax_module,
}
