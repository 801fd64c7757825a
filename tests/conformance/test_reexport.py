"""Re-export after fine-tuning, in every consumer: tune, save, reload, get the tuned model back.

Each test fine-tunes the example MLP (batch norm, dropout, regularization, named callables) for a
few steps in one consumer, re-exports it (`rsm.save` of the piece the consumer trained, or
the adapter's exporter for JAX and Flax), loads it back with `rsm.load`, and checks the
reloaded model against the fine-tuned consumer itself: inference outputs (which include the
tuned batch-norm moving statistics), and the training mode where the export keeps it.
The outputs must also differ from the original model's, so a save of the untouched weights
fails. Tolerance 1e-5 relative (1e-6 absolute): the reloaded model runs the same ops as the
consumer (the same TF graph, or for JAX and Flax the same JAX code, through jax2tf), so only
float32 rounding may differ (they agree to 1e-6 here).
"""

import jax
import keras
import numpy as np
import optax
import pytest
import sonnet as snt
import tensorflow as tf
from flax import nnx

from fixtures import models
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.flax import FlaxModule, from_flax
from reusable_savedmodel.adapters.jax import from_jax, to_jax
from reusable_savedmodel.adapters.keras import KerasLayer
from reusable_savedmodel.adapters.sonnet import SonnetModule

# Child interpreters or large models: left out of the quick loop (pytest -m "not slow").
pytestmark = pytest.mark.slow

X = models.example_inputs("mlp", batch=16)
LABELS = np.arange(16) % 3
SIGNATURE = tf.TensorSpec([None, 4], tf.float32)
MEAN, VARIANCE = "encoder/batch_norm/moving_mean", "encoder/batch_norm/moving_variance"


def close(actual, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


def numpy(structure):
    return tf.nest.map_structure(lambda t: np.asarray(t), structure)


@pytest.fixture(scope="module")
def mlp(zoo_path):
    return zoo_path("mlp")


@pytest.fixture(scope="module")
def original(mlp):
    """The untouched model's inference outputs."""
    return rsm.load(mlp)(X).numpy()


def reexport(x, path):
    """`rsm.save` (which reloads and checks), then an independent `rsm.load`."""
    rsm.save(x, path)
    return rsm.load(str(path))


def assert_changed(tuned, original):
    assert not np.allclose(tuned, original, atol=1e-3), "fine-tuning did not change the outputs"


def cross_entropy(labels, logits):
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))


def variable(piece, name):
    (found,) = [v for v in piece.variables if v.name == f"{name}:0"]
    return found


def test_raw_piece_with_gradient_tape(mlp, original, tmp_path):
    piece = rsm.load(mlp)
    frozen_scale = variable(piece, "encoder/input_scale").numpy()
    for _ in range(5):
        with tf.GradientTape() as tape:
            loss = cross_entropy(LABELS, piece(X, training=True)) + piece.regularization_loss()
        for v, g in zip(piece.trainable_variables, tape.gradient(loss, piece.trainable_variables), strict=True):
            v.assign_sub(0.2 * g)
    tuned = piece(X).numpy()
    assert_changed(tuned, original)

    reloaded = reexport(piece, tmp_path / "tuned")
    close(reloaded(X), tuned)
    close(reloaded(X, return_hidden=True)["hidden"], piece(X, return_hidden=True)["hidden"])
    close(reloaded.callable("encoder")(X), piece.callable("encoder")(X))  # named callables share the tuned weights
    close(reloaded.regularization_loss(), piece.regularization_loss())
    # Training mode (dropout off) runs the tuned weights and moves the statistics alike.
    close(reloaded(X, training=True, dropout_rate=0.0), piece(X, training=True, dropout_rate=0.0))
    close(variable(reloaded, MEAN), variable(piece, MEAN))
    # The curation survives: the fixed normalizer is still untrained and left out.
    assert len(reloaded.trainable_variables) == len(piece.trainable_variables)
    np.testing.assert_array_equal(variable(reloaded, "encoder/input_scale"), frozen_scale)
    assert not any(v.name.startswith("encoder/input_scale") for v in reloaded.trainable_variables)


def test_keras_layer_fit_then_save_the_whole_model(mlp, tmp_path):
    """Fine-tune the `encoder` named callable under a Keras head, re-export the whole MLP."""
    root = rsm.load(mlp)
    original_encoder = root.callable("encoder")(X).numpy()
    original_decoder = [v.numpy() for v in root.callables["decoder"].variables]
    encoder = KerasLayer(root, callable="encoder", trainable=True)
    model = keras.Sequential([keras.Input((4,)), encoder, keras.layers.Dense(3)])
    model.compile(
        optimizer=keras.optimizers.Adam(0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(X, LABELS, epochs=3, batch_size=8, verbose=0)
    tuned = encoder(X).numpy()
    assert_changed(tuned, original_encoder)

    reloaded = reexport(root, tmp_path / "tuned")
    close(reloaded.callable("encoder")(X), tuned)
    # The Keras head on the reloaded encoder reproduces the fine-tuned Keras model.
    head = model.layers[-1]
    close(head(reloaded.callable("encoder")(X)), model.predict(X, verbose=0))
    # `__call__` runs the tuned encoder and the untouched decoder.
    close(reloaded(X), root(X))
    for v, old in zip(reloaded.callables["decoder"].variables, original_decoder, strict=True):
        np.testing.assert_array_equal(v, old)


def test_sonnet_module_sgd_then_save(mlp, original, tmp_path):
    module = SonnetModule(rsm.load(mlp), arguments={"dropout_rate": 0.0})
    optimizer = snt.optimizers.SGD(0.2)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = cross_entropy(LABELS, module(X, is_training=True)) + module.regularization_loss()
        optimizer.apply(tape.gradient(loss, module.trainable_variables), module.trainable_variables)
        return loss

    losses = [float(step()) for _ in range(5)]
    assert losses[-1] < losses[0]
    tuned = module(X).numpy()
    assert_changed(tuned, original)

    reloaded = reexport(module.piece, tmp_path / "tuned")
    close(reloaded(X), tuned)
    again = SonnetModule(reloaded, arguments={"dropout_rate": 0.0})
    close(again(X, is_training=True), module(X, is_training=True))
    for ours, theirs in zip(again.variables, module.variables, strict=True):
        close(ours, theirs)  # including the moving statistics the last call moved


def _jax_fine_tune(jp, steps=5):
    """SGD on `params` with `jax.grad`; the batch-norm state follows the training trace."""

    @jax.jit
    def step(params, state, rng):
        def loss_fn(params):
            logits, new_state = jp.apply(params, state, X, training=True, rng=rng)
            data = optax.softmax_cross_entropy_with_integer_labels(logits, LABELS).mean()
            return data + jp.regularization_loss(params), new_state

        grads, new_state = jax.grad(loss_fn, has_aux=True)(params)
        return jax.tree.map(lambda p, g: p - 0.2 * g, params, grads), new_state

    params, state = jp.params, jp.state
    for i in range(steps):
        params, state = step(params, state, jax.random.key(i))
    return params, state


def test_to_jax_grad_steps_then_from_jax(mlp, original, tmp_path):
    jp = to_jax(mlp)
    params, state = _jax_fine_tune(jp)
    tuned = jp.apply(params, state, X)[0]
    assert_changed(tuned, original)

    # Both traces were converted above (training in the steps, inference for `tuned`); see
    # test_from_jax_exports_a_fresh_to_jax_piece for a piece that has not run yet.
    exported = from_jax(
        jp.apply, params, state=state, input_signature=SIGNATURE, regularization_loss=jp.regularization_loss
    )
    reloaded = reexport(exported, tmp_path / "tuned")
    close(reloaded(X), tuned)
    close(reloaded.regularization_loss(), jp.regularization_loss(params))
    # The training trace runs and moves the statistics as the JAX training step does.
    _, expected_state = jp.apply(params, state, X, training=True, rng=jax.random.key(0))
    reloaded(X, training=True)
    close(variable(reloaded, f"state/{MEAN}"), expected_state[MEAN])
    close(variable(reloaded, f"state/{VARIANCE}"), expected_state[VARIANCE])
    # And back to JAX, with the tuned values as params/state.
    again = to_jax(str(tmp_path / "tuned"))
    close(again(X), tuned)


def _flax_fine_tune(module, steps=5):
    optimizer = nnx.Optimizer(module, optax.sgd(0.2), wrt=nnx.Param)

    @nnx.jit
    def step(module, optimizer, rngs):
        def loss_fn(module, rngs):
            logits = module(X, training=True, rngs=rngs)
            return optax.softmax_cross_entropy_with_integer_labels(logits, LABELS).mean() + module.regularization_loss()

        optimizer.update(module, nnx.grad(loss_fn)(module, rngs))

    rngs = nnx.Rngs(dropout=0)
    for _ in range(steps):
        step(module, optimizer, rngs)


def flax_values(module):
    return {k: v[...] for k, v in module.params.items()}, {k: v[...] for k, v in module.state.items()}


def test_from_jax_exports_a_fresh_to_jax_piece(mlp):
    jp = to_jax(mlp)  # no trace converted yet
    exported = from_jax(jp.apply, jp.params, state=jp.state, input_signature=SIGNATURE)
    close(exported(X), rsm.load(mlp)(X))


def test_flax_module_optimizer_steps_then_export(mlp, original, tmp_path):
    """nnx.Optimizer steps, then export through `from_jax` with the module's piece and values.

    (`from_flax` of the FlaxModule does not keep the training trace: see the next test.)
    """
    module = FlaxModule(mlp)
    _flax_fine_tune(module)
    tuned = module(X)
    assert_changed(tuned, original)
    params, state = flax_values(module)

    exported = from_jax(
        module.piece.apply, params, state=state, input_signature=SIGNATURE,
        regularization_loss=module.piece.regularization_loss,
    )
    reloaded = reexport(exported, tmp_path / "tuned")
    close(reloaded(X), tuned)
    close(reloaded.regularization_loss(), module.regularization_loss())
    # The training trace is still the training trace: the statistics move as a training
    # call of the fine-tuned module moves them.
    _, expected_state = module.piece.apply(params, state, X, training=True, rng=jax.random.key(0))
    assert not np.allclose(expected_state[MEAN], state[MEAN])
    reloaded(X, training=True)
    close(variable(reloaded, f"state/{MEAN}"), expected_state[MEAN])


def test_from_flax_of_a_flax_module_keeps_the_training_trace(mlp):
    module = FlaxModule(mlp, rngs=nnx.Rngs(0))
    module(X)  # converts both traces first (see test_from_jax_exports_a_fresh_to_jax_piece)
    module(X, training=True, rngs=nnx.Rngs(0))
    params, state = flax_values(module)
    exported = from_flax(module, input_signature=SIGNATURE)
    close(exported(X), module(X))  # inference is right
    _, expected_state = module.piece.apply(params, state, X, training=True, rng=jax.random.key(0))
    exported(X, training=True)
    (mean,) = [v for v in exported.non_trainable_variables if v.name.endswith(f"{MEAN}:0")]
    close(mean, expected_state[MEAN])


def test_tensorflow_hub_keras_layer_on_tf_keras(mlp, original, tmp_path):
    hub = pytest.importorskip("tensorflow_hub")
    tf_keras = pytest.importorskip("tf_keras")
    layer = hub.KerasLayer(mlp, trainable=True)
    model = tf_keras.Sequential([tf_keras.Input((4,)), layer])
    model.compile(
        optimizer=tf_keras.optimizers.SGD(0.2),
        loss=tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    history = model.fit(X, LABELS, epochs=4, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert len(layer.losses) == len(rsm.load(mlp).regularization_losses)
    tuned = layer(X).numpy()
    assert_changed(tuned, original)

    reloaded = reexport(layer.resolved_object, tmp_path / "tuned")
    close(reloaded(X), tuned)
    close(reloaded(X), model.predict(X, verbose=0))
    # And back into a hub.KerasLayer.
    close(hub.KerasLayer(str(tmp_path / "tuned"))(X), tuned)
