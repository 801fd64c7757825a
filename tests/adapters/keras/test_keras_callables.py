"""from_keras(callables=...): sublayers as named callables, checked against the sublayers."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.keras import KerasLayer, from_keras

X = np.random.default_rng(0).normal(size=(8, 4)).astype(np.float32)


def build_model(seed=0):
    """inputs -> encoder (a functional sub-model with batch norm) -> head."""
    keras.utils.set_random_seed(seed)
    encoder_inputs = keras.Input((4,))
    h = keras.layers.Dense(6, kernel_regularizer=keras.regularizers.L2(0.01), name="dense")(encoder_inputs)
    h = keras.layers.BatchNormalization(name="norm")(h)
    encoder = keras.Model(encoder_inputs, h, name="encoder")
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(3, kernel_regularizer=keras.regularizers.L1(0.001), name="head")(encoder(inputs))
    return keras.Model(inputs, outputs), encoder


def ids(variables):
    return {id(v) for v in variables}


def test_callables_run_the_sublayers_on_the_roots_variables():
    model, encoder = build_model()
    head = model.get_layer("head")
    piece = from_keras(model, callables={"encoder": encoder, "head": head})
    assert set(piece.callables) == {"encoder", "head"}
    enc = piece.callable("encoder")
    # Signatures read from the symbolic inputs each sublayer was called on.
    assert enc.spec.call.inputs[0].shape.as_list() == [None, 4]
    assert piece.callable("head").spec.call.inputs[0].shape.as_list() == [None, 6]

    assert_close(enc(X), encoder(X, training=False))
    # Batch norm normalizes with the batch's statistics in training: both paths agree.
    assert_close(enc(X, training=True), encoder(X, training=True))
    h = np.asarray(encoder(X))
    assert_close(piece.callable("head")(h), head(h))

    # The subset the sublayer uses, as the Keras variables' own storage.
    assert ids(enc.variables) == ids(w.value for w in encoder.weights)
    assert ids(enc.trainable_variables) == ids(w.value for w in encoder.trainable_weights)
    assert ids(enc.variables) < ids(piece.variables)
    assert_close(enc.regularization_loss(), sum(encoder.losses))

    # Fine-tuning the root's variable changes what the callable computes.
    kernel = next(v for v in piece.trainable_variables if v is encoder.get_layer("dense").kernel.value)
    before = np.asarray(enc(X))
    kernel.assign(kernel * 2.0)
    after = np.asarray(enc(X))
    assert not np.allclose(before, after)
    assert_close(after, encoder(X, training=False))


def test_callables_survive_save_and_load(tmp_path):
    model, encoder = build_model()
    path = tmp_path / "exported"
    loaded = rsm.save(from_keras(model, callables={"encoder": encoder}), path)
    assert rsm.check(str(path)).ok
    enc = loaded.callable("encoder")
    assert_close(enc(X), encoder(X, training=False))
    # Consumers reach it by name (a fresh load, before training updates the statistics).
    assert_close(KerasLayer(str(path), callable="encoder")(X), encoder(X))
    assert_close(enc(X, training=True), encoder(X, training=True))
    assert_close(enc.regularization_loss(), sum(encoder.losses))

    # Saved once: the callable's variables are the loaded root's own objects.
    root_by_id = {id(v): v for v in loaded.variables}
    assert all(root_by_id.get(id(v)) is v for v in enc.variables)
    assert ids(enc.trainable_variables) < ids(loaded.trainable_variables)
    assert len(enc.variables) == len(encoder.weights)

    # Assign the same new kernel to the loaded root and to the native encoder.
    dense = encoder.get_layer("dense")
    (kernel,) = [v for v in loaded.variables if tuple(v.shape) == (4, 6)]
    new_kernel = np.asarray(dense.kernel) + 0.5
    kernel.assign(new_kernel)
    dense.kernel.assign(new_kernel)
    assert_close(enc(X), encoder(X, training=False))



def test_callable_with_explicit_signature():
    class Twice(keras.Model):
        def __init__(self):
            super().__init__()
            self.inner = keras.layers.Dense(2)

        def call(self, inputs):
            return self.inner(self.inner(inputs) if inputs.shape[-1] == 2 else inputs)

    model = Twice()
    model(np.zeros((1, 2), np.float32))
    spec = tf.TensorSpec([None, 2], tf.float32)
    with pytest.raises(ValueError, match=r"cannot tell the inputs .*Give callables\['inner'\] as \(layer, input_signature\)"):
        from_keras(model, input_signature=spec, callables={"inner": model.inner})
    piece = from_keras(model, input_signature=spec, callables={"inner": (model.inner, spec)})
    x = X[:, :2]
    assert_close(piece.callable("inner")(x), model.inner(x))


def test_callable_errors():
    model, encoder = build_model()
    with pytest.raises(ValueError, match="'not valid': expected a Python identifier"):
        from_keras(model, callables={"not valid": encoder})
    with pytest.raises(ValueError, match="'_hidden': expected a Python identifier not starting with '_'"):
        from_keras(model, callables={"_hidden": encoder})
    with pytest.raises(ValueError, match="'variables' clashes with an attribute"):
        from_keras(model, callables={"variables": encoder})
    with pytest.raises(ValueError, match="'layer' clashes with an attribute of KerasExport"):
        from_keras(model, callables={"layer": encoder})
    with pytest.raises(TypeError, match=r"Keras 3 layer or model \(keras.layers.Layer\) as callables\['encoder'\], got builtins.str"):
        from_keras(model, callables={"encoder": "encoder"})
    with pytest.raises(TypeError, match=r"callables\['encoder'\] must be a layer or \(layer, input_signature\), got a tuple of 3"):
        from_keras(model, callables={"encoder": (encoder, None, None)})
    other, _ = build_model(seed=1)
    with pytest.raises(ValueError, match="'stranger' must share the variables of KerasExport, but it also uses"):
        from_keras(model, callables={"stranger": other})


def test_a_callable_may_not_train_what_the_root_freezes():
    model, encoder = build_model()
    model.trainable = False
    encoder.trainable = True  # Keras then still reports no trainable weights for the model
    assert not model.trainable_weights and encoder.trainable_weights
    with pytest.raises(ValueError, match="'encoder' would train .*which KerasExport does not train"):
        from_keras(model, callables={"encoder": encoder})
