"""A tf_keras `mixed_float16` LSTM through `FlaxModule`: JAX computes in float16 as TF does,
so both sit as close to the same model in float32 (the independent reference); gradients
match the tape within float16 rounding."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf
import tf_keras
from flax import nnx

from fixtures.tolerances import assert_close
from reusable_savedmodel.adapters.flax import FlaxModule
from reusable_savedmodel.adapters.jax.conversion._convert import variable_paths

X = np.random.RandomState(0).rand(3, 6, 4).astype(np.float32)
# float16 has an 11-bit significand: a few ulps of 2**-11 after a short recurrence.
FLOAT16 = {"rtol": 1e-2, "atol": 2e-3}


def _model(policy):
    tf_keras.mixed_precision.set_global_policy(policy)
    try:
        return tf_keras.Sequential(
            [tf_keras.Input((6, 4)), tf_keras.layers.LSTM(8), tf_keras.layers.Dense(2, dtype="float32")]
        )
    finally:
        tf_keras.mixed_precision.set_global_policy("float32")


@pytest.mark.slow  # a recurrent loop's conversion and gradient compile for a while
def test_mixed_float16_lstm_is_as_close_to_float32_as_tf(tmp_path):
    tf.random.set_seed(0)
    mixed = _model("mixed_float16")
    reference = _model("float32")
    reference.set_weights(mixed.get_weights())  # mixed precision keeps float32 weights
    path = str(tmp_path / "mixed")
    tf.saved_model.save(mixed, path)
    raw = tf.saved_model.load(path)
    expected32 = reference(X).numpy()
    tf_outputs = raw(tf.constant(X), training=False).numpy()
    module = FlaxModule(path)
    outputs = np.asarray(module(X))
    assert not np.array_equal(tf_outputs, expected32)  # TF really computes in float16
    assert_close(tf_outputs, expected32, tolerance=FLOAT16)
    assert_close(outputs, expected32, tolerance=FLOAT16)
    assert_close(outputs, tf_outputs, tolerance=FLOAT16)
    # As close to float32 as TF is (within a factor for rounding order; ~4e-4 each here).
    assert np.abs(outputs - expected32).max() <= 2 * np.abs(tf_outputs - expected32).max()

    names = dict(zip((id(v) for v in raw.variables), variable_paths(raw.variables)))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(raw(tf.constant(X), training=False) ** 2)
    expected = tape.gradient(loss, raw.trainable_variables)
    grads = nnx.grad(lambda m: (m(X) ** 2).sum(), argnums=nnx.DiffState(0, nnx.Param))(module)
    assert_close(
        {k: v[...] for k, v in grads.params.items()},
        {names[id(v)]: g.numpy() for v, g in zip(raw.trainable_variables, expected)},
        tolerance=FLOAT16,
    )
