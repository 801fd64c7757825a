"""KerasLayer against the raw loaded object and tensorflow_hub.KerasLayer (tf_keras) as oracles."""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub

from fixtures import models
from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.keras import KerasLayer
from reusable_savedmodel.adapters.keras import _fast_path as fast_path

X = models.example_inputs("mlp", batch=8)


def names(variables):
    return sorted(v.name.split(":")[0] for v in variables)


def values(variables):
    return [np.array(v) for v in variables]


@pytest.fixture
def mlp(zoo_path):
    return zoo_path("mlp")


def test_the_seeds_example_verbatim(zoo_path):
    layer = KerasLayer(zoo_path("mul"))
    np.testing.assert_array_equal(layer([10.0, 20.0]), [20.0, 40.0])
    assert layer.trainable_weights == [] and layer.losses == []
    layer.trainable = True
    assert [float(w.numpy()) for w in layer.trainable_weights] == [2.0]
    assert_close([float(x) for x in layer.losses], [0.004])
    # The oracle says the same.
    oracle = hub.KerasLayer(zoo_path("mul"))
    oracle.trainable = True
    np.testing.assert_array_equal(layer([10.0, 20.0]), oracle(tf.constant([10.0, 20.0])))
    assert_close(layer.losses, oracle.losses)


def test_weights_are_the_pieces_own_variables(mlp):
    layer = KerasLayer(mlp, trainable=True)
    piece = layer.piece
    assert [id(w.value) for w in layer.weights] == [
        *(id(v) for v in piece.variables if any(v is t for t in piece.trainable_variables)),
        *(id(v) for v in piece.non_trainable_variables),
    ]
    assert [id(w.value) for w in layer.trainable_weights] == [
        id(v) for v in piece.variables if any(v is t for t in piece.trainable_variables)
    ]
    # encoder/input_scale is trainable by flag but curated out: non-trainable here too.
    assert "encoder/input_scale" in names(w.value for w in layer.non_trainable_weights)
    oracle = hub.KerasLayer(mlp, trainable=True)
    assert names(w.value for w in layer.trainable_weights) == names(oracle.trainable_weights)
    assert names(w.value for w in layer.non_trainable_weights) == names(oracle.non_trainable_weights)


def test_outputs_match_raw_and_oracle(mlp):
    raw = tf.saved_model.load(mlp)
    layer, oracle = KerasLayer(mlp), hub.KerasLayer(mlp)
    assert_close(layer(X), raw(X))
    assert_close(layer(X), oracle(X))
    assert_close(tf.function(layer)(tf.constant(X)), raw(X))
    hidden = layer(tf.constant(X), return_hidden=True)
    assert_close(hidden["hidden"], raw(X, return_hidden=True)["hidden"])


def test_frozen_always_runs_the_inference_trace(mlp):
    raw = tf.saved_model.load(mlp)
    layer = KerasLayer(mlp)
    stats = values(layer.non_trainable_weights)
    assert_close(layer(X, training=True), raw(X, training=False))
    assert_close(layer(X, training=tf.constant(True)), raw(X))
    for before, after in zip(stats, values(layer.non_trainable_weights), strict=True):
        np.testing.assert_array_equal(before, after)
    model = keras.Sequential([keras.Input((4,)), layer, keras.layers.Dense(2)])
    assert len(model.trainable_weights) == 2  # the Dense's only
    assert model.losses == []


@pytest.mark.parametrize("training", [True, "tensor", "graph"])
def test_trainable_forwards_training(mlp, training):
    raw = tf.saved_model.load(mlp)
    layer = KerasLayer(mlp, trainable=True, arguments={"dropout_rate": 0.0})
    if training == "graph":  # a symbolic tensor: both traces under tf.cond
        call = tf.function(lambda x, t: layer(x, training=t))
        outputs = call(tf.constant(X), tf.constant(True))
    else:
        outputs = layer(X, training=True if training is True else tf.constant(True))
    expected = raw(X, training=True, dropout_rate=0.0)
    assert_close(outputs, expected)
    # Both took one batch-norm step from the same statistics.
    by_name = {v.name: v for v in raw.variables}
    for v in layer.piece.variables:
        assert_close(v, by_name[v.name])


def test_gradients_match_raw_and_oracle(mlp):
    raw = tf.saved_model.load(mlp)
    layer = KerasLayer(mlp, trainable=True, arguments={"dropout_rate": 0.0})
    oracle = hub.KerasLayer(mlp, trainable=True, arguments={"dropout_rate": tf.constant(0.0)})

    def grads(fn, variables):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(fn()))
        return tape.gradient(loss, variables)

    ours = grads(lambda: layer(X, training=True), layer.trainable_weights)
    theirs = grads(lambda: raw(X, training=True, dropout_rate=0.0), list(raw.trainable_variables))
    by_name = dict(zip((v.name for v in raw.trainable_variables), theirs))
    for weight, gradient in zip(layer.trainable_weights, ours, strict=True):
        assert_close(gradient, by_name[weight.value.name], deep=True)
    from_oracle = grads(lambda: oracle(X, training=True), oracle.trainable_weights)
    oracle_by_name = dict(zip((v.name for v in oracle.trainable_weights), from_oracle))
    for weight, gradient in zip(layer.trainable_weights, ours, strict=True):
        assert_close(gradient, oracle_by_name[weight.value.name], deep=True)


def test_losses_only_while_trainable(mlp):
    raw = tf.saved_model.load(mlp)
    layer = KerasLayer(mlp)
    model = keras.Sequential([keras.Input((4,)), layer])
    assert layer.losses == [] and model.losses == []
    layer.trainable = True
    expected = [float(loss()) for loss in raw.regularization_losses]
    assert_close([float(x) for x in layer.losses], expected)
    assert_close([float(x) for x in model.losses], expected)
    model.trainable = False
    assert layer.losses == [] and model.losses == [] and model.trainable_weights == []


def test_named_callable(mlp):
    raw = tf.saved_model.load(mlp)
    encoder = KerasLayer(mlp, callable="encoder")
    assert_close(encoder(X), raw.encoder(X))
    assert names(w.value for w in encoder.weights) == names(raw.encoder.variables)
    with pytest.raises(rsm.NonConformingError, match="no named callable 'nope'; available: decoder, encoder"):
        KerasLayer(mlp, callable="nope")


def test_arguments_are_checked(mlp):
    with pytest.raises(rsm.InputMismatchError, match="has no keyword argument 'rate'; it takes dropout_rate, return_hidden"):
        KerasLayer(mlp, arguments={"rate": 0.5})


def test_input_mismatch_lists_accepted_specs(mlp):
    layer = KerasLayer(mlp)
    with pytest.raises(rsm.InputMismatchError, match=r"Accepted inputs:\n  - float32\[\?,4\]"):
        layer(tf.zeros([2, 5]))


def test_signature_inference_only(zoo_path):
    path = zoo_path("signature_only")
    x = models.example_inputs("signature_only")
    expected = x @ np.array([[1.0], [2.0]], np.float32)
    layer = KerasLayer(path, signature="serving_default", output_key="y")
    assert_close(layer(x), expected)
    whole = KerasLayer(path, signature="serving_default")
    assert_close(whole({"x": x})["y"], expected)
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 1
    with pytest.raises(ValueError, match="cannot be made trainable"):
        layer.trainable = True
    with pytest.raises(ValueError, match=r"signature='serving_default'\) is inference only"):
        KerasLayer(path, signature="serving_default", trainable=True)
    with pytest.raises(rsm.NonConformingError, match=r"is signature-only: it has no `__call__`; pick what runs: .*signature=NAME .*\(serving_default\)"):
        KerasLayer(path)
    with pytest.raises(rsm.NonConformingError, match="no signature 'serve'; available: serving_default"):
        KerasLayer(path, signature="serve")
    with pytest.raises(rsm.NonConformingError, match="has no output 'z'; outputs: y"):
        KerasLayer(path, signature="serving_default", output_key="z")
    with pytest.raises(rsm.InputMismatchError, match=r"takes the inputs \['x'\], got \['w'\]"):
        whole({"w": x})


def test_option_errors(zoo_path, mlp):
    with pytest.raises(ValueError, match="KerasLayer: output_key='y' selects a signature output: pass signature= too"):
        KerasLayer(mlp, output_key="y")
    with pytest.raises(ValueError, match="KerasLayer: pass callable= .* or signature= .*, not both"):
        KerasLayer(mlp, callable="encoder", signature="serving_default")
    with pytest.raises(ValueError, match="tags and load_options apply to loading a handle; got a Piece"):
        KerasLayer(rsm.load(mlp), tags=["serve"])
    with pytest.raises(rsm.HandleError, match="no such file or directory"):
        KerasLayer(str(zoo_path("mul")) + "-missing")


def test_functional_api_shapes_and_nested_io(zoo_path):
    inputs = keras.Input((4,))
    outputs = KerasLayer(zoo_path("mlp"), output_shape=(3,))(inputs)
    assert tuple(outputs.shape) == (None, 3)
    traced = KerasLayer(zoo_path("mlp"))
    assert traced.compute_output_shape((None, 4)) == (None, 3)
    assert KerasLayer(zoo_path("mlp"), output_shape=[3]).compute_output_shape((5, 4)) == (5, 3)

    dict_layer = KerasLayer(zoo_path("dict_input"))
    dict_in = {"a": keras.Input((2,), name="a"), "b": keras.Input((3,), name="b")}
    dict_out = dict_layer(dict_in)
    assert [tuple(t.shape) for t in dict_out] == [(None, 2), (None, 1)]
    model = keras.Model(dict_in, dict_out)
    x = models.example_inputs("dict_input")
    raw = tf.saved_model.load(zoo_path("dict_input"))
    for ours, theirs in zip(model(x), raw(x), strict=True):
        assert_close(ours, theirs)

    list_in = [keras.Input((2,)), keras.Input((2,))]
    list_model = keras.Model(list_in, KerasLayer(zoo_path("list_input"))(list_in))
    x = models.example_inputs("list_input")
    expected = tf.saved_model.load(zoo_path("list_input"))(x)
    got = list_model.predict(x, verbose=0)
    assert set(got) == {"sum", "product"}
    for key in got:
        assert_close(got[key], expected[key])


def test_string_inputs(zoo_path):
    x = models.example_inputs("text")
    layer = KerasLayer(zoo_path("text"))
    assert_close(layer(x), tf.saved_model.load(zoo_path("text"))(tf.constant(x)))


def test_fast_path_applies_only_when_keras_would_change_nothing(mlp):
    layer = KerasLayer(mlp, trainable=True)
    x = tf.constant(X)
    assert fast_path.applies(layer, (x,), {})
    assert fast_path.applies(layer, (x,), {"training": True})
    assert not fast_path.applies(layer, (x,), {"training": tf.constant(True)})
    assert not fast_path.applies(layer, (x,), {"dropout_rate": 0.0})
    assert not fast_path.applies(layer, (tf.cast(x, tf.float64),), {})
    assert not fast_path.applies(layer, (X,), {})

    class Outer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = layer
            self.seen = None

        def call(self, inputs, training=None):
            self.seen = fast_path.applies(self.inner, (inputs,), {})
            return self.inner(inputs)  # `training` comes from Keras' call context

    outer = Outer()
    stats = values(layer.non_trainable_weights)
    outer(x, training=True)
    assert outer.seen is False
    moved = [not np.array_equal(a, b) for a, b in zip(stats, values(layer.non_trainable_weights))]
    assert any(moved), "the outer call's training=True must reach the piece"
