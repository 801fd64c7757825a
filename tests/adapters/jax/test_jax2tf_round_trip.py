"""A Flax NNX model exported through jax2tf with a symbolic batch, converted by `to_jax`,
saved with `JaxPiece.save` and loaded back: the batch stays symbolic, and every batch size
matches the raw `tf.saved_model.load` object (outputs and gradients)."""

from __future__ import annotations

import gradient_producers as producers
import jax
import numpy as np
import pytest
import tensorflow as tf

from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.jax import load_jax_piece, to_jax
from reusable_savedmodel.adapters.jax.conversion.convert import variable_paths

# A child interpreter builds the model.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def nnx_path(tmp_path_factory):
    return producers.produce(
        tmp_path_factory.mktemp("jax2tf"), "nnx", producers.NNX_JAX2TF_POLYMORPHIC
    )


def _raw_outputs_and_gradients(raw, x):
    """The raw object's outputs and d sum(y**2) / d variables, keyed as `to_jax` keys params."""
    names = variable_paths(raw.variables)
    with tf.GradientTape() as tape:
        y = raw(tf.constant(x))
        loss = tf.reduce_sum(y * y)
    grads = tape.gradient(loss, list(raw.trainable_variables))
    return y.numpy(), {n: g.numpy() for n, g in zip(names, grads)}


def test_saved_piece_keeps_the_symbolic_batch(nnx_path, tmp_path):
    raw = tf.saved_model.load(nnx_path)
    # jax2tf lowered the module for this machine's platform only: other platforms are
    # refused, typed, and nothing is written.
    with pytest.raises(rsm.UnsupportedError, match="platforms"):
        to_jax(nnx_path).save(tmp_path / "all_platforms", platforms=("cpu", "cuda"))
    assert not (tmp_path / "all_platforms").exists()
    saved = to_jax(nnx_path).save(tmp_path / "piece", platforms=(jax.default_backend(),))
    loaded = load_jax_piece(saved)

    def loss(params, x):
        y, _ = loaded.apply(params, loaded.state, x)
        return (y * y).sum()

    for batch in (1, 3):
        x = np.random.RandomState(batch).rand(batch, 8, 8, 3).astype(np.float32)
        y, grads = _raw_outputs_and_gradients(raw, x)
        assert_close(loaded(x), y)
        assert_close(jax.grad(loss)(loaded.params, x), grads)
