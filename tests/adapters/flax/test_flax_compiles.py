"""FlaxModule under `nnx.jit` compiles once per input signature, with the raw object's results.

A step that feeds back arrays of two kinds, committed to a device and not (to_jax's weights
once came committed, an optimizer's step count and an `nnx.Rngs` counter do not), got
committed arrays back after its first call and compiled again on its second.
"""

import jax.numpy as jnp
import optax
import tensorflow as tf
from flax import nnx

from fixtures import models
from fixtures.compiles import compiled_names
from fixtures.tolerances import STATISTICS, assert_close
from reusable_savedmodel.adapters.flax import FlaxModule
from reusable_savedmodel.adapters.jax.conversion import variable_paths

X = models.example_inputs("mlp", batch=16)
#: Batches per call: three calls of one input signature, then two of another.
BATCHES = (16, 16, 16, 8, 8)
LEARNING_RATE = 0.1
#: Dropout off, so that the training trace gives TensorFlow's numbers exactly.
RATE = 0.0


def test_inference_compiles_once_per_input_shape(zoo_path):
    path = zoo_path("mlp")
    module, raw = FlaxModule(path), tf.saved_model.load(path)
    traced = []

    @nnx.jit
    def infer(module, x):
        traced.append(x.shape)
        return module(x)

    with compiled_names() as compiled:
        for batch in BATCHES:
            assert_close(infer(module, jnp.asarray(X[:batch])), raw(X[:batch]))
    assert traced == [(16, 4), (8, 4)]
    assert compiled.count("jit(infer)") == 2


def _tf_step(raw, x):
    """The same SGD step on the raw loaded object; returns the loss."""
    with tf.GradientTape() as tape:
        outputs = raw(x, training=True, dropout_rate=tf.constant(RATE))
        loss = tf.reduce_mean(tf.square(outputs)) + tf.add_n([loss() for loss in raw.regularization_losses])
    for variable, gradient in zip(raw.trainable_variables, tape.gradient(loss, raw.trainable_variables)):
        variable.assign_sub(LEARNING_RATE * gradient)
    return loss


def test_training_step_compiles_once_per_input_shape(zoo_path):
    path = zoo_path("mlp")
    # Its `rngs` (the training trace's dropout draws) and the optimizer's step count are
    # uncommitted arrays the step updates.
    module = FlaxModule(path, rngs=nnx.Rngs(0))
    module.train()
    optimizer = nnx.Optimizer(module, optax.sgd(LEARNING_RATE), wrt=nnx.Param)
    raw = tf.saved_model.load(path)
    traced = []

    @nnx.jit
    def step(module, optimizer, x):
        traced.append(x.shape)

        def loss_fn(module):
            outputs = module(x, dropout_rate=jnp.float32(RATE))
            return jnp.mean(jnp.square(outputs)) + module.regularization_loss()

        loss, grads = nnx.value_and_grad(loss_fn)(module)
        optimizer.update(module, grads)
        return loss

    with compiled_names() as compiled:
        for batch in BATCHES:
            assert_close(step(module, optimizer, jnp.asarray(X[:batch])), _tf_step(raw, X[:batch]))
    assert traced == [(16, 4), (8, 4)]
    assert compiled.count("jit(step)") == 2
    # The steps trained the same weights and moved the same statistics.
    values = {**module.params, **module.state}
    for name, variable in zip(variable_paths(raw.variables), raw.variables):
        assert_close(values[name][...], variable, tolerance=STATISTICS, err_msg=name)
