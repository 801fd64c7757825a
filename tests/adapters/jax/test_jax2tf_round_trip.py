"""Flax models (NNX and linen) exported through jax2tf with a symbolic batch, then loaded:
`to_jax`, `FlaxModule`, and `JaxPiece.save` / `load_jax_piece`. The batch stays symbolic, and
every batch size matches the raw `tf.saved_model.load` object (outputs and gradients)."""

from __future__ import annotations

import gradient_producers as producers
import jax
import numpy as np
import pytest
import tensorflow as tf
from flax import nnx

from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.flax import FlaxModule
from reusable_savedmodel.adapters.jax import load_jax_piece, to_jax
from reusable_savedmodel.adapters.jax.conversion._convert import variable_paths

# A child interpreter builds the models.
pytestmark = pytest.mark.slow

BATCHES = (1, 3)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Both exports, written by one producer process."""
    return producers.produce_all(
        tmp_path_factory.mktemp("jax2tf"),
        {"nnx": producers.NNX_JAX2TF_POLYMORPHIC, "linen": producers.LINEN_JAX2TF_POLYMORPHIC},
    )


def _inputs(batch):
    return np.random.RandomState(batch).rand(batch, 8, 8, 3).astype(np.float32)


def _raw_outputs_and_gradients(raw, x):
    """The raw object's outputs and d sum(y**2) / d trainable variables, keyed as `to_jax` keys params."""
    names = dict(zip((id(v) for v in raw.variables), variable_paths(raw.variables)))
    variables = list(raw.trainable_variables)
    with tf.GradientTape() as tape:
        y = raw(tf.constant(x))
        loss = tf.reduce_sum(y * y)
    grads = tape.gradient(loss, variables)
    return y.numpy(), {names[id(v)]: g.numpy() for v, g in zip(variables, grads)}


@pytest.mark.parametrize("model", ["nnx", "linen"])
def test_saved_piece_keeps_the_symbolic_batch(exported, model, tmp_path):
    path = exported[model]
    raw = tf.saved_model.load(path)
    # jax2tf lowered the module for this machine's platform only: other platforms are
    # refused, typed, and nothing is written.
    with pytest.raises(rsm.UnsupportedError, match="platforms"):
        to_jax(path).save(tmp_path / "all_platforms", platforms=("cpu", "cuda"))
    assert not (tmp_path / "all_platforms").exists()
    saved = to_jax(path).save(tmp_path / "piece", platforms=(jax.default_backend(),))
    loaded = load_jax_piece(saved)

    def loss(params, x):
        y, _ = loaded.apply(params, loaded.state, x)
        return (y * y).sum()

    for batch in BATCHES:
        x = _inputs(batch)
        y, grads = _raw_outputs_and_gradients(raw, x)
        assert_close(loaded(x), y)
        assert_close(jax.grad(loss)(loaded.params, x), grads)


@pytest.mark.parametrize("model", ["nnx", "linen"])
def test_to_jax_and_flax_module_follow_the_batch(exported, model):
    path = exported[model]
    raw = tf.saved_model.load(path)
    jp = to_jax(path)
    module = FlaxModule(path)
    # Trainable variables are params (nnx.Param); the rest (linen's batch_stats) state.
    trainable = {id(v) for v in raw.trainable_variables}
    names = variable_paths(raw.variables)
    assert set(jp.params) == set(module.params) == {n for v, n in zip(raw.variables, names) if id(v) in trainable}
    assert set(jp.state) == set(module.state) == {n for v, n in zip(raw.variables, names) if id(v) not in trainable}
    assert (len(jp.state) > 0) == (model == "linen")

    def jax_loss(params, x):
        y, _ = jp.apply(params, jp.state, x)
        return (y * y).sum()

    def flax_loss(module, x):
        y = module(x)
        return (y * y).sum()

    flax_grad = nnx.jit(nnx.grad(flax_loss, argnums=nnx.DiffState(0, nnx.Param)))
    for batch in BATCHES:
        x = _inputs(batch)
        y, grads = _raw_outputs_and_gradients(raw, x)
        assert_close(jp(x), y)
        assert_close(jax.jit(jax.grad(jax_loss))(jp.params, x), grads)
        assert_close(module(x), y)
        assert_close({k: v[...] for k, v in flax_grad(module, x).params.items()}, grads)
