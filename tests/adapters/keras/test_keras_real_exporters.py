"""KerasLayer and from_keras on SavedModels from real exporters (tests/fixtures/real_producers.py,
built in a subprocess), against the raw loaded object and tensorflow_hub's KerasLayer."""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub

from fixtures.real_exporters import X2, X3, X4, loss_gradients
from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.keras import KerasLayer, from_keras

# Child interpreters or large models: left out of the quick loop (pytest -m "not slow").
pytestmark = pytest.mark.slow


def test_tf1_hub_module_runs_its_default_signature_like_hub(real_model):
    path = real_model("tf1_hub_module")
    layer = KerasLayer(path)
    oracle = hub.KerasLayer(path)  # TF Hub's own defaults for the TF1 format
    assert_close(layer(X3), oracle(tf.constant(X3)))
    w = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    assert_close(layer(X3), X3 @ w + [0.5, -0.5])
    hidden = KerasLayer(path, signature="default", output_key="hidden")
    assert_close(hidden(X3), X3 @ w)
    assert_close(KerasLayer(path, output_key="hidden")(X3), hub.KerasLayer(path, output_key="hidden")(X3))
    model = keras.Sequential([keras.Input((3,)), layer, keras.layers.Dense(1)])
    assert model(X3).shape == (2, 1) and layer.trainable_weights == []
    with pytest.raises(rsm.UnsupportedError, match="TF1 Hub module.*fine-tuning it.*out of scope"):
        KerasLayer(path, trainable=True)
    with pytest.raises(rsm.UnsupportedError, match="fine-tuning a TF1 Hub module is out of scope"):
        layer.trainable = True


def test_callable_selects_a_bare_function(real_model):
    path = real_model("function_root")
    raw = tf.saved_model.load(path)
    layer = KerasLayer(path, callable="f", trainable=True)
    assert_close(layer(X2), raw.f(tf.constant(X2)))
    assert [w.name for w in layer.trainable_weights] == ["w"]  # `scale` has trainable=False
    (grad,) = loss_gradients(layer, [layer.trainable_weights[0].value], X2)
    (raw_grad,) = loss_gradients(raw.f, [raw.w], tf.constant(X2))
    assert_close(grad, raw_grad)
    with pytest.raises(rsm.NonConformingError, match="is signature-only"):
        KerasLayer(path)


def test_jax2tf_export_trains_through_its_function(real_model):
    path = real_model("jax2tf_export")
    raw = tf.saved_model.load(path)
    layer = KerasLayer(path, callable="f", trainable=True)
    assert len(layer.trainable_weights) == 2
    assert_close(layer(X3), raw.f(tf.constant(X3)))
    grads = loss_gradients(layer, [w.value for w in layer.trainable_weights], X3)
    # Hand-computed for sum(tanh(x @ w + b) ** 2), the JAX function's custom gradient.
    w = np.arange(6, dtype=np.float32).reshape(3, 2) / 10
    y = np.tanh(X3 @ w + [0.1, -0.2])
    dz = 2 * y * (1 - y**2)
    by_shape = {tuple(g.shape): g for g in grads}
    assert_close(by_shape[(3, 2)], X3.T @ dz)
    assert_close(by_shape[(2,)], dz.sum(0))
    # The piece's variables: a step on the layer is a step on its loaded object.
    before = layer.piece(X3).numpy()
    keras.optimizers.SGD(0.1).apply(grads, layer.trainable_weights)
    assert not np.allclose(layer.piece(X3).numpy(), before)


def test_text_vectorization_model_works_without_its_none_variable(real_model):
    path = real_model("text_vectorization")
    raw = tf.saved_model.load(path)
    layer = KerasLayer(path, trainable=True)
    text = tf.constant(["the cat sat", "a dog ran"])
    assert_close(layer(text), raw(text))
    (embedding,) = layer.trainable_weights
    raw_embedding = [v for v in raw.trainable_variables if v is not None]
    assert_close(loss_gradients(layer, [embedding.value], text)[0], loss_gradients(raw, raw_embedding, text)[0])
    model = keras.Sequential([keras.Input((), dtype="string"), layer, keras.layers.Dense(1)])
    assert model(text).shape == (2, 1)


def test_keras3_export_through_its_signature_and_its_endpoint(real_model):
    path = real_model("keras3_export")
    raw = tf.saved_model.load(path)
    (output_key,) = raw.signatures["serving_default"].structured_outputs
    layer = KerasLayer(path, signature="serving_default", output_key=output_key)
    assert_close(layer(X4), raw.signatures["serving_default"](tf.constant(X4))[output_key])
    assert layer.trainable_weights == []  # inference only
    assert_close(KerasLayer(path, callable="serve")(X4), raw.serve(tf.constant(X4)))
    with pytest.raises(rsm.UnsupportedError, match="inference only"):
        KerasLayer(path, signature="serving_default", trainable=True)


def test_from_keras_takes_a_sequential_built_on_keras_input(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    piece = from_keras(model)
    assert piece.spec.call.inputs[0].shape.as_list() == [None, 4]
    assert_close(piece(X4), model(X4))
    assert_close(rsm.save(piece, tmp_path / "m")(X4), model(X4))


def test_save_keeps_a_loaded_models_signatures(real_model, tmp_path):
    path = real_model("text_vectorization")
    raw = tf.saved_model.load(path)
    saved = rsm.save(KerasLayer(path, trainable=True).piece, tmp_path / "m", check=False)
    text = tf.constant(["the cat", "dog"])
    ((key, expected),) = raw.signatures["serving_default"](text).items()
    assert_close(saved.signatures["serving_default"](text)[key], expected)


def test_training_updates_batch_norm_statistics_as_tensorflow_does(real_model):
    path = real_model("tf_keras_swish_batch_norm")
    raw = tf.saved_model.load(path)
    layer = KerasLayer(path, trainable=True)
    assert_close(layer(X4), raw(tf.constant(X4), training=False))
    layer(X4, training=True)
    raw(tf.constant(X4), training=True)
    for got, expected in zip(layer.piece.variables, raw.variables, strict=True):
        assert_close(got, expected)  # moving mean and variance moved alike
    assert not np.allclose([v for v in raw.variables if "moving_mean" in v.name][0], 0.0)
    frozen = KerasLayer(path)  # frozen: the inference trace, no update
    before = [v.numpy() for v in frozen.piece.variables]
    frozen(X4, training=True)
    for got, expected in zip(frozen.piece.variables, before, strict=True):
        np.testing.assert_array_equal(got, expected)
