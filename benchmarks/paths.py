"""Every call path the benchmark times, each built from a SavedModel path and an input.

A builder returns a zero-argument callable running one forward pass. Frameworks are
imported inside the builders, so a missing one only drops its paths.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

Builder = Callable[[Path, np.ndarray], Callable[[], Any]]

#: The path every ratio is taken against.
BASELINE = "raw obj(x)"


def raw(path: Path, x: np.ndarray) -> Callable[[], Any]:
    obj, t = tf.saved_model.load(str(path)), tf.constant(x)
    return lambda: obj(t)


def raw_tf_function(path: Path, x: np.ndarray) -> Callable[[], Any]:
    obj, t = tf.saved_model.load(str(path)), tf.constant(x)
    f = tf.function(lambda v: obj(v))
    return lambda: f(t)


def piece(path: Path, x: np.ndarray) -> Callable[[], Any]:
    from reusable_savedmodel import interface as rsm

    p, t = rsm.load(path), tf.constant(x)
    return lambda: p(t)


def keras_layer(path: Path, x: np.ndarray) -> Callable[[], Any]:
    from reusable_savedmodel.adapters.keras import KerasLayer

    layer, t = KerasLayer(str(path)), tf.constant(x)
    return lambda: layer(t)


def keras_layer_tf_function(path: Path, x: np.ndarray) -> Callable[[], Any]:
    from reusable_savedmodel.adapters.keras import KerasLayer

    layer, t = KerasLayer(str(path)), tf.constant(x)
    f = tf.function(lambda v: layer(v))
    return lambda: f(t)


def keras_layer_predict(path: Path, x: np.ndarray) -> Callable[[], Any]:
    import keras

    from reusable_savedmodel.adapters.keras import KerasLayer

    model = keras.Sequential([keras.Input(x.shape[1:]), KerasLayer(str(path))])
    return lambda: model.predict(x, batch_size=len(x), verbose=0)


def tfsm_layer(path: Path, x: np.ndarray) -> Callable[[], Any]:
    import keras

    layer, t = keras.layers.TFSMLayer(str(path), call_endpoint="__call__"), tf.constant(x)
    return lambda: layer(t)


def hub_keras_layer(path: Path, x: np.ndarray) -> Callable[[], Any]:
    import tensorflow_hub as hub

    layer, t = hub.KerasLayer(str(path)), tf.constant(x)
    return lambda: layer(t)


def sonnet_module(path: Path, x: np.ndarray) -> Callable[[], Any]:
    from reusable_savedmodel.adapters.sonnet import SonnetModule

    module, t = SonnetModule(str(path)), tf.constant(x)
    return lambda: module(t)


def sonnet_module_tf_function(path: Path, x: np.ndarray) -> Callable[[], Any]:
    from reusable_savedmodel.adapters.sonnet import SonnetModule

    module, t = SonnetModule(str(path)), tf.constant(x)
    f = tf.function(lambda v: module(v))
    return lambda: f(t)


def to_jax_jit(path: Path, x: np.ndarray) -> Callable[[], Any]:
    import jax

    from reusable_savedmodel.adapters.jax import to_jax

    jp = to_jax(str(path))
    f = jax.jit(lambda p, s, v: jp.apply(p, s, v)[0])
    xj = jax.numpy.asarray(x)
    return lambda: f(jp.params, jp.state, xj)


def flax_module_jit(path: Path, x: np.ndarray) -> Callable[[], Any]:
    import jax
    from flax import nnx

    from reusable_savedmodel.adapters.flax import FlaxModule

    module = FlaxModule(str(path))
    f = nnx.jit(lambda m, v: m(v))
    xj = jax.numpy.asarray(x)
    return lambda: f(module, xj)


def call_tf_jit(path: Path, x: np.ndarray) -> Callable[[], Any]:
    import jax
    from jax.experimental import jax2tf

    obj = tf.saved_model.load(str(path))
    f = jax.jit(jax2tf.call_tf(lambda v: obj(v)))
    xj = jax.numpy.asarray(x)
    return lambda: f(xj)


def tf2jax_by_hand(path: Path, x: np.ndarray) -> Callable[[], Any]:
    import jax
    import tf2jax

    obj = tf.saved_model.load(str(path))
    fn, params = tf2jax.convert(tf.function(lambda v: obj(v, training=False)), np.zeros_like(x))
    f = jax.jit(lambda p, v: fn(p, v)[0])
    xj = jax.numpy.asarray(x)
    return lambda: f(params, xj)


#: Path name -> (builder, framework module it needs, runs on the GPU machine).
PATHS: dict[str, tuple[Builder, str, bool]] = {
    BASELINE: (raw, "tensorflow", False),
    "raw in tf.function": (raw_tf_function, "tensorflow", False),
    "Piece": (piece, "tensorflow", False),
    "KerasLayer eager": (keras_layer, "keras", False),
    "KerasLayer tf.function": (keras_layer_tf_function, "keras", False),
    "KerasLayer predict": (keras_layer_predict, "keras", False),
    "keras TFSMLayer": (tfsm_layer, "keras", False),
    "hub.KerasLayer (tf_keras)": (hub_keras_layer, "tensorflow_hub", False),
    "SonnetModule eager": (sonnet_module, "sonnet", False),
    "SonnetModule tf.function": (sonnet_module_tf_function, "sonnet", False),
    "to_jax + jax.jit": (to_jax_jit, "jax", True),
    "FlaxModule nnx.jit": (flax_module_jit, "flax", True),
    "jax2tf.call_tf + jax.jit": (call_tf_jit, "jax", False),
    "tf2jax by hand + jax.jit": (tf2jax_by_hand, "tf2jax", False),
}


def sync(out: Any) -> Any:
    """Waits for asynchronous (JAX) results; TF eager results are already computed."""
    for leaf in tf.nest.flatten(out):
        if hasattr(leaf, "block_until_ready"):
            leaf.block_until_ready()
    return out
