"""64-bit values through `to_jax` and `FlaxModule`: exact (64-bit types scoped to the piece's
own calls) or refused with `X64RequiredError`, never wrapped; against the raw TF object."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow as tf

from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.jax import X64RequiredError, load_jax_piece, to_jax

IDS = np.array([3_000_000_000, 5, 2**40 + 3], np.int64)  # 3e9 wraps to another valid id in int32
COUNT = 12_000_000_000  # wrapped to int32 it is off by 1.2e10


@pytest.fixture(scope="module")
def wide_model(tmp_path_factory):
    """int64 ids in, a count variable of 1.2e10, a float64 weight, float32 embeddings trained."""
    count = tf.Variable(COUNT, dtype=tf.int64, name="count")
    scale = tf.Variable(1.0 / 3.0, dtype=tf.float64, name="scale")
    table = tf.Variable(np.arange(10, dtype=np.float32).reshape(5, 2) / 7, name="table")

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int64)])
    def call(ids):
        return {
            "next_ids": ids + 1,
            "count": count + tf.reduce_sum(tf.ones_like(ids)),
            "scaled": tf.cast(ids, tf.float64) * scale,
            "embedded": tf.gather(table, ids % 5),
        }

    root = tf.train.Checkpoint(variables=[count, scale, table], trainable_variables=[table])
    root.__call__ = call
    path = str(tmp_path_factory.mktemp("wide") / "model")
    tf.saved_model.save(root, path)
    return path


@pytest.fixture(scope="module")
def raw(wide_model):
    return tf.saved_model.load(wide_model)


def _expected(raw, ids=IDS):
    return {k: v.numpy() for k, v in raw(tf.constant(ids)).items()}


def _assert_exact(got, expected):
    assert set(got) == set(expected)
    for name, value in expected.items():
        assert np.asarray(got[name]).dtype == value.dtype, name
        np.testing.assert_array_equal(np.asarray(got[name]), value, err_msg=name)


@pytest.mark.parametrize("jit", [True, False])
def test_int64_and_float64_are_exact_without_x64(wide_model, raw, jit):
    assert not jax.config.jax_enable_x64
    jp = to_jax(wide_model)
    assert jp.wide
    assert jp.state["count"].dtype == np.int64 and int(jp.state["count"]) == COUNT
    expected = _expected(raw)
    assert expected["next_ids"][0] == 3_000_000_001 and expected["count"] == COUNT + 3
    _assert_exact(jp(IDS, jit=jit), expected)
    assert not jax.config.jax_enable_x64  # the user's setting is untouched


def test_float64_precision_is_kept(wide_model, raw):
    got = np.asarray(to_jax(wide_model)(IDS)["scaled"])
    expected = _expected(raw)["scaled"]
    np.testing.assert_array_equal(got, expected)
    assert not np.array_equal(expected.astype(np.float32).astype(np.float64), expected)  # float32 would differ


def test_gradients_with_int64_inputs_match_tf(wide_model, raw):
    table = raw.trainable_variables[0]
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(raw(tf.constant(IDS))["embedded"] ** 2)
    expected = tf.convert_to_tensor(tape.gradient(loss, table)).numpy()
    jp = to_jax(wide_model)
    grads = jax.grad(lambda p: (jp.apply(p, jp.state, IDS)[0]["embedded"] ** 2).sum())(jp.params)
    assert_close(grads["table"], expected)


def test_narrowed_inputs_and_state_are_refused_under_jit(wide_model, raw):
    jp = to_jax(wide_model)
    with pytest.raises(X64RequiredError, match="input 0 is int64 but arrived as int32"):
        jax.jit(lambda ids: jp(ids))(IDS)
    # The piece's own int64 arrays cross a jit boundary as int64; NumPy ones are narrowed.
    run = jax.jit(lambda state: jp.apply(jp.params, state, IDS)[0])
    _assert_exact(run(jp.state), _expected(raw))
    with pytest.raises(X64RequiredError, match="variable 'count' is int64 but arrived as int32"):
        run({k: np.asarray(v) for k, v in jp.state.items()})
    assert isinstance(X64RequiredError("x"), rsm.ReusableError)


def test_under_the_users_x64_jit_is_exact(wide_model, raw):
    jp = to_jax(wide_model)
    with jax.enable_x64(True):
        got = jax.jit(lambda p, s, ids: jp.apply(p, s, ids)[0])(jp.params, jp.state, jnp.asarray(IDS))
    _assert_exact(got, _expected(raw))


def test_flax_module_is_exact_and_refuses_narrowed_state(wide_model, raw):
    from flax import nnx

    from reusable_savedmodel.adapters.flax import FlaxModule

    module = FlaxModule(wide_model)
    assert module.state["count"][...].dtype == np.int64
    _assert_exact(module(IDS), _expected(raw))
    with pytest.raises(X64RequiredError, match="int64 but arrived as int32"):
        nnx.jit(lambda m, ids: m(ids))(module, IDS)


def test_saved_wide_piece_stays_exact(wide_model, raw, tmp_path):
    jp = to_jax(wide_model)
    loaded = load_jax_piece(jp.save(tmp_path / "piece", platforms=("cpu",)))
    assert loaded.wide
    _assert_exact(loaded(IDS), _expected(raw))


def test_a_holder_that_keeps_exact_values_in_32_bits_may_pass_them(tmp_path):
    """Keras on JAX holds a piece's int64 counter in 32 bits once it checked the value fits:
    `held_narrowed` names it, and the piece computes as TensorFlow does; unnamed, it is refused."""
    count = tf.Variable(5, dtype=tf.int64, name="counter")

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def call(x):
        count.assign_add(1)
        return x * tf.cast(count, tf.float32)

    root = tf.train.Checkpoint(variables=[count])
    root.__call__ = call
    tf.saved_model.save(root, str(tmp_path / "model"))
    raw = tf.saved_model.load(str(tmp_path / "model"))
    jp = to_jax(str(tmp_path / "model"))
    held = {name: jax.numpy.asarray(np.asarray(value)) for name, value in jp.state.items()}  # int32 now
    (name,) = held
    x = np.ones([2], np.float32)
    with pytest.raises(X64RequiredError, match="int64 but arrived as int32"):
        jp.jit_apply({}, held, x)
    outputs, new_state = jp.jit_apply({}, held, x, held_narrowed={name})
    np.testing.assert_array_equal(np.asarray(outputs), raw(tf.constant(x)).numpy())
    assert int(new_state[name]) == int(raw.variables[0].numpy()) == 6
