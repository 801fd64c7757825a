"""tensorflow_hub.KerasLayer's arguments and configs in KerasLayer; hub on tf_keras is the oracle."""

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub
import tf_keras

from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.keras import KerasLayer

SENTENCES = ["the cat sat", "a dog on the mat"]


@pytest.fixture
def text(zoo_path):
    return zoo_path("text")


def test_string_input_sequential_like_hubs_text_classifier(text):
    model = keras.Sequential([
        KerasLayer(text, input_shape=[], dtype=tf.string, trainable=True),
        keras.layers.Dense(1),
    ])
    assert model.inputs[0].dtype == "string" and tuple(model.inputs[0].shape) == (None,)
    oracle = hub.KerasLayer(text, input_shape=[], dtype=tf.string)
    np.testing.assert_array_equal(model.layers[0](tf.constant(SENTENCES)), oracle(tf.constant(SENTENCES)))
    before = model.layers[0].trainable_weights[0].numpy().copy()
    model.compile(keras.optimizers.SGD(0.5), "mse")
    data = tf.data.Dataset.from_tensor_slices((SENTENCES, [1.0, -1.0])).batch(2)
    model.fit(data, epochs=1, verbose=0)
    assert not np.array_equal(model.layers[0].trainable_weights[0].numpy(), before)


def _hub_text_classifier(text):
    """A tf_keras model written with hub's layer, the way TF Hub's tutorials build it."""
    return tf_keras.Sequential([
        hub.KerasLayer(text, input_shape=[], dtype=tf.string, trainable=True, output_shape=[4]),
        tf_keras.layers.Dense(1),
    ])


def test_a_model_config_written_with_hubs_layer_deserializes_into_ours(text):
    hub_model = _hub_text_classifier(text)
    # The config as JSON holds it (tf_keras' own JSON wrapper is not Keras 3's format).
    hub_config = json.loads(json.dumps(hub_model.get_config()))
    hub_keys = set(hub_config["layers"][1]["config"])
    assert {"handle", "batch_input_shape", "dtype", "output_shape", "trainable"} <= hub_keys
    model = keras.Sequential.from_config(hub_config, custom_objects={"KerasLayer": KerasLayer})
    layer = model.layers[0]
    assert isinstance(layer, KerasLayer) and layer.trainable and layer.handle == text
    assert model.inputs[0].dtype == "string"
    assert tuple(layer.compute_output_shape((None,))) == (None, 4)
    np.testing.assert_array_equal(
        layer(tf.constant(SENTENCES)), hub_model.layers[0](tf.constant(SENTENCES))
    )
    # The classifier head is a fresh Dense: copy the oracle's to compare whole models.
    model.layers[1].set_weights(hub_model.layers[1].get_weights())
    assert_close(model(tf.constant(SENTENCES)), hub_model(tf.constant(SENTENCES)))


def test_signature_outputs_as_dict_as_in_hub(zoo_path):
    path = zoo_path("signature_only")
    x = tf.constant([[1.0, 2.0], [3.0, -1.0]])
    oracle = hub.KerasLayer(path, signature="serving_default", signature_outputs_as_dict=True)
    layer = KerasLayer(path, signature="serving_default", signature_outputs_as_dict=True)
    got, want = layer(x), oracle(x)
    assert set(got) == set(want) == {"y"}
    np.testing.assert_array_equal(got["y"], want["y"])
    # hub's config for it builds ours, and ours keeps the flag.
    rebuilt = KerasLayer.from_config(oracle.get_config())
    np.testing.assert_array_equal(rebuilt(x)["y"], want["y"])
    assert rebuilt.get_config()["signature_outputs_as_dict"] is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"signature_outputs_as_dict": True}, "applies to a signature's outputs"),
        ({"signature": "serving_default", "output_key": "y", "signature_outputs_as_dict": True}, "not both"),
    ],
)
def test_signature_outputs_as_dict_misuse_is_refused_like_hub(zoo_path, kwargs, message):
    path = zoo_path("signature_only")
    with pytest.raises(ValueError):
        hub.KerasLayer(path, **kwargs)  # the oracle refuses the same combination
    with pytest.raises(ValueError, match=message):
        KerasLayer(path, **kwargs)


def test_arguments_reach_every_call_as_in_hub(zoo_path):
    path = zoo_path("mlp")
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    layer = KerasLayer(path, arguments={"return_hidden": True})
    oracle = hub.KerasLayer(path, arguments={"return_hidden": True})
    got, want = layer(x), oracle(tf.constant(x))
    assert set(got) == set(want) == {"logits", "hidden"}
    for key in want:
        np.testing.assert_array_equal(got[key], want[key])
    assert layer.get_config()["arguments"] == oracle.get_config()["arguments"]


def test_output_shape_sets_the_symbolic_shape_as_in_hub(zoo_path):
    path = zoo_path("mlp")
    inputs = keras.Input(shape=(4,))
    outputs = KerasLayer(path, output_shape=[3])(inputs)
    assert tuple(outputs.shape) == (None, 3)
    oracle = hub.KerasLayer(path, output_shape=[3])
    assert tuple(oracle.compute_output_shape((None, 4))) == tuple(outputs.shape)


def test_tags_and_load_options_reach_the_loader(zoo_path):
    path = zoo_path("mul")
    options = tf.saved_model.LoadOptions(experimental_io_device="/job:localhost")
    layer = KerasLayer(path, tags=["serve"], load_options=options)
    oracle = hub.KerasLayer(path, tags=["serve"], load_options=options)
    np.testing.assert_array_equal(layer(tf.constant([1.5])), oracle(tf.constant([1.5])))
    with pytest.raises(ValueError, match=r"incompatible argument to `tags`: \[.no-such-tag.\]"):
        KerasLayer(path, tags=["no-such-tag"])


def test_input_shape_round_trips_through_our_config(text):
    layer = KerasLayer(text, input_shape=[], dtype=tf.string)
    config = layer.get_config()
    assert config["input_shape"] == [] and layer.input_shape == (None,)
    model = keras.Sequential([KerasLayer.from_config(config), keras.layers.Dense(2)])
    assert model.inputs[0].dtype == "string"
    with pytest.raises(ValueError, match="disagree"):
        KerasLayer(text, input_shape=[2], batch_input_shape=[None, 3])
    assert not hasattr(KerasLayer(text), "input_shape")


def test_rsm_load_and_resolve_mirror_hub_load_and_resolve(zoo_path):
    path = zoo_path("signature_only")
    assert rsm.resolve(path) == type(rsm.resolve(path))(hub.resolve(path))
    piece, raw = rsm.load(path), hub.load(path)
    assert set(piece.signatures) == set(raw.signatures) == {"serving_default"}
    x = tf.constant([[1.0, 2.0]])
    np.testing.assert_array_equal(
        piece.signatures["serving_default"](x=x)["y"], raw.signatures["serving_default"](x=x)["y"]
    )
    assert set(piece.obj.signatures) == set(raw.signatures)


@pytest.mark.parametrize(
    "handle", ["kaggle://acme/mul/tensorflow2/small/3", "https://www.kaggle.com/models/a/m/tf2/v/1", "hf://acme/mul"]
)
def test_safe_mode_refuses_configs_naming_hub_handles(handle):
    config = {"name": "hub", "trainable": False, "dtype": "float32", "handle": handle}
    with pytest.raises(ValueError, match="Refusing to load the KerasLayer handle .* in Keras safe mode"):
        KerasLayer.from_config(config)


def test_input_shape_starts_a_float_sequential_like_hubs_feature_extractor(zoo_path):
    path = zoo_path("mlp")
    model = keras.Sequential([KerasLayer(path, input_shape=(4,)), keras.layers.Dense(2)])
    assert tuple(model.inputs[0].shape) == (None, 4) and model.inputs[0].dtype == "float32"
    oracle = tf_keras.Sequential([hub.KerasLayer(path, input_shape=(4,)), tf_keras.layers.Dense(2)])
    assert tuple(oracle.inputs[0].shape) == tuple(model.inputs[0].shape)
    x = np.ones((2, 4), np.float32)
    np.testing.assert_array_equal(model.layers[0](x), oracle.layers[0](tf.constant(x)))
