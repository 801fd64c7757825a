"""from_keras: Keras 3 models as Reusable SavedModels, checked against the model itself."""

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub

from fixtures import models
from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.keras import KerasExport, KerasLayer, from_keras

X = models.example_inputs("mlp", batch=8)


def build_model(seed=0):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((4,))
    h = keras.layers.Dense(8, kernel_regularizer=keras.regularizers.L2(0.01), name="hidden")(inputs)
    h = keras.layers.BatchNormalization(name="norm")(h)
    h = keras.layers.Dropout(0.3)(keras.layers.ReLU()(h))
    outputs = keras.layers.Dense(3, kernel_regularizer=keras.regularizers.L1(0.001), name="logits")(h)
    return keras.Model(inputs, outputs)


def ids(variables):
    return {id(v) for v in variables}


def test_piece_shares_the_models_variables_and_traces():
    model = build_model()
    model.get_layer("logits").trainable = False
    piece = from_keras(model)
    assert isinstance(piece.obj, KerasExport)
    assert piece.spec.call.training_values == (False, True)
    # No copies: the piece's variables are the Keras variables' storage.
    assert ids(piece.variables) == ids(w.value for w in model.variables)
    assert ids(piece.trainable_variables) == ids(w.value for w in model.trainable_weights)
    assert len(piece.trainable_variables) == 4  # hidden kernel/bias, norm gamma/beta
    # Only the trainable weights' regularizers count (Keras' own rule for model.losses).
    assert len(piece.regularization_losses) == 1
    assert_close(piece.regularization_loss(), sum(model.losses))

    assert_close(piece(X), model(X, training=False))
    moving_mean = model.get_layer("norm").moving_mean
    before = np.array(moving_mean)
    piece(X, training=True)
    assert not np.array_equal(before, np.array(moving_mean))  # the training trace ran


def test_saved_model_loads_into_keras_layer_and_hub(tmp_path):
    model = build_model()
    reloaded = rsm.save(from_keras(model), tmp_path / "exported")  # checks before writing
    assert rsm.check(str(tmp_path / "exported")).ok
    expected = model(X, training=False)
    assert_close(reloaded(X), expected)
    layer = KerasLayer(str(tmp_path / "exported"), trainable=True)
    assert_close(layer(X), expected)
    oracle = hub.KerasLayer(str(tmp_path / "exported"), trainable=True)
    assert_close(oracle(X), expected)
    assert len(layer.trainable_weights) == len(oracle.trainable_weights) == len(model.trainable_weights)
    assert_close(sum(layer.losses), sum(model.losses))
    assert_close(sum(oracle.losses), sum(model.losses))


def test_dict_inputs_are_read_from_the_model():
    inputs = {"a": keras.Input((2,), name="a"), "b": keras.Input((3,), name="b")}
    outputs = keras.layers.Dense(1)(keras.layers.Concatenate()([inputs["a"], inputs["b"]]))
    model = keras.Model(inputs, outputs)
    piece = from_keras(model)
    (spec,) = piece.spec.call.inputs
    assert {k: (s.shape.as_list(), s.dtype) for k, s in spec.items()} == {
        "a": ([None, 2], tf.float32),
        "b": ([None, 3], tf.float32),
    }
    x = models.example_inputs("dict_input")
    assert_close(piece(x), model(x))


def test_subclassed_model_needs_an_input_signature():
    class Scale(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, inputs, training=False):
            return self.dense(inputs)

    model = Scale()
    model(X)
    with pytest.raises(ValueError, match="cannot tell the inputs of Scale .*Pass input_signature="):
        from_keras(model)
    piece = from_keras(model, input_signature=tf.TensorSpec([None, 4], tf.float32))
    assert_close(piece(X), model(X))


def test_from_keras_errors():
    with pytest.raises(ValueError, match="Dense 'unbuilt' is not built"):
        from_keras(keras.layers.Dense(2, name="unbuilt"))
    with pytest.raises(TypeError, match="expects a Keras 3 layer or model .*got builtins.int"):
        from_keras(3)
    tf_keras_model = models.build("tf_keras_mlp")
    with pytest.raises(TypeError, match="a tf_keras object"):
        from_keras(tf_keras_model)
