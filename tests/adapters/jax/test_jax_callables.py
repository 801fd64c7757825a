"""from_jax(callables=...): further functions of the same params, checked against JAX itself."""

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
PARAMS = {
    "enc": {"w": np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4), "b": np.full(4, 0.5, np.float32)},
    "head": {"w": np.linspace(1, -1, 8, dtype=np.float32).reshape(4, 2)},
}
STATE = {"mean": np.zeros(4, np.float32)}


def embed(params, state, x, *, training):
    """The encoder: centred by a running mean that training updates."""
    h = x @ params["enc"]["w"] + params["enc"]["b"]
    if training:
        mean = h.mean(0)
        return h - mean, {"mean": 0.9 * state["mean"] + 0.1 * mean}
    return h - state["mean"], state


def apply(params, state, x, *, training, rng=None):
    """The whole model: the encoder, dropout in training, a linear head."""
    h, new_state = embed(params, state, x, training=training)
    if training:
        h = jnp.where(jax.random.bernoulli(rng, 0.75, h.shape), h / 0.75, 0.0)
    return h @ params["head"]["w"], new_state


def regularization(params):
    return 0.01 * sum(jnp.sum(w**2) for w in (params["enc"]["w"], params["head"]["w"]))


def export():
    return from_jax(
        apply,
        PARAMS,
        input_signature=SIGNATURE,
        state=STATE,
        regularization_loss=regularization,
        callables={"embed": (embed, SIGNATURE)},
    )


def ids(variables):
    return {id(v) for v in variables}


def variable(piece, name):
    (found,) = [v for v in piece.variables if v.name == f"{name}:0"]
    return found


def test_callable_runs_on_the_roots_variables():
    piece = export()
    sub = piece.callable("embed")
    assert_close(sub(X), embed(PARAMS, STATE, X, training=False)[0])
    expected, new_state = embed(PARAMS, STATE, X, training=True)
    assert_close(sub(X, training=True), expected)
    # The callable's training trace updates the root's state variable.
    assert_close(variable(piece, "state/mean"), new_state["mean"])
    # Documented: all of the root's variables and its regularization loss.
    assert ids(sub.variables) == ids(piece.variables)
    assert ids(sub.trainable_variables) == ids(piece.trainable_variables)
    assert_close(sub.regularization_loss(), regularization(PARAMS))

    w = variable(piece, "params/enc/w")
    w.assign(w * 2.0)
    params = {**PARAMS, "enc": {**PARAMS["enc"], "w": PARAMS["enc"]["w"] * 2.0}}
    state = {"mean": variable(piece, "state/mean").numpy()}
    assert_close(sub(X), embed(params, state, X, training=False)[0])
    # In process, to_jax of the callable runs the original JAX code again.
    jp = to_jax(piece, callable="embed")
    assert_close(jp.apply(jp.params, jp.state, X)[0], embed(params, state, X, training=False)[0])


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    path = tmp_path_factory.mktemp("from_jax_callables") / "model"
    rsm.save(export(), path)
    return str(path)


def test_saved_callable_shares_the_loaded_variables(saved):
    assert rsm.check(saved).ok
    loaded = rsm.load(saved)
    sub = loaded.callable("embed")
    assert_close(sub(X), embed(PARAMS, STATE, X, training=False)[0])
    assert_close(sub(X, training=True), embed(PARAMS, STATE, X, training=True)[0])
    assert_close(sub.regularization_loss(), regularization(PARAMS))
    root_by_id = {id(v): v for v in loaded.variables}
    assert all(root_by_id.get(id(v)) is v for v in sub.variables)
    assert len(sub.variables) == len(loaded.variables) == 4

    b = variable(loaded, "params/enc/b")
    b.assign(b + 1.0)
    params = {**PARAMS, "enc": {**PARAMS["enc"], "b": PARAMS["enc"]["b"] + 1.0}}
    state = {"mean": variable(loaded, "state/mean").numpy()}
    assert_close(sub(X), embed(params, state, X, training=False)[0])


def test_to_jax_of_the_saved_callable_matches_jax(saved):
    jp = to_jax(saved, callable="embed")
    assert set(jp.params) == {"params/enc/w", "params/enc/b", "params/head/w"}
    params = {"enc": {"w": jp.params["params/enc/w"], "b": jp.params["params/enc/b"]}, "head": {"w": jp.params["params/head/w"]}}
    for training in (False, True):
        out, new_state = jp.apply(jp.params, jp.state, X, training=training)
        expected, expected_state = embed(params, {"mean": jp.state["state/mean"]}, X, training=training)
        assert_close(out, expected)
        assert_close(new_state["state/mean"], expected_state["mean"])
    # Gradients flow through the embedded export (its VJP was saved with it).
    grads = jax.grad(lambda p: jnp.sum(jp.apply(p, jp.state, X)[0] ** 2))(jp.params)
    native = jax.grad(lambda p: jnp.sum(embed(p, STATE, X, training=False)[0] ** 2))(PARAMS)
    assert_close(grads["params/enc/w"], native["enc"]["w"])
    np.testing.assert_allclose(grads["params/head/w"], 0.0)


def test_callable_errors():
    with pytest.raises(TypeError, match=r"callables\['embed'\] must be \(apply_fn, input_signature\) .*got function"):
        from_jax(apply, PARAMS, input_signature=SIGNATURE, state=STATE, callables={"embed": embed})
    with pytest.raises(TypeError, match=r"callables\['embed'\] must be \(apply_fn, input_signature\) .*got tuple"):
        from_jax(apply, PARAMS, input_signature=SIGNATURE, state=STATE, callables={"embed": ("embed", SIGNATURE)})
    with pytest.raises(ValueError, match="'a-b': expected a Python identifier"):
        from_jax(apply, PARAMS, input_signature=SIGNATURE, state=STATE, callables={"a-b": (embed, SIGNATURE)})
    with pytest.raises(ValueError, match="'params' clashes with an attribute of JaxExport"):
        from_jax(apply, PARAMS, input_signature=SIGNATURE, state=STATE, callables={"params": (embed, SIGNATURE)})
