"""`to_jax`'s weights: shared with TensorFlow, uncommitted, so a `jax.jit` step compiles once.

Arrays committed to a device (as `jax.dlpack.from_dlpack` makes them) turn a jitted step's
outputs committed; an uncommitted array fed back (optax's Adam step count) then changes
the step's argument shardings, and its second call compiled again.
"""

import jax
import jax.numpy as jnp
import optax
import tensorflow as tf

from fixtures import models
from fixtures.compiles import compiled_names
from fixtures.tolerances import assert_close
from reusable_savedmodel.adapters.jax import to_jax
from reusable_savedmodel.adapters.jax.conversion import variable_paths

X = models.example_inputs("mlp", batch=16)


def test_weights_share_the_variables_buffers_uncommitted(zoo_path):
    raw = tf.saved_model.load(zoo_path("mlp"))
    piece = to_jax(raw)
    values = {**piece.params, **piece.state}
    for name, variable in zip(variable_paths(raw.variables), raw.variables):
        assert not values[name].committed, name
        # No copy of the weights: the JAX array is the buffer TensorFlow reads.
        shared = jax.dlpack.from_dlpack(variable.read_value())
        assert values[name].unsafe_buffer_pointer() == shared.unsafe_buffer_pointer(), name


def test_adam_step_compiles_once(zoo_path):
    path = zoo_path("mlp")
    piece, raw = to_jax(path), tf.saved_model.load(path)
    adam = optax.adam(1e-2)
    traced = []

    @jax.jit
    def step(params, opt_state, x):
        traced.append(x.shape)

        def loss_fn(params):
            return jnp.mean(jnp.square(piece.apply(params, piece.state, x)[0]))

        loss, grads = jax.value_and_grad(loss_fn)(params)
        updates, opt_state = adam.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    params, opt_state, losses = piece.params, adam.init(piece.params), []
    with compiled_names() as compiled:
        for _ in range(3):
            params, opt_state, loss = step(params, opt_state, jnp.asarray(X))
            losses.append(loss)
    assert traced == [X.shape]
    assert compiled.count("jit(step)") == 1
    assert_close(losses[0], tf.reduce_mean(tf.square(raw(X))))  # the converted weights' loss
    assert losses[2] < losses[0]
