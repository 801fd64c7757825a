"""`to_jax` on a piece fine-tuned in TensorFlow: one `tf.GradientTape` step first (which
rewrites the differentiated traces in place), then the converted piece must be the piece's
own traces with the fine-tuned values: outputs, batch-norm updates and gradients as the
piece's after the step."""

from __future__ import annotations

import jax
import keras
import numpy as np
import pytest
import sonnet as snt
import tensorflow as tf
import tf_keras

from fixtures.tolerances import STATISTICS, assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.jax import to_jax
from reusable_savedmodel.adapters.jax.conversion._convert import variable_paths
from reusable_savedmodel.adapters.keras import from_keras
from reusable_savedmodel.adapters.sonnet import from_sonnet

X = np.random.RandomState(0).rand(6, 3).astype(np.float32)


class SonnetNet(snt.Module):
    """An `snt.nets`-style module: Linear, BatchNorm, ReLU, Linear; called with `is_training`."""

    def __init__(self):
        super().__init__()
        self.hidden = snt.Linear(4)
        self.norm = snt.BatchNorm(create_scale=True, create_offset=True)
        self.out = snt.Linear(2)

    def __call__(self, x, is_training):
        return self.out(tf.nn.relu(self.norm(self.hidden(x), is_training=is_training)))


def _tf_keras(tmp_path):
    model = tf_keras.Sequential(
        [tf_keras.layers.Dense(4, input_shape=(3,)), tf_keras.layers.BatchNormalization(), tf_keras.layers.Dense(2)]
    )
    model(X)
    tf.saved_model.save(model, str(tmp_path / "tf_keras"))
    return rsm.load(str(tmp_path / "tf_keras"))


def _keras3(tmp_path):
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(4), keras.layers.BatchNormalization(), keras.layers.Dense(2)]
    )
    rsm.save(from_keras(model), str(tmp_path / "keras3"))
    return rsm.load(str(tmp_path / "keras3"))


def _sonnet(tmp_path):
    net = SonnetNet()
    net(X, is_training=False)
    # In process, not saved: the tape step differentiates the producer's own tf.function.
    return rsm.as_piece(from_sonnet(net, input_signature=tf.TensorSpec([None, 3], tf.float32)))


def _step(piece):
    """One SGD step in training mode (batch-norm statistics move too)."""
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(piece(tf.constant(X), training=True) ** 2)
    for variable, gradient in zip(piece.trainable_variables, tape.gradient(loss, piece.trainable_variables)):
        variable.assign_sub(0.1 * gradient)


@pytest.mark.parametrize("build", [_tf_keras, _keras3, _sonnet], ids=["tf_keras", "keras3", "sonnet"])
def test_fine_tuned_piece_converts_with_its_new_values(tmp_path, build):
    piece = build(tmp_path)
    before = [v.numpy().copy() for v in piece.trainable_variables]
    _step(piece)
    assert any(not np.allclose(b, v.numpy()) for b, v in zip(before, piece.trainable_variables))
    jp = to_jax(piece)
    names = dict(zip((id(v) for v in piece.variables), variable_paths(piece.variables)))
    # Inference: the fine-tuned values.
    assert_close(jp(X), piece(tf.constant(X), training=False))
    # Gradients of the inference trace, against the tape on the piece.
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(piece(tf.constant(X), training=False) ** 2)
    expected = tape.gradient(loss, piece.trainable_variables)
    grads = jax.grad(lambda p: (jp.apply(p, jp.state, X)[0] ** 2).sum())(jp.params)
    assert_close(grads, {names[id(v)]: g.numpy() for v, g in zip(piece.trainable_variables, expected)})
    # Training: outputs and the batch-norm statistics it assigns (TF assigns them last).
    outputs, new_state = jp.apply(jp.params, jp.state, X, training=True)
    assert_close(outputs, piece(tf.constant(X), training=True))
    moved = {names[id(v)]: v.numpy() for v in piece.variables if names[id(v)] in jp.state}
    assert any(not np.allclose(new_state[n], jp.state[n]) for n in moved)
    assert_close(new_state, moved, tolerance=STATISTICS)


@pytest.mark.slow  # a child interpreter builds the export
def test_fine_tuned_jax2tf_linen_export_converts_with_its_new_values(tmp_path):
    import gradient_producers as producers

    piece = rsm.load(producers.produce(tmp_path, "linen", producers.LINEN_JAX2TF_POLYMORPHIC))
    x = np.random.RandomState(2).rand(3, 8, 8, 3).astype(np.float32)
    before = piece(tf.constant(x)).numpy()
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(piece(tf.constant(x)) ** 2)
    for variable, gradient in zip(piece.trainable_variables, tape.gradient(loss, piece.trainable_variables)):
        variable.assign_sub(0.1 * gradient)
    jp = to_jax(piece)
    names = dict(zip((id(v) for v in piece.variables), variable_paths(piece.variables)))
    assert not np.allclose(jp(x), before)  # the step moved the outputs: old values would show
    assert_close(jp(x), piece(tf.constant(x)))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(piece(tf.constant(x)) ** 2)
    expected = tape.gradient(loss, piece.trainable_variables)
    grads = jax.grad(lambda p: (jp.apply(p, jp.state, x)[0] ** 2).sum())(jp.params)
    assert_close(grads, {names[id(v)]: g.numpy() for v, g in zip(piece.trainable_variables, expected)})
