"""Legitimate models scan clean: every test model, Keras exports, text models with tables.

(The conformance producers' exports are scanned in tests/interface/test_scan.py.)
"""

from __future__ import annotations

import pytest
import tensorflow as tf

from fixtures import models
from reusable_savedmodel import interface as rsm


@pytest.mark.parametrize("name", models.NAMES)
def test_every_test_model(zoo_path, name):
    report = rsm.scan(zoo_path(name))
    assert report.safe, str(report)


def test_keras_exports(tmp_path):
    keras = pytest.importorskip("keras")
    dense = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.BatchNormalization(), keras.layers.Dropout(0.2)])
    dense.export(str(tmp_path / "dense"), verbose=False)
    lookup = keras.Sequential([keras.Input((None,), dtype="string"), keras.layers.StringLookup(vocabulary=["a", "b"])])
    lookup.export(str(tmp_path / "lookup"), verbose=False)
    for name in ("dense", "lookup"):
        report = rsm.scan(tmp_path / name)
        assert report.safe, str(report)


def test_tf_keras_text_vectorization(tmp_path):
    tf_keras = pytest.importorskip("tf_keras")
    layer = tf_keras.layers.TextVectorization(max_tokens=20, output_sequence_length=5)
    layer.adapt(["hello world", "foo bar baz"])
    words = tf_keras.Input((1,), dtype=tf.string)
    tf.saved_model.save(tf_keras.Model(words, layer(words)), str(tmp_path / "text"))
    report = rsm.scan(tmp_path / "text")
    assert report.safe, str(report)


def _vocabulary_table(path):
    initializer = tf.lookup.TextFileInitializer(
        str(path), tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER
    )
    return tf.lookup.StaticHashTable(initializer, -1)


def test_tf2_vocabulary_file_in_assets(tmp_path):
    vocabulary = tmp_path / "vocab.txt"
    vocabulary.write_text("[CLS]\n[SEP]\nhello\n")

    class Tokenizer(tf.Module):
        def __init__(self):
            super().__init__()
            self.table = _vocabulary_table(vocabulary)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, text):
            words = tf.strings.split(tf.strings.regex_replace(tf.strings.lower(text), r"[^a-z ]", ""))
            return self.table.lookup(words).to_tensor(default_value=0)

    tf.saved_model.save(Tokenizer(), str(tmp_path / "tokenizer"))
    report = rsm.scan(tmp_path / "tokenizer")
    assert report.safe, str(report)


def test_tf1_builder_with_an_asset_table(tmp_path):
    vocabulary = tmp_path / "vocab.txt"
    vocabulary.write_text("a\nb\n")
    model = tmp_path / "tf1"
    graph = tf.Graph()
    with graph.as_default():
        words = tf.compat.v1.placeholder(tf.string, [None], name="words")
        table = _vocabulary_table(vocabulary)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.tables_initializer())
            builder = tf.compat.v1.saved_model.Builder(str(model))
            builder.add_meta_graph_and_variables(
                session, ["serve"],
                signature_def_map={"serving_default": tf.compat.v1.saved_model.predict_signature_def({"w": words}, {"id": table.lookup(words)})},
                main_op=tf.compat.v1.tables_initializer(),
                assets_collection=tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.ASSET_FILEPATHS),
            )
            builder.save()
    report = rsm.scan(model)
    assert report.safe, str(report)
