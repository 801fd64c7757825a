"""JaxPiece.save of a trace that tf2jax converts for concrete shapes only: a typed refusal."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import reusable_savedmodel as rsm
from fixtures.tolerances import assert_close
from reusable_savedmodel.adapters.jax import to_jax

STEPS = 5


class TensorArrayRnn(rsm.ReusableModule):
    """A tanh RNN written with a TensorArray (TensorList ops), batch dimension unknown."""

    def __init__(self):
        super().__init__(tf.TensorSpec([None, STEPS, 3], tf.float32))
        self.w = tf.Variable(tf.reshape(tf.range(9, dtype=tf.float32), [3, 3]) / 10)

    def call(self, x, training=False):
        xs = tf.transpose(x, [1, 0, 2])
        states = tf.TensorArray(tf.float32, size=STEPS)
        h = tf.zeros_like(xs[0])
        for t in tf.range(STEPS):
            h = tf.tanh(xs[t] @ self.w + h)
            states = states.write(t, h)
        return tf.transpose(states.stack(), [1, 0, 2])


def test_symbolic_batch_that_cannot_be_exported_is_refused_typed_and_writes_nothing(tmp_path):
    rsm.save(TensorArrayRnn(), str(tmp_path / "rnn"))
    raw = tf.saved_model.load(str(tmp_path / "rnn"))
    x = np.random.default_rng(0).standard_normal([2, STEPS, 3]).astype(np.float32)
    piece = to_jax(str(tmp_path / "rnn"))
    assert_close(np.asarray(piece(x)), raw(x).numpy())  # the converted call itself is right
    with pytest.raises(rsm.UnsupportedError, match=r"cannot be exported with symbolic dimensions .*float32\[\?,5,3\]"):
        piece.save(tmp_path / "saved", platforms=("cpu",))
    assert not (tmp_path / "saved").exists()
