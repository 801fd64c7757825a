"""The migration guide's equivalents of TF Hub's tutorials, each beside the hub original.

Every test builds the guide's code (Keras 3 + `KerasLayer`) and the tutorial's code
(tensorflow_hub on tf_keras, the oracle) on the same local stand-in model, and checks that
they compute the same, and that fine-tuning trains what the model marks trainable.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_hub as hub
import tf_keras

from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.keras import KerasLayer

SEQ = 8  # the BERT stand-ins' sequence length
VOCAB = 100


class Preprocessor(rsm.ReusableModule):
    """Stand-in for a BERT preprocessor: sentences -> word ids, input mask, type ids."""

    def __init__(self):
        super().__init__(tf.TensorSpec([None], tf.string))

    def call(self, inputs, training=False):
        words = tf.strings.split(inputs).to_tensor("", shape=[None, SEQ])
        mask = tf.cast(words != "", tf.int32)
        ids = tf.cast(tf.strings.to_hash_bucket_fast(words, VOCAB), tf.int32) * mask
        return {"input_word_ids": ids, "input_mask": mask, "input_type_ids": tf.zeros_like(ids)}


class Encoder(rsm.ReusableModule):
    """Stand-in for a BERT encoder: ids -> {"pooled_output", "sequence_output"}."""

    def __init__(self):
        spec = tf.TensorSpec([None, SEQ], tf.int32)
        super().__init__({"input_word_ids": spec, "input_mask": spec, "input_type_ids": spec})
        self.embeddings = tf.Variable(tf.random.stateless_normal([VOCAB, 16], seed=[0, 1]))

    def call(self, inputs, training=False):
        mask = tf.cast(inputs["input_mask"], tf.float32)[..., None]
        sequence = tf.gather(self.embeddings, inputs["input_word_ids"]) * mask
        pooled = tf.tanh(tf.reduce_sum(sequence, 1) / tf.maximum(tf.reduce_sum(mask, 1), 1.0))
        return {"pooled_output": pooled, "sequence_output": sequence}


@pytest.fixture(scope="module")
def bert(tmp_path_factory):
    """(preprocessor, encoder) handles of the BERT stand-ins."""
    root = tmp_path_factory.mktemp("bert")
    rsm.save(Preprocessor(), root / "preprocess")
    rsm.save(Encoder(), root / "encoder")
    return str(root / "preprocess"), str(root / "encoder")


def _piece_weights(layer):
    return [np.array(w) for w in layer.weights]


def test_image_feature_vector_fine_tuning(zoo_path):
    handle = zoo_path("mlp")  # stand-in feature vector: 4 features (not 224x224x3 pixels)
    x = np.random.default_rng(0).standard_normal((16, 4)).astype("float32")
    y = keras.utils.to_categorical(np.arange(16) % 5, 5)

    # The guide's code.
    model = keras.Sequential([
        keras.Input(shape=(4,)),
        KerasLayer(handle, trainable=True),
        keras.layers.Dropout(rate=0.2),
        keras.layers.Dense(5, kernel_regularizer=keras.regularizers.l2(0.0001)),
    ])
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.005, momentum=0.9),
        loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        metrics=["accuracy"],
    )
    # The tutorial's code, on a fresh copy of the same model.
    oracle = tf_keras.Sequential([
        tf_keras.layers.InputLayer(input_shape=(4,)),
        hub.KerasLayer(handle, trainable=True),
        tf_keras.layers.Dropout(rate=0.2),
        tf_keras.layers.Dense(5, kernel_regularizer=tf_keras.regularizers.l2(0.0001)),
    ])
    ours, theirs = model.layers[0], oracle.layers[0]
    np.testing.assert_array_equal(ours(x), theirs(tf.constant(x)))
    assert_close([float(v) for v in ours.losses], [float(v) for v in theirs.losses])
    assert [w.name for w in ours.trainable_weights] == [w.name.split(":")[0].replace("/", "_") for w in theirs.trainable_weights]

    before = _piece_weights(ours)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    changed = [not np.array_equal(b, np.array(w)) for b, w in zip(before, ours.weights)]
    trainable = {id(w) for w in ours.trainable_weights}
    names = {w.name: c for w, c in zip(ours.weights, changed)}
    assert all(c for w, c in zip(ours.weights, changed) if id(w) in trainable)
    assert not names["encoder_input_scale"]  # curated out of trainable_variables: kept
    assert names["encoder_batch_norm_moving_mean"]  # training=True reached the model


def test_text_classification_with_a_string_input_embedding(zoo_path):
    embedding = zoo_path("text")
    sentences = tf.constant(["the cat sat on the mat", "the dog sat", "a mat"])

    # The guide's code: the tutorial's, with keras and KerasLayer.
    hub_layer = KerasLayer(embedding, input_shape=[], dtype=tf.string, trainable=True)
    model = keras.Sequential()
    model.add(hub_layer)
    model.add(keras.layers.Dense(16, activation="relu"))
    model.add(keras.layers.Dense(1))
    model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])

    oracle = hub.KerasLayer(embedding, input_shape=[], dtype=tf.string, trainable=True)
    np.testing.assert_array_equal(hub_layer(sentences), oracle(sentences))
    assert model.inputs[0].dtype == "string"

    before = np.array(hub_layer.trainable_weights[0])
    data = tf.data.Dataset.from_tensor_slices((sentences, [1.0, 0.0, 1.0])).batch(3)
    model.fit(data, epochs=2, verbose=0)
    assert not np.array_equal(np.array(hub_layer.trainable_weights[0]), before)
    assert model.predict(sentences, verbose=0).shape == (3, 1)


def test_bert_encoder_with_its_preprocessor(bert):
    preprocess, encoder = bert
    sentences = tf.constant(["a great movie", "not good at all, really"])

    def build(layers, layer_class):
        text_input = layers.Input(shape=(), dtype=tf.string, name="text")
        encoder_inputs = layer_class(preprocess, name="preprocessing")(text_input)
        outputs = layer_class(encoder, trainable=True, name="BERT_encoder")(encoder_inputs)
        net = layers.Dropout(0.1)(outputs["pooled_output"])
        net = layers.Dense(1, activation=None, name="classifier")(net)
        return (keras.Model if layers is keras.layers else tf_keras.Model)(text_input, net)

    model = build(keras.layers, KerasLayer)
    oracle = build(tf_keras.layers, hub.KerasLayer)
    model.get_layer("classifier").set_weights(oracle.get_layer("classifier").get_weights())
    assert_close(model(sentences), oracle(sentences))

    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=keras.losses.BinaryCrossentropy(from_logits=True))
    before = np.array(model.get_layer("BERT_encoder").trainable_weights[0])
    model.fit(tf.data.Dataset.from_tensor_slices((sentences, [1.0, 0.0])).batch(2), verbose=0)
    assert not np.array_equal(np.array(model.get_layer("BERT_encoder").trainable_weights[0]), before)
    assert model.get_layer("preprocessing").trainable_weights == []


def test_hub_load_and_signatures(zoo_path):
    handle = zoo_path("signature_only")
    x = tf.constant([[1.0, 2.0], [0.5, -1.0]])

    piece = rsm.load(handle)  # hub.load(handle)
    outputs = piece.signatures["serving_default"](x=x)
    raw = hub.load(handle)
    np.testing.assert_array_equal(outputs["y"], raw.signatures["serving_default"](x=x)["y"])
    # piece.obj is the loaded object itself, what hub.load returns.
    assert isinstance(piece.obj, tf.__internal__.tracking.AutoTrackable)
    np.testing.assert_array_equal(piece.obj.signatures["serving_default"](x=x)["y"], outputs["y"])

    layer = KerasLayer(handle, signature="serving_default", output_key="y")
    oracle = hub.KerasLayer(handle, signature="serving_default", output_key="y")
    np.testing.assert_array_equal(layer(x), oracle(x))
