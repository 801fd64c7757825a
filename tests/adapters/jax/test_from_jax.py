"""from_jax: export through jax2tf, rsm.check, TF fine-tuning, hub.KerasLayer, and back to JAX."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow as tf

from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.jax import from_jax, to_jax

X = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
SIGNATURE = tf.TensorSpec([None, 3], tf.float32)


def apply(params, state, x, *, training, rng=None):
    """A dense layer with a running mean (updated in training) and dropout."""
    h = x @ params["dense"]["w"] + params["dense"]["b"]
    if training:
        mean = h.mean(0)
        new_state = {"mean": 0.9 * state["mean"] + 0.1 * mean}
        keep = jax.random.bernoulli(rng, 0.75, h.shape)
        return jnp.where(keep, (h - mean) / 0.75, 0.0), new_state
    return h - state["mean"], state


PARAMS = {"dense": {"w": np.linspace(-1, 1, 6, dtype=np.float32).reshape(3, 2), "b": np.ones(2, np.float32)}}
STATE = {"mean": np.zeros(2, np.float32)}


def regularization(params):
    return 0.01 * jnp.sum(params["dense"]["w"] ** 2)


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    piece = from_jax(apply, PARAMS, input_signature=SIGNATURE, state=STATE, regularization_loss=regularization)
    path = tmp_path_factory.mktemp("from_jax") / "model"
    rsm.save(piece, path)
    return str(path)


def test_in_process_piece_matches_jax():
    piece = from_jax(apply, PARAMS, input_signature=SIGNATURE, state=STATE, regularization_loss=regularization)
    assert_close(piece(X).numpy(), apply(PARAMS, STATE, X, training=False)[0])
    assert {v.name for v in piece.trainable_variables} == {"params/dense/w:0", "params/dense/b:0"}
    assert [v.name for v in piece.non_trainable_variables] == ["state/mean:0"]
    assert_close(piece.regularization_loss().numpy(), regularization(PARAMS))


def test_saved_model_passes_check_and_assigns_state_in_training(saved):
    assert rsm.check(saved).ok
    piece = rsm.load(saved)
    assert_close(piece(X).numpy(), apply(PARAMS, STATE, X, training=False)[0])
    piece(X, training=True)
    expected = 0.1 * (X @ PARAMS["dense"]["w"] + PARAMS["dense"]["b"]).mean(0)
    assert_close(piece.non_trainable_variables[0].numpy(), expected)
    a, b = piece(X, training=True).numpy(), piece(X, training=True).numpy()
    assert not np.array_equal(a, b)  # a fresh dropout key per call


def test_fine_tunes_in_tf_with_gradient_tape(saved):
    piece = rsm.load(saved)
    target = np.zeros((8, 2), np.float32)
    optimizer = tf.keras.optimizers.SGD(0.1)
    losses = []
    for _ in range(5):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(piece(X) - target)) + piece.regularization_loss()
        grads = tape.gradient(loss, piece.trainable_variables)
        assert all(g is not None for g in grads)
        optimizer.apply_gradients(zip(grads, piece.trainable_variables))
        losses.append(float(loss))
    assert losses[-1] < losses[0]


def test_gradients_match_jax(saved):
    piece = rsm.load(saved)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(piece(X) ** 2) + piece.regularization_loss()
    tf_grads = dict(zip([v.name for v in piece.trainable_variables], tape.gradient(loss, piece.trainable_variables)))
    grads = jax.grad(lambda p: jnp.sum(apply(p, STATE, X, training=False)[0] ** 2) + regularization(p))(PARAMS)
    assert_close(tf_grads["params/dense/w:0"], grads["dense"]["w"])
    assert_close(tf_grads["params/dense/b:0"], grads["dense"]["b"])


def test_loads_into_hub_keras_layer(saved):
    hub = pytest.importorskip("tensorflow_hub")
    layer = hub.KerasLayer(saved, trainable=True)
    assert_close(layer(X).numpy(), apply(PARAMS, STATE, X, training=False)[0])
    assert len(layer.trainable_weights) == 2 and len(layer.losses) == 1


def test_round_trip_back_to_jax(saved):
    jp = to_jax(saved)
    assert set(jp.params) == {"params/dense/w", "params/dense/b"} and set(jp.state) == {"state/mean"}
    assert_close(jp(X), apply(PARAMS, STATE, X, training=False)[0])
    out, new_state = jax.jit(lambda p, s, k: jp.apply(p, s, X, training=True, rng=k))(jp.params, jp.state, jax.random.key(0))
    assert_close(new_state["state/mean"], 0.1 * (X @ PARAMS["dense"]["w"] + 1).mean(0))
    grads = jax.grad(lambda p: jp.apply(p, jp.state, X)[0].sum() + jp.regularization_loss(p))(jp.params)
    expected = jax.grad(lambda p: apply(p, STATE, X, training=False)[0].sum() + regularization(p))(PARAMS)
    assert_close(grads["params/dense/w"], expected["dense"]["w"])


def test_round_trip_sees_weights_fine_tuned_in_tf(saved):
    piece = rsm.load(saved)
    piece.trainable_variables[0].assign_add(tf.ones_like(piece.trainable_variables[0]))
    assert_close(to_jax(piece)(X), piece(X).numpy())


def test_apply_without_state_or_rng():
    piece = from_jax(lambda p, x, *, training: x * p["scale"], {"scale": np.float32(2.0)}, input_signature=tf.TensorSpec([None], tf.float32))
    np.testing.assert_allclose(piece(np.array([1.0, 2.0], np.float32)).numpy(), [2.0, 4.0])
    assert not piece.non_trainable_variables


def test_an_inference_function_without_training_serves_both_traces(tmp_path):
    params = {"w": np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3)}
    piece = from_jax(
        lambda p, x: jnp.tanh(x @ p["w"]), params, input_signature=tf.TensorSpec([None, 4], tf.float32)
    )
    x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
    assert piece.spec.call.training_values == (False, True)
    for training in (False, True):
        assert_close(piece(x, training=training), np.tanh(x @ params["w"]))
    assert_close(rsm.save(piece, tmp_path / "m")(x), np.tanh(x @ params["w"]))
