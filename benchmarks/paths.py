"""The CPU call paths: every way to call a Reusable SavedModel that the benchmark compares.

Each builder takes a model's `Source` and returns a `Bind`. Frameworks are imported inside
the builders, so a missing one only drops its paths.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

from benchmarks import jax_steps, models, native, tape_steps
from benchmarks.binding import Bind, flax_module, jit_apply, jitted, nnx_jit
from benchmarks.source import Source

# Every path traces its own tf.function, which TF would warn about as excessive retracing.
tf.get_logger().setLevel("ERROR")

#: The path every ratio is taken against: the loaded object's eager call.
BASELINE = "raw obj(x)"
#: The loaded object's eager training step, the steps' reference.
RAW_STEP = "raw step (tape)"


def _eager(fn: Callable[[tf.Tensor], Any]) -> Bind:
    def bind(x: np.ndarray) -> Callable[[], Any]:
        t = tf.constant(x)
        return lambda: fn(t)

    return bind


def _in_function(fn: Callable[[tf.Tensor], Any]) -> Bind:
    return _eager(tf.function(lambda t: fn(t)))


def predict(model: Any) -> Bind:
    """`model.predict` on the whole input as one batch.

    Args:
      model: A Keras model (Keras 3 or tf_keras).

    Returns:
      The binder.
    """
    return lambda x: lambda: model.predict(x, batch_size=len(x), verbose=0)


def _keras_layer(source: Source) -> Any:
    from reusable_savedmodel.adapters.keras import KerasLayer

    return KerasLayer(source.piece)


def _keras_predict(source: Source) -> Bind:
    import keras

    layer = _keras_layer(source)
    # A model per input, on a typed `keras.Input`: built from data, Keras 3 would take the
    # BERT encoder's int32 token ids as float32.
    return lambda x: predict(keras.Sequential([keras.Input(x.shape[1:], dtype=str(x.dtype)), layer]))(x)


def _tfsm_layer(source: Source) -> Any:
    import keras

    return keras.layers.TFSMLayer(str(source.path), call_endpoint="__call__")


def _hub_layer(source: Source) -> Any:
    import tensorflow_hub as hub

    return hub.KerasLayer(source.obj)


def _hub_predict(source: Source) -> Bind:
    import tf_keras

    return predict(tf_keras.Sequential([_hub_layer(source)]))


def _sonnet_module(source: Source) -> Any:
    from reusable_savedmodel.adapters.sonnet import SonnetModule

    return SonnetModule(source.piece)


def _call_tf(source: Source) -> Bind:
    import jax
    from jax.experimental import jax2tf

    obj = source.obj
    return jitted(jax.jit(jax2tf.call_tf(lambda t: obj(t))))


def _tf2jax_by_hand(source: Source) -> Bind:
    import jax
    import tf2jax

    obj = source.obj
    # The declared input spec (batch left undefined): one conversion serves every batch.
    spec = obj.__call__.concrete_functions[0].structured_input_signature[0][0]
    fn, params = tf2jax.convert(tf.function(lambda t: obj(t, training=False)), spec)
    return jitted(jax.jit(lambda p, x: fn(p, x)[0]), params)


def _keras_layer_step(source: Source) -> Bind:
    import keras

    from reusable_savedmodel import interface as rsm
    from reusable_savedmodel.adapters.keras import KerasLayer

    layer = KerasLayer(rsm.load(str(source.path)), trainable=True)  # its own copy: it trains
    return native.keras_step(keras.Sequential([keras.Input(models.SHAPES[models.NATIVE_MODEL]), layer]))


def _sonnet_module_step(source: Source) -> Bind:
    from reusable_savedmodel import interface as rsm
    from reusable_savedmodel.adapters.sonnet import SonnetModule

    module = SonnetModule(rsm.load(str(source.path)))
    return native.tf_step(module, lambda x: module(x, is_training=True))


def _native_sonnet_step(source: Source) -> Bind:
    module = native.sonnet_mlp(source.obj)
    return native.tf_step(module, module)


def _to_jax_step(source: Source) -> Bind:
    piece = source.jax_piece
    return native.jax_step(lambda p, x: piece.apply(p, piece.state, x, training=True)[0], piece.params)


def _flax_module_step(source: Source) -> Bind:
    from reusable_savedmodel.adapters.flax import FlaxModule

    module = FlaxModule(source.jax_piece)
    module.train()
    return native.nnx_step(module)


def _native_jax_jit(source: Source) -> Bind:
    import jax

    return jitted(jax.jit(native.jax_forward), native.jax_params(source.obj))


Builders = dict[str, tuple[Callable[[Source], Bind], str]]

_CALLS: Builders = {
    BASELINE: (lambda s: _eager(s.obj), "tensorflow"),
    "raw in tf.function": (lambda s: _in_function(s.obj), "tensorflow"),
    "Piece": (lambda s: _eager(s.piece), "tensorflow"),
    "Piece tf.function": (lambda s: _in_function(s.piece), "tensorflow"),
    "KerasLayer eager": (lambda s: _eager(_keras_layer(s)), "keras"),
    "KerasLayer tf.function": (lambda s: _in_function(_keras_layer(s)), "keras"),
    "KerasLayer predict": (_keras_predict, "keras"),
    "keras TFSMLayer": (lambda s: _eager(_tfsm_layer(s)), "keras"),
    "keras TFSMLayer tf.function": (lambda s: _in_function(_tfsm_layer(s)), "keras"),
    "hub.KerasLayer (tf_keras)": (lambda s: _eager(_hub_layer(s)), "tensorflow_hub"),
    "hub.KerasLayer tf.function": (lambda s: _in_function(_hub_layer(s)), "tensorflow_hub"),
    "hub.KerasLayer predict": (_hub_predict, "tensorflow_hub"),
    "SonnetModule eager": (lambda s: _eager(_sonnet_module(s)), "sonnet"),
    "SonnetModule tf.function": (lambda s: _in_function(_sonnet_module(s)), "sonnet"),
    "to_jax + jax.jit": (lambda s: jit_apply(s.jax_piece), "jax"),
    "FlaxModule nnx.jit": (lambda s: flax_module(s.jax_piece), "flax"),
    "jax2tf.call_tf + jax.jit": (_call_tf, "jax"),
    "tf2jax by hand + jax.jit": (_tf2jax_by_hand, "tf2jax"),
}
#: The native networks and their training steps, written for `models.NATIVE_MODEL` only.
NATIVE_PATHS: Builders = {
    "native Keras eager": (lambda s: _eager(native.keras_model(s.obj)), "keras"),
    "native Keras tf.function": (lambda s: _in_function(native.keras_model(s.obj)), "keras"),
    "native Sonnet eager": (lambda s: _eager(native.sonnet_mlp(s.obj)), "sonnet"),
    "native Sonnet tf.function": (lambda s: _in_function(native.sonnet_mlp(s.obj)), "sonnet"),
    "native JAX jax.jit": (_native_jax_jit, "jax"),
    "native Flax nnx.jit": (lambda s: nnx_jit(native.flax_model(s.obj)), "flax"),
    "KerasLayer step": (_keras_layer_step, "keras"),
    "native Keras step": (lambda s: native.keras_step(native.keras_model(s.obj)), "keras"),
    "SonnetModule step": (_sonnet_module_step, "sonnet"),
    "native Sonnet step": (_native_sonnet_step, "sonnet"),
    "to_jax step": (_to_jax_step, "jax"),
    "native JAX step": (lambda s: native.jax_step(native.jax_forward, native.jax_params(s.obj)), "jax"),
    "FlaxModule step": (_flax_module_step, "flax"),
    "native Flax step": (lambda s: native.nnx_step(native.flax_model(s.obj)), "flax"),
}
_STEPS: Builders = {
    # Eager GradientTape steps on every model, against the anchors (see `tape_steps`).
    RAW_STEP: (tape_steps.raw_step, "tensorflow"),
    "KerasLayer step (tape)": (tape_steps.keras_layer_step, "keras"),
    "keras TFSMLayer step (tape)": (tape_steps.tfsm_layer_step, "keras"),
    "hub.KerasLayer step (tape)": (tape_steps.hub_layer_step, "tensorflow_hub"),
    "Piece step (tape)": (tape_steps.piece_step, "tensorflow"),
    "SonnetModule step (tape)": (tape_steps.sonnet_module_step, "sonnet"),
    # The same step compiled in JAX on the converted model (see `jax_steps`).
    "to_jax step (jax.grad)": (lambda s: jax_steps.to_jax_step(s.jax_piece), "jax"),
    "FlaxModule step (nnx)": (lambda s: jax_steps.flax_module_step(s.jax_piece), "flax"),
}
#: Path name -> (builder, the module it needs), in report order.
PATHS: Builders = {**_CALLS, **NATIVE_PATHS, **_STEPS}
#: Left out on the real models: no adapter, no anchor the targets name, and a long compile.
NOT_ON_REAL_MODELS = frozenset({"jax2tf.call_tf + jax.jit"})


def for_model(model: str) -> dict[str, Callable[[Source], Bind]]:
    """The paths timed on `model` whose framework is installed, in report order.

    Args:
      model: A key of `models.SHAPES`.

    Returns:
      Path name -> builder.
    """
    return {
        name: builder
        for name, (builder, module) in PATHS.items()
        if importlib.util.find_spec(module)
        and (name not in NATIVE_PATHS or model == models.NATIVE_MODEL)
        and (name not in NOT_ON_REAL_MODELS or model not in models.REAL_MODELS)
    }
