"""Ragged and sparse inputs, and string variables: `to_jax` / `FlaxModule` refuse them with an
`UnconvertibleError` naming the input or variable (the TF piece itself runs them)."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

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
