"""`to_jax` and `FlaxModule` on SavedModels written by real exporters, against the raw TF object.

Each model is built in a separate process with its producer's own code (see `producers`).
"""

from __future__ import annotations

from pathlib import Path

import gradient_producers as producers
import jax
import numpy as np
import pytest
import tensorflow as tf

from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.jax import NoTraceError, UnconvertibleError, to_jax
from reusable_savedmodel.adapters.jax.conversion._convert import variable_paths

# Child interpreters or large models: left out of the quick loop (pytest -m "not slow").
pytestmark = pytest.mark.slow


def _tape(raw, x, **kwargs):
    """The raw object's outputs and the gradient of sum(outputs**2) w.r.t. inputs and variables.

    The variables' gradients are keyed as `to_jax` keys its params.
    """
    x = tf.constant(x)
    names = dict(zip((id(v) for v in raw.variables), variable_paths(raw.variables)))
    variables = list(raw.trainable_variables)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = raw(x, **kwargs)
        loss = tf.reduce_sum(y * y)
    grad_x, *grad_vars = tape.gradient(loss, [x, *variables])
    return y.numpy(), grad_x.numpy(), {names[id(v)]: g.numpy() for v, g in zip(variables, grad_vars)}


def _jax(jp, x, training=False):
    def loss(params, x):
        y, _ = jp.apply(params, jp.state, x, training=training)
        return (y * y).sum()

    grad_params, grad_x = jax.grad(loss, argnums=(0, 1))(jp.params, x)
    return jp(x, training=training), grad_x, grad_params


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The light models of this module, written by one producer process."""
    return producers.produce_all(
        tmp_path_factory.mktemp("producers"),
        {
            "cubed": producers.CUSTOM_GRADIENT,
            "tf_keras_swish": producers.TF_KERAS_SWISH,
            "keras3_swish": producers.KERAS3_SWISH,
            "jax2tf_no_gradient": producers.JAX2TF_NO_GRADIENT,
            "text": producers.TEXT_PREPROCESSORS,
        },
    )


@pytest.fixture(scope="module")
def custom_gradient_model(built):
    return built["cubed"]


def test_custom_gradient_is_the_saved_one(custom_gradient_model):
    raw = tf.saved_model.load(custom_gradient_model)
    x = np.array([[0.3, -0.2], [1.0, 0.5]], np.float32)
    y, grad_x, grad_vars = _tape(raw, x, training=False)
    jp = to_jax(custom_gradient_model)
    jy, jgrad_x, jgrad_params = _jax(jp, x)
    assert_close(jy, y)
    assert_close(jgrad_x, grad_x)
    assert_close(jgrad_params, grad_vars)
    grad_w = grad_vars["w"]
    # The saved gradient is 7x, not autodiff's 3x^2: the comparison above can tell them apart.
    w = raw.trainable_variables[0].numpy()
    autodiff_w = x.T @ (2 * y * 3 * (x @ w) ** 2)
    assert not np.allclose(grad_w, autodiff_w, rtol=1e-2)


def test_flax_module_uses_the_custom_gradient(custom_gradient_model):
    from flax import nnx

    from reusable_savedmodel.adapters.flax import FlaxModule

    raw = tf.saved_model.load(custom_gradient_model)
    x = np.array([[0.3, -0.2], [1.0, 0.5]], np.float32)
    _, _, grad_vars = _tape(raw, x, training=False)
    module = FlaxModule(custom_gradient_model)
    grads = nnx.grad(lambda m: (m(x) ** 2).sum())(module)
    assert_close(grads.params["w"][...], grad_vars["w"])


@pytest.mark.parametrize("name", ["tf_keras_swish", "keras3_swish"])
def test_swish_models_match_tf(built, name):
    path = built[name]
    raw = tf.saved_model.load(path)
    x = np.random.RandomState(0).rand(5, 3).astype(np.float32)
    y, grad_x, grad_vars = _tape(raw, x, training=False)
    jp = to_jax(path)
    jy, jgrad_x, jgrad_params = _jax(jp, x)
    assert_close(jy, y)
    assert_close(jgrad_x, grad_x)
    assert_close(jgrad_params, grad_vars)


def _function_tape(piece, x):
    """A bare function's outputs and the gradients of sum(outputs**2) w.r.t. inputs and variables."""
    function, variables = piece.function, list(piece.trainable_variables)
    names = dict(zip((id(v) for v in piece.variables), variable_paths(piece.variables)))
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = function(x)
        loss = tf.reduce_sum(y * y)
    grad_x, *grad_vars = tape.gradient(loss, [x, *variables])
    return y.numpy(), grad_x.numpy(), {names[id(v)]: g.numpy() for v, g in zip(variables, grad_vars)}


def test_jax2tf_export_with_gradient(real_model):
    path = real_model("jax2tf_export")
    raw = tf.saved_model.load(path)
    x = np.random.RandomState(0).rand(4, 3).astype(np.float32)
    y, grad_x, grad_vars = _function_tape(rsm.as_piece(raw).callable("f"), x)
    jp = to_jax(path, callable="f")
    jy, jgrad_x, jgrad_params = _jax(jp, x)
    assert_close(jy, y)
    assert_close(jgrad_x, grad_x)
    assert_close(jgrad_params, grad_vars)
    # Another batch size: the shape-polymorphic module is specialized per call shape.
    assert_close(jp(x[:2]), raw.f(tf.constant(x[:2])))


def test_text_vectorization_names_the_string_ops_and_where(real_model):
    with pytest.raises(UnconvertibleError) as info:
        to_jax(real_model("text_vectorization"))
    message = str(info.value)
    assert "StringLower" in message and "LookupTableFindV2" in message
    assert "text_vectorization/StringLower" in message  # where it sits
    assert "StatefulPartitionedCall" not in message  # a call wrapper is not the obstacle


@pytest.fixture(scope="module")
def preprocessors(built):
    return Path(built["text"])


def test_preprocessor_error_suggests_only_callables_that_convert(preprocessors):
    path = str(preprocessors / "convertible_pack")
    with pytest.raises(UnconvertibleError) as info:
        to_jax(path)
    message = str(info.value)
    assert "LookupTableFindV2" in message and "StringSplitV2" in message
    assert "StatefulPartitionedCall" not in message
    assert "callable='bert_pack_inputs'" in message and "'tokenize'" not in message
    # The suggestion works: it converts and matches TensorFlow.
    raw = tf.saved_model.load(path)
    ids = np.array([[3, 4, 1, 0]], np.int64)
    expected = raw.bert_pack_inputs(tf.constant(ids), training=False).numpy()
    np.testing.assert_array_equal(to_jax(path, callable="bert_pack_inputs")(ids), expected)


def test_preprocessor_error_when_no_callable_converts(preprocessors):
    with pytest.raises(UnconvertibleError) as info:
        to_jax(str(preprocessors / "string_pack"))
    message = str(info.value)
    assert "None of its named callables or tf.functions (bert_pack_inputs, tokenize) converts" in message
    assert "callable=" not in message


def test_signature_only_keras3_export_runs_frozen(real_model):
    path = real_model("keras3_export")
    raw = tf.saved_model.load(path)
    signature = raw.signatures["serving_default"]
    (name,) = signature.structured_input_signature[1]
    x = np.random.RandomState(0).rand(3, 4).astype(np.float32)
    expected = {k: v.numpy() for k, v in signature(**{name: tf.constant(x)}).items()}
    with pytest.raises(rsm.NonConformingError, match="signature=NAME"):  # the core's one message
        to_jax(path)
    jp = to_jax(path, signature="serving_default")
    assert jp.params == {} and len(jp.state) == len(signature.variables)  # frozen
    assert_close(jp({name: x}), expected)
    (key,) = expected
    assert_close(to_jax(path, signature="serving_default", output_key=key)({name: x}), expected[key])
    with pytest.raises(NoTraceError):
        jp({name: x}, training=True)  # inference only
    # The bare tf.function `serve` Keras puts at the root is reachable with callable=.
    assert_close(to_jax(path, callable="serve")(x), expected[key])


def test_flax_module_on_a_signature_is_frozen(real_model):
    from flax import nnx

    from reusable_savedmodel.adapters.flax import FlaxModule

    path = real_model("keras3_export")
    signature = tf.saved_model.load(path).signatures["serving_default"]
    (name,) = signature.structured_input_signature[1]
    x = np.random.RandomState(1).rand(2, 4).astype(np.float32)
    (expected,) = signature(**{name: tf.constant(x)}).values()
    module = FlaxModule(path, signature="serving_default", output_key="output_0")
    assert not nnx.state(module, nnx.Param)  # nothing to train
    module.train()
    assert_close(module({name: x}), expected)  # still the inference trace


def test_mobilenet_v2_matches_tf(tmp_path):
    script = producers.tf_keras_application("MobileNetV2", 32, "alpha=0.35, ")
    path = producers.produce(tmp_path, "mobilenet_v2", script)
    raw = tf.saved_model.load(path)
    x = np.random.RandomState(0).rand(2, 32, 32, 3).astype(np.float32)
    jp = to_jax(path)
    # Forward only: a deep net's gradient compiles slowly; gradients through tf_keras'
    # nested layer functions are checked on the small swish model above.
    assert_close(jp(x), raw(tf.constant(x), training=False), deep=True)


def test_jax2tf_export_without_gradient_runs_and_refuses_gradients(built):
    path = built["jax2tf_no_gradient"]
    raw = tf.saved_model.load(path)
    x = np.random.RandomState(0).rand(3, 3).astype(np.float32)
    jp = to_jax(path, callable="f")
    assert_close(jp(x), raw.f(tf.constant(x)))
    # As in TensorFlow, where the export prevents gradients, asking for one fails clearly.
    with pytest.raises(LookupError, match="does not support gradients"):
        jax.grad(lambda x: jp(x).sum())(x)
