"""Recurrent pieces (TensorList ops in a while loop: tf_keras LSTM/GRU, Sonnet `dynamic_unroll`)
through `to_jax`, against the raw TF object: outputs and forward-mode derivatives."""

from __future__ import annotations

import jax
import numpy as np
import pytest
import sonnet as snt
import tensorflow as tf
import tf_keras

from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.jax import to_jax
from reusable_savedmodel.adapters.sonnet import from_sonnet

X = np.random.RandomState(0).rand(2, 5, 3).astype(np.float32)


@pytest.fixture(scope="module")
def recurrent(tmp_path_factory):
    """A tf_keras LSTM (sequences) into a GRU, saved as its users save it."""
    model = tf_keras.Sequential(
        [
            tf_keras.layers.LSTM(4, return_sequences=True, input_shape=(5, 3)),
            tf_keras.layers.GRU(3),
            tf_keras.layers.Dense(2),
        ]
    )
    model(X)
    path = str(tmp_path_factory.mktemp("rnn") / "tf_keras_lstm_gru")
    tf.saved_model.save(model, path)
    return path


def test_tf_keras_lstm_and_gru_match_tf(recurrent):
    raw = tf.saved_model.load(recurrent)
    jp = to_jax(recurrent)
    assert_close(jp(X), raw(tf.constant(X), training=False))
    assert_close(jp(X[:1]), raw(tf.constant(X[:1]), training=False))  # another batch size


def test_lstm_forward_mode_derivative_matches_the_tape(recurrent):
    # The loop becomes lax.while_loop: forward-mode differentiates it; compare a
    # directional derivative with the tape's gradient along the same direction.
    raw = tf.saved_model.load(recurrent)
    direction = np.random.RandomState(1).rand(*X.shape).astype(np.float32)
    x = tf.constant(X)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(raw(x, training=False) ** 2)
    expected = float(tf.reduce_sum(tape.gradient(loss, x) * direction))
    jp = to_jax(recurrent)
    _, derivative = jax.jvp(lambda x: (jp(x, jit=False) ** 2).sum(), (X,), (direction,))
    assert_close(derivative, expected)


class UnrolledLSTM(snt.Module):
    """A DeepRNN of two LSTMs run over time with `snt.dynamic_unroll` (a tf.while_loop)."""

    def __init__(self):
        super().__init__()
        self.core = snt.DeepRNN([snt.LSTM(4), snt.LSTM(3)])

    def __call__(self, x, is_training):
        del is_training
        sequence = tf.transpose(x, [1, 0, 2])  # time major
        outputs, _ = snt.dynamic_unroll(self.core, sequence, self.core.initial_state(tf.shape(x)[0]))
        return outputs[-1]


def test_sonnet_dynamic_unroll_matches_tf(tmp_path):
    net = UnrolledLSTM()
    net(X, is_training=False)
    path = str(tmp_path / "sonnet_unroll")
    rsm.save(from_sonnet(net, input_signature=tf.TensorSpec([None, 5, 3], tf.float32)), path)
    raw = tf.saved_model.load(path)
    assert_close(to_jax(path)(X), raw(tf.constant(X), training=False))
