"""Recurrent pieces (TensorList ops in a while loop: tf_keras LSTM/GRU, Sonnet `dynamic_unroll`)
through `to_jax`, against the raw TF object: outputs, forward-mode derivatives and `jax.grad`
(the loops run a step count fixed by shapes, so they become `lax.scan`); a loop whose step
count depends on the data runs forward and refuses `jax.grad`, typed."""

from __future__ import annotations

import jax
import numpy as np
import pytest
import sonnet as snt
import tensorflow as tf
import tf_keras

from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.jax import UnconvertibleError, to_jax
from reusable_savedmodel.adapters.jax.conversion._convert import variable_paths
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


def _tape(raw, x):
    """The raw object's d sum(y**2) / d (inputs, trainable variables), the latter keyed as `to_jax` keys params."""
    x = tf.constant(x)
    names = dict(zip((id(v) for v in raw.variables), variable_paths(raw.variables)))
    variables = list(raw.trainable_variables)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = tf.reduce_sum(raw(x, training=False) ** 2)
    grad_x, *grad_vars = tape.gradient(loss, [x, *variables])
    return grad_x.numpy(), {names[id(v)]: g.numpy() for v, g in zip(variables, grad_vars)}


def _jax_grad(path, x, jit):
    jp = to_jax(path)

    def loss(params, x):
        return (jp.apply(params, jp.state, x)[0] ** 2).sum()

    grad = jax.grad(loss, argnums=(1, 0))
    return (jax.jit(grad) if jit else grad)(jp.params, x)


@pytest.mark.parametrize("jit", [False, True], ids=["eager", "jit"])
def test_lstm_and_gru_reverse_mode_gradients_match_the_tape(recurrent, jit):
    grad_x, grad_vars = _tape(tf.saved_model.load(recurrent), X)
    jax_x, jax_vars = _jax_grad(recurrent, X, jit)
    assert set(jax_vars) == set(grad_vars)  # every trainable variable gets its gradient
    assert_close(jax_x, grad_x)
    assert_close(jax_vars, grad_vars)


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
    grad_x, grad_vars = _tape(raw, X)
    jax_x, jax_vars = _jax_grad(path, X, jit=True)
    assert_close(jax_x, grad_x)
    assert_close(jax_vars, grad_vars)


class Doubling(rsm.ReusableModule):
    """Scales its input by `w` until its largest entry reaches 10: the step count depends on the data."""

    def __init__(self):
        super().__init__(tf.TensorSpec([None, 3], tf.float32))
        self.w = tf.Variable(2.0)

    def call(self, x, training=False):
        return tf.while_loop(lambda y: tf.reduce_max(y) < 10.0, lambda y: [y * self.w], [x])[0]


def test_data_dependent_loop_runs_forward_and_refuses_reverse_mode(tmp_path):
    path = str(tmp_path / "doubling")
    rsm.save(Doubling(), path)
    raw = tf.saved_model.load(path)
    x = np.array([[0.5, 1.0, 3.0], [0.1, 0.2, 0.3]], np.float32)
    jp = to_jax(path)
    assert_close(jp(x), raw(tf.constant(x)))
    np.testing.assert_allclose(np.max(jp(x)), 12.0)  # 3 * 2**2: the loop ran twice
    with pytest.raises(UnconvertibleError, match=r"(?s)while loop .*depends on\s+the data.*KerasLayer"):
        jax.grad(lambda x: jp(x, jit=False).sum())(x)
