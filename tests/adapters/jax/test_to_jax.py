"""to_jax against the raw TF call and tf.GradientTape: outputs, batch norm, dropout, errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow as tf
import tf2jax

from fixtures import models
from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.jax import (
    NoTraceError,
    RngRequiredError,
    UnconvertibleError,
    to_jax,
)
from reusable_savedmodel.adapters.jax.conversion._convert import variable_paths

X = models.example_inputs("mlp", batch=8)


def close(a, b, deep=False):
    jax.tree_util.tree_map(lambda x, y: assert_close(np.asarray(x), np.asarray(y), deep=deep), a, b)


@pytest.fixture(scope="module")
def mlp(zoo_path):
    return zoo_path("mlp")


@pytest.fixture(scope="module")
def jp(mlp):
    return to_jax(mlp)


def by_name(piece):
    return dict(zip(variable_paths(piece.variables), piece.variables))


def test_params_are_trainable_variables_keyed_by_unique_paths(mlp, jp):
    piece = rsm.load(mlp)
    names = by_name(piece)
    assert set(jp.params) == {n for n, v in names.items() if any(v is t for t in piece.trainable_variables)}
    assert "encoder/input_scale" in jp.state  # curated out of trainable_variables
    assert {"encoder/batch_norm/moving_mean", "encoder/batch_norm/moving_variance"} <= set(jp.state)
    for name, value in {**jp.params, **jp.state}.items():
        np.testing.assert_array_equal(value, names[name].numpy())


def test_variable_paths_are_unique():
    a, b, c = tf.Variable(1.0, name="w"), tf.Variable(2.0, name="w"), tf.Variable(3.0, name="w_1")
    assert variable_paths([a, b, c]) == ["w", "w_1", "w_1_1"]


@pytest.mark.parametrize("name", ["mlp", "mul", "dict_input", "list_input", "tf_keras_mlp"])
def test_inference_matches_tf(zoo_path, name):
    piece = rsm.load(zoo_path(name))
    x = models.example_inputs(name, batch=4)
    close(to_jax(piece)(x), tf.nest.map_structure(lambda t: t.numpy(), piece(x)))


def test_python_kwargs_and_tensor_kwargs_select_traces(mlp, jp):
    raw = tf.saved_model.load(mlp)
    out = jp(X, return_hidden=True)
    close(out, {k: v.numpy() for k, v in raw(X, return_hidden=True).items()})
    with pytest.raises(NoTraceError, match="matches none"):
        jp(X[:, :3])


def test_tf2jax_alone_loses_batch_norm_updates(mlp):
    """The failure to_jax works around: tf2jax converts nested calls as stateless functions."""
    obj = tf.saved_model.load(mlp)
    fn, params = tf2jax.convert(tf.function(lambda v: obj(v, training=True)), np.zeros_like(X))
    with pytest.raises(ValueError, match="Some updated parameters are lost"):
        fn(params, X, rng=jax.random.PRNGKey(0))


@pytest.mark.parametrize("name", ["mlp", "tf_keras_mlp"])
def test_batch_norm_training_on_restored_model_matches_tf(zoo_path, name):
    """Outputs and the assigned moving statistics equal a TF training call (no dropout)."""
    piece = rsm.load(zoo_path(name))
    jp = to_jax(piece)
    kwargs = {"dropout_rate": 0.0} if name == "mlp" else {}
    x = models.example_inputs(name, batch=8)
    if name == "tf_keras_mlp":  # dropout is fixed at 0.25: compare the statistics only
        _, new_state = jp.apply(jp.params, jp.state, x, training=True, rng=jax.random.PRNGKey(0))
        piece(x, training=True)
    else:
        out, new_state = jp.apply(jp.params, jp.state, x, training=True, rng=jax.random.key(0), **kwargs)
        close(out, piece(x, training=True, dropout_rate=tf.constant(0.0)).numpy())
    names = by_name(piece)
    moved = [n for n in jp.state if not np.array_equal(new_state[n], jp.state[n])]
    assert any("moving_mean" in n for n in moved) and any("moving_variance" in n for n in moved)
    for n in jp.state:
        close(new_state[n], names[n].numpy())


def test_dropout_needs_rng_and_follows_it(jp):
    with pytest.raises(RngRequiredError, match="pass rng="):
        jp.apply(jp.params, jp.state, X, training=True)
    a = jp.apply(jp.params, jp.state, X, training=True, rng=jax.random.key(0), dropout_rate=0.5)[0]
    b = jp.apply(jp.params, jp.state, X, training=True, rng=jax.random.key(0), dropout_rate=0.5)[0]
    c = jp.apply(jp.params, jp.state, X, training=True, rng=jax.random.key(1), dropout_rate=0.5)[0]
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def _tf_loss(piece, training):
    with tf.GradientTape() as tape:
        kwargs = {"dropout_rate": tf.constant(0.0)} if training else {}
        logits = piece(X, training=training, **kwargs)
        loss = tf.reduce_mean(tf.square(logits)) + piece.regularization_loss()
    return loss, tape.gradient(loss, piece.trainable_variables)


@pytest.mark.parametrize("training", [False, True])
def test_gradients_match_gradient_tape(mlp, training):
    piece = rsm.load(mlp)
    jp = to_jax(piece)
    kwargs = {"dropout_rate": 0.0, "rng": jax.random.key(0)} if training else {}

    def loss_fn(params):
        logits, _ = jp.apply(params, jp.state, X, training=training, **kwargs)
        return jnp.mean(jnp.square(logits)) + jp.regularization_loss(params)

    loss, grads = jax.jit(jax.value_and_grad(loss_fn))(jp.params)
    tf_loss, tf_grads = _tf_loss(piece, training)
    close(loss, tf_loss.numpy())
    names = {id(v): n for n, v in by_name(piece).items()}
    for v, g in zip(piece.trainable_variables, tf_grads):
        close(grads[names[id(v)]], g.numpy(), deep=True)


def test_jit_vmap_and_lazy_conversion(mlp):
    jp = to_jax(mlp)
    assert jp.num_converted == 0
    f = jax.jit(lambda p, s, x: jp.apply(p, s, x)[0])
    y = f(jp.params, jp.state, X)
    f(jp.params, jp.state, X + 1)
    assert jp.num_converted == 1  # one trace, converted once
    batched = jax.vmap(lambda x: jp.apply(jp.params, jp.state, x)[0])(np.stack([X, X]))
    close(batched[1], y)
    jp.apply(jp.params, jp.state, X, training=True, rng=jax.random.key(0))
    assert jp.num_converted == 2


def test_named_callable(mlp):
    piece = rsm.load(mlp)
    encoder = to_jax(piece, callable="encoder")
    close(encoder(X), piece.callable("encoder")(X).numpy())
    assert set(encoder.params) == {"encoder/dense/kernel", "encoder/dense/bias", "encoder/batch_norm/gamma", "encoder/batch_norm/beta"}


def test_regularization_loss_matches(mlp, jp):
    close(jp.regularization_loss(jp.params), rsm.load(mlp).regularization_loss().numpy())


def test_text_model_raises_one_clear_error(zoo_path):
    with pytest.raises(UnconvertibleError) as info:
        to_jax(zoo_path("text"))
    message = str(info.value)
    assert "LookupTableFindV2" in message and "StringSplitV2" in message
    assert "named callable" in message


def test_unconvertible_error_suggests_named_callables():
    class Tokenize(rsm.ReusableModule):
        def __init__(self):
            super().__init__(tf.TensorSpec([None], tf.string))
            self.embed = Embed()

        def call(self, inputs, training=False):
            return self.embed.call(tf.strings.to_hash_bucket_fast(inputs, 5))

    class Embed(rsm.ReusableModule):
        def __init__(self):
            super().__init__(tf.TensorSpec([None], tf.int64))
            self.table = tf.Variable(tf.ones([5, 2]))

        def call(self, inputs, training=False):
            return tf.gather(self.table, inputs)

    model = Tokenize()
    with pytest.raises(UnconvertibleError, match="callable='embed'"):
        to_jax(model)
    close(to_jax(model, callable="embed")(np.array([1, 2])), np.ones([2, 2]))


def test_signature_only_model_is_refused(zoo_path):
    with pytest.raises(rsm.NonConformingError, match="signature-only.*signature=NAME for inference through a signature"):
        to_jax(zoo_path("signature_only"))
