"""uint64 and float64 variables beyond the int32 / float32 range through `FlaxModule`: carried
exactly (outputs and gradients), against the raw TF object, without the user's x64 flag."""

from __future__ import annotations

import jax
import numpy as np
import tensorflow as tf
from flax import nnx

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.flax import FlaxModule

COUNT = 2**63 + 5  # above int64 too: only uint64 holds it
SCALE = 1e300  # float32 would make it inf


class Wide(rsm.ReusableModule):
    """A uint64 counter (not trained) and a float64 scale (trained) on float64 inputs."""

    def __init__(self):
        super().__init__(tf.TensorSpec([None], tf.float64))
        self.count = tf.Variable(np.uint64(COUNT), trainable=False, name="count")
        self.scale = tf.Variable(np.float64(SCALE), name="scale")

    def call(self, x, training=False):
        return {"scaled": x * self.scale, "count": self.count + tf.cast(tf.size(x), tf.uint64)}


def test_uint64_and_float64_variables_are_exact(tmp_path):
    path = str(tmp_path / "wide")
    rsm.save(Wide(), path)
    raw = tf.saved_model.load(path)
    x = np.array([1.5, -2.0, 0.25], np.float64)
    expected = raw(tf.constant(x))
    assert not jax.config.jax_enable_x64  # the user's flag stays off throughout
    module = FlaxModule(path)
    assert module.params["scale"][...].dtype == np.float64
    assert module.state["count"][...].dtype == np.uint64
    outputs = module(x)
    assert outputs["count"].dtype == np.uint64 and int(outputs["count"]) == COUNT + 3
    assert int(outputs["count"]) == int(expected["count"].numpy())
    np.testing.assert_array_equal(np.asarray(outputs["scaled"]), expected["scaled"].numpy())

    # d scaled[1] / d scale = x[1], as the tape says, in float64 (indexing: no reduction the
    # user's x64-off JAX would compute in float32).
    with tf.GradientTape() as tape:
        picked = raw(tf.constant(x))["scaled"][1]
    (tape_grad,) = tape.gradient(picked, raw.trainable_variables)
    grads = nnx.grad(lambda m: m(x)["scaled"][1], argnums=nnx.DiffState(0, nnx.Param))(module)
    assert grads.params["scale"][...].dtype == np.float64
    np.testing.assert_array_equal(np.asarray(grads.params["scale"][...]), tape_grad.numpy())
    assert not jax.config.jax_enable_x64
