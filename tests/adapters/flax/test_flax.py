"""FlaxModule fine-tuning a TF example model, and from_flax models fine-tuned in TF."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
import tensorflow as tf
from flax import nnx

from fixtures import models
from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.flax import FlaxModule, from_flax
from reusable_savedmodel.adapters.jax import RngRequiredError, to_jax

X = jnp.asarray(models.example_inputs("mlp", batch=16))
LABELS = jnp.arange(16) % 3
MEAN = "encoder/batch_norm/moving_mean"


@nnx.jit
def train_step(model, optimizer, rngs):
    def loss_fn(model, rngs):
        logits = model(X, training=True, rngs=rngs)
        return optax.softmax_cross_entropy_with_integer_labels(logits, LABELS).mean() + model.regularization_loss()

    loss, grads = nnx.value_and_grad(loss_fn)(model, rngs)
    optimizer.update(model, grads)
    return loss


def test_variables_are_params_and_batch_stats(zoo_path):
    module = FlaxModule(zoo_path("mlp"))
    piece = rsm.load(zoo_path("mlp"))
    assert len(jax.tree_util.tree_leaves(nnx.state(module, nnx.Param))) == len(piece.trainable_variables)
    assert len(jax.tree_util.tree_leaves(nnx.state(module, nnx.BatchStat))) == len(piece.non_trainable_variables)
    assert_close(module(X), piece(np.asarray(X)).numpy())
    with pytest.raises(RngRequiredError):
        module(X, training=True)


def test_zoo_mlp_fine_tunes_in_flax_and_exports_back(zoo_path, tmp_path):
    module = FlaxModule(zoo_path("mlp"), rngs=nnx.Rngs(0))
    optimizer = nnx.Optimizer(module, optax.adam(1e-2), wrt=nnx.Param)
    rngs = nnx.Rngs(dropout=0)
    frozen_scale = module.state["encoder/input_scale"][...]
    mean_before = module.state[MEAN][...]
    losses = [float(train_step(module, optimizer, rngs)) for _ in range(15)]
    assert losses[-1] < losses[0]
    assert not np.allclose(module.state[MEAN][...], mean_before)  # moved in training
    np.testing.assert_array_equal(module.state["encoder/input_scale"][...], frozen_scale)  # not trainable
    mean_trained = module.state[MEAN][...]
    inference = nnx.jit(lambda m, x: m(x))
    expected = inference(module, X)
    np.testing.assert_array_equal(module.state[MEAN][...], mean_trained)  # inference leaves it

    graphdef, state = nnx.split(module)
    assert_close(nnx.merge(graphdef, state)(X), expected)

    exported = rsm.save(from_flax(module, input_signature=tf.TensorSpec([None, 4], tf.float32)), tmp_path / "tuned")
    assert rsm.check(exported).ok
    assert_close(exported(np.asarray(X)).numpy(), expected)


def test_flax_module_from_a_jax_piece(zoo_path):
    jp = to_jax(zoo_path("mlp"))
    module = FlaxModule(jp)
    assert_close(module(X, return_hidden=True)["logits"], jp(X))


class Net(nnx.Module):
    def __init__(self, rngs: nnx.Rngs):
        self.dense = nnx.Linear(4, 8, rngs=rngs)
        self.norm = nnx.BatchNorm(8, rngs=rngs)
        self.drop = nnx.Dropout(0.2, rngs=rngs)
        self.out = nnx.Linear(8, 3, rngs=rngs)

    def __call__(self, x):
        return self.out(self.drop(nnx.relu(self.norm(self.dense(x)))))


def test_from_flax_model_fine_tunes_in_tf(tmp_path):
    net = Net(nnx.Rngs(0))
    piece = rsm.save(from_flax(net, input_signature=tf.TensorSpec([None, 4], tf.float32)), tmp_path / "net")
    assert rsm.check(piece).ok
    net.eval()
    assert_close(piece(np.asarray(X)).numpy(), net(X))
    assert len(piece.trainable_variables) == 6 and len(piece.non_trainable_variables) == 2
    optimizer = tf.keras.optimizers.Adam(1e-2)
    stats = [v.numpy() for v in piece.non_trainable_variables]
    losses = []
    for _ in range(10):
        with tf.GradientTape() as tape:
            logits = piece(np.asarray(X), training=True)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(np.asarray(LABELS), logits))
        optimizer.apply_gradients(zip(tape.gradient(loss, piece.trainable_variables), piece.trainable_variables))
        losses.append(float(loss))
    assert losses[-1] < losses[0]
    assert all(not np.allclose(a, v.numpy()) for a, v in zip(stats, piece.non_trainable_variables))
    # and back into Flax with the TF-tuned weights
    assert_close(FlaxModule(piece)(X), piece(np.asarray(X)).numpy())
