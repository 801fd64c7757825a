"""SonnetModule and from_sonnet on SavedModels from real exporters
(tests/fixtures/real_producers.py, built in a subprocess), against the raw loaded object."""

import numpy as np
import pytest
import sonnet as snt
import tensorflow as tf

from fixtures.real_exporters import X2, X3, X4, loss_gradients
from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.sonnet import SonnetModule, from_sonnet

# Child interpreters or large models: left out of the quick loop (pytest -m "not slow").
pytestmark = pytest.mark.slow


def test_tf1_hub_module_runs_its_default_signature_frozen(real_model):
    path = real_model("tf1_hub_module")
    raw = tf.saved_model.load(path, tags=[])
    module = SonnetModule(path)
    assert_close(module(X3), raw.signatures["default"](inputs=tf.constant(X3))["default"])
    assert not module.trainable and module.trainable_variables == ()
    assert len(module.variables) == 2 and float(module.regularization_loss()) == 0.0
    assert_close(SonnetModule(path, output_key="hidden")(X3), X3 @ np.array([[1, 2], [3, 4], [5, 6]], np.float32))
    with pytest.raises(rsm.UnsupportedError, match="TF1 Hub module.*out of scope"):
        SonnetModule(path, trainable=True)


def test_callable_selects_a_bare_function_and_names_are_kept(real_model):
    path = real_model("function_root")
    raw = tf.saved_model.load(path)
    module = SonnetModule(path, callable="f")
    assert_close(module(X2), raw.f(tf.constant(X2)))
    assert [v.name for v in module.trainable_variables] == ["w:0"]  # not "f/w:0"
    (grad,) = loss_gradients(module, module.trainable_variables, X2)
    (raw_grad,) = loss_gradients(raw.f, [raw.w], tf.constant(X2))
    assert_close(grad, raw_grad)
    snt.optimizers.SGD(0.1).apply([grad], module.trainable_variables)
    assert_close(module.trainable_variables[0], raw.w - 0.1 * raw_grad)  # one SGD step


def test_named_callables_of_a_root_without_call(real_model):
    path = real_model("callables_root")
    raw = tf.saved_model.load(path)
    encoder = SonnetModule(path, callable="encoder")
    assert_close(encoder(X3), raw.encoder(tf.constant(X3)))
    assert [v.name for v in encoder.variables] == [v.name for v in raw.encoder.variables]


def test_text_vectorization_model_works_without_its_none_variable(real_model):
    path = real_model("text_vectorization")
    raw = tf.saved_model.load(path)
    module = SonnetModule(path)
    text = tf.constant(["the cat sat", "a dog ran"])
    assert_close(module(text), raw(text))
    (embedding,) = module.trainable_variables
    raw_embedding = [v for v in raw.trainable_variables if v is not None]
    assert_close(loss_gradients(module, [embedding], text)[0], loss_gradients(raw, raw_embedding, text)[0])


def test_keras3_export_through_its_signature_is_frozen(real_model):
    path = real_model("keras3_export")
    raw = tf.saved_model.load(path)
    (output_key,) = raw.signatures["serving_default"].structured_outputs
    module = SonnetModule(path, signature="serving_default", output_key=output_key)
    assert_close(module(X4), raw.signatures["serving_default"](tf.constant(X4))[output_key])
    assert module.trainable_variables == () and not module.trainable
    assert len(module.variables) == len(raw.variables)
    whole = SonnetModule(path, signature="serving_default")(X4)
    assert set(whole) == {output_key}
    with pytest.raises(rsm.UnsupportedError, match="inference only"):
        SonnetModule(path, signature="serving_default", trainable=True)
    with pytest.raises(ValueError, match="pass signature= too"):
        SonnetModule(path, output_key=output_key)


def test_from_sonnet_takes_an_mlp_without_dropout(tmp_path):
    mlp = snt.nets.MLP([8, 3])
    piece = from_sonnet(mlp, input_signature=tf.TensorSpec([None, 4], tf.float32))
    assert piece.spec.call.training_values == (False, True)
    for training in (False, True):
        assert_close(piece(X4, training=training), mlp(tf.constant(X4)))
    assert_close(rsm.save(piece, tmp_path / "m")(X4), mlp(tf.constant(X4)))
    # With dropout the MLP takes is_training: the training trace drops units.
    dropout = snt.nets.MLP([64, 3], dropout_rate=0.9)
    piece = from_sonnet(dropout, input_signature=tf.TensorSpec([None, 4], tf.float32))
    assert_close(piece(X4), dropout(tf.constant(X4), is_training=False))
    assert not np.allclose(piece(X4, training=True), piece(X4))


def test_training_updates_batch_norm_statistics_as_tensorflow_does(real_model):
    path = real_model("tf_keras_swish_batch_norm")
    raw = tf.saved_model.load(path)
    module = SonnetModule(path)
    assert_close(module(X4), raw(tf.constant(X4), training=False))
    module(X4, is_training=True)
    raw(tf.constant(X4), training=True)
    assert [v.name for v in module.variables] == [v.name for v in raw.variables]
    for got, expected in zip(module.variables, raw.variables, strict=True):
        assert_close(got, expected)  # moving mean and variance moved alike
    moving = [v for v in module.variables if "moving_mean" in v.name]
    assert moving and not np.allclose(moving[0], 0.0)
    (grad,) = loss_gradients(module, module.trainable_variables[:1], X4)
    (raw_grad,) = loss_gradients(lambda x: raw(x, training=False), raw.trainable_variables[:1], tf.constant(X4))
    assert_close(grad, raw_grad)
