"""Ragged and sparse inputs, string variables and Keras 3 lookup layers: `to_jax` /
`FlaxModule` refuse them with an `UnconvertibleError` naming the input, variable or op (the
TF piece itself runs them); Keras 3's numeric preprocessing converts."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.jax import UnconvertibleError, to_jax


def _save(tmp_path, name, root):
    path = str(tmp_path / name)
    tf.saved_model.save(root, path)
    return path


def test_ragged_input_is_named(tmp_path):
    w = tf.Variable(2.0)

    @tf.function(input_signature=[tf.RaggedTensorSpec([None, None], tf.float32)])
    def call(x):
        return tf.reduce_sum(x, axis=1) * w

    path = _save(tmp_path, "ragged", tf.train.Checkpoint(variables=[w], trainable_variables=[w], __call__=call))
    raw = tf.saved_model.load(path)
    ragged = tf.ragged.constant([[1.0, 2.0], [3.0]])
    np.testing.assert_allclose(raw(ragged).numpy(), [6.0, 6.0])  # the TF object runs it
    with pytest.raises(UnconvertibleError, match=r"input is a RaggedTensorSpec"):
        to_jax(path)
    from reusable_savedmodel.adapters.flax import FlaxModule

    with pytest.raises(UnconvertibleError, match="RaggedTensorSpec"):
        FlaxModule(path)


def test_sparse_input_in_a_dict_is_named(tmp_path):
    @tf.function(
        input_signature=[{"ids": tf.SparseTensorSpec([None, 4], tf.float32), "dense": tf.TensorSpec([None, 4], tf.float32)}]
    )
    def call(inputs):
        return tf.sparse.reduce_sum(inputs["ids"], axis=1) + tf.reduce_sum(inputs["dense"], axis=1)

    path = _save(tmp_path, "sparse", tf.train.Checkpoint(__call__=call))
    raw = tf.saved_model.load(path)
    sparse = tf.sparse.from_dense(tf.constant([[0.0, 1.0, 0.0, 2.0]]))
    np.testing.assert_allclose(raw({"ids": sparse, "dense": tf.ones([1, 4])}).numpy(), [7.0])
    with pytest.raises(UnconvertibleError, match=r"input\['ids'\] is a SparseTensorSpec"):
        to_jax(path)


def test_string_variable_is_named(tmp_path):
    identifiers = tf.Variable(["a", "b", "c"], name="identifiers", trainable=False)
    scores = tf.Variable([0.5, 1.5, -1.0], name="scores")

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def call(x):
        return x[:, None] * scores[None, :]

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def ids(x):
        top = tf.argmax(call(x), axis=1)
        return tf.gather(identifiers, top)

    root = tf.train.Checkpoint(variables=[identifiers, scores], trainable_variables=[scores], __call__=call)
    root.ids = ids
    path = _save(tmp_path, "strings", root)
    raw = tf.saved_model.load(path)
    assert raw.ids(tf.constant([2.0])).numpy().tolist() == [b"b"]
    x = np.array([2.0, -1.0], np.float32)
    # __call__ does not read the string variable: it converts (without it) and matches.
    jp = to_jax(path)
    assert set(jp.params) == {"scores"} and not jp.state
    np.testing.assert_allclose(jp(x), raw(tf.constant(x)).numpy())
    with pytest.raises(UnconvertibleError, match=r"reads variables identifiers:0 \(string\)"):
        to_jax(path, callable="ids")
    assert isinstance(UnconvertibleError("x"), rsm.ReusableError)


def test_keras3_preprocessing_exports(tmp_path):
    """Keras 3 `model.export()`: Normalization and Rescaling convert; StringLookup,
    IntegerLookup and Hashing (lookup tables, string hashing) are refused, naming each op."""
    import keras

    norm = keras.layers.Normalization()
    norm.adapt(np.random.RandomState(0).rand(20, 3).astype(np.float32) * 5)
    numeric = keras.Sequential([keras.Input((3,)), norm, keras.layers.Rescaling(0.5, offset=1.0), keras.layers.Dense(2)])
    numeric.export(str(tmp_path / "numeric"), verbose=False)
    raw = tf.saved_model.load(str(tmp_path / "numeric"))
    x = np.random.RandomState(1).rand(4, 3).astype(np.float32)
    (key,) = raw.signatures["serve"].structured_outputs
    assert_close(to_jax(str(tmp_path / "numeric"), signature="serve", output_key=key)(x), raw.serve(tf.constant(x)))

    words = keras.Input((2,), dtype="string")
    keras.Model(words, keras.layers.StringLookup(vocabulary=["a", "b"])(words)).export(
        str(tmp_path / "strings"), verbose=False
    )
    with pytest.raises(UnconvertibleError, match=r"signature 'serve'.*LookupTableFindV2 \(at "):
        to_jax(str(tmp_path / "strings"), signature="serve")

    ids = keras.Input((2,), dtype="int64")
    lookups = [keras.layers.IntegerLookup(vocabulary=[3_000_000_000, 7])(ids), keras.layers.Hashing(5)(ids)]
    keras.Model(ids, lookups).export(str(tmp_path / "ids"), verbose=False)
    raw_ids = tf.saved_model.load(str(tmp_path / "ids"))
    assert raw_ids.serve(tf.constant([[3_000_000_000, 7]], tf.int64))[0].numpy().tolist() == [[1, 2]]
    with pytest.raises(UnconvertibleError, match=r"AsString.*LookupTableFindV2.*StringToHashBucketFast"):
        to_jax(str(tmp_path / "ids"), signature="serve")
