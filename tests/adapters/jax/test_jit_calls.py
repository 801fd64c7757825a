"""Calls compile by default: JaxPiece.__call__ and an eager FlaxModule call run jitted, with apply's results."""

import jax
import numpy as np
import pytest
import tensorflow as tf

from fixtures import models
from fixtures.tolerances import assert_close
from reusable_savedmodel.adapters.flax import FlaxModule
from reusable_savedmodel.adapters.jax import NoTraceError, to_jax
from reusable_savedmodel.adapters.jax.conversion import variable_paths
from reusable_savedmodel.adapters.jax.runtime._jax_piece import JaxPiece

X = models.example_inputs("mlp", batch=4)


@pytest.fixture
def applies(monkeypatch):
    """Counts `JaxPiece.apply` runs: a compiled call runs it once (tracing), then never."""
    runs = []
    original = JaxPiece.apply

    def counting(self, *args, **kwargs):
        runs.append(kwargs.get("training"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(JaxPiece, "apply", counting)
    return runs


@pytest.fixture(scope="module")
def mlp(zoo_path):
    return zoo_path("mlp")


def test_calls_compile_by_default_and_equal_the_raw_call(mlp, applies):
    piece, raw = to_jax(mlp), tf.saved_model.load(mlp)
    for _ in range(3):
        assert_close(np.asarray(piece(X)), raw(X))
    assert applies == [False]  # traced once, then the compiled function ran
    assert_close(np.asarray(piece(X, training=True, rng=jax.random.key(0), dropout_rate=0.0)),
                 raw(X, training=True, dropout_rate=0.0))
    assert applies == [False, True]


def test_jit_false_runs_apply_on_every_call(mlp, applies):
    piece, raw = to_jax(mlp), tf.saved_model.load(mlp)
    for _ in range(2):
        assert_close(np.asarray(piece(X, jit=False)), raw(X))
    assert applies == [False, False]


def test_python_keywords_select_their_own_compiled_trace(mlp):
    piece, raw = to_jax(mlp), tf.saved_model.load(mlp)
    hidden, want = piece(X, return_hidden=True), raw(X, return_hidden=True)
    assert isinstance(hidden, dict) and set(hidden) == set(want) and "hidden" in hidden
    assert_close({k: np.asarray(v) for k, v in hidden.items()}, want)
    assert_close(np.asarray(piece(X)), raw(X))


def test_errors_are_apply_errors(mlp):
    piece = to_jax(mlp)
    with pytest.raises(NoTraceError):
        piece(np.zeros([2, 7], np.float32))
    with pytest.raises(TypeError, match="Python bool"):
        piece(X, training=np.zeros([], bool))


def test_an_eager_flax_module_call_is_compiled(mlp, applies):
    module, raw = FlaxModule(mlp), tf.saved_model.load(mlp)
    for _ in range(3):
        assert_close(np.asarray(module(X)), raw(X))
    assert applies == [False]


def _compiled_outputs(piece, training, **kwargs):
    """How many arrays the compiled function of one `jit_apply` call hands back."""
    jaxpr = jax.make_jaxpr(lambda p, s, x: piece.jit_apply(p, s, x, training=training, **kwargs))(
        piece.params, piece.state, X
    )
    (call,) = [e for e in jaxpr.eqns if e.primitive.name in ("jit", "pjit")]
    return len(call.outvars)


def test_the_compiled_call_hands_back_only_the_state_its_trace_assigned(mlp):
    """A state entry the trace does not assign never leaves the compiled function (each would
    cost every call an output); jit_apply still returns the whole state, as apply does."""
    piece, raw = to_jax(mlp), tf.saved_model.load(mlp)
    paths = dict(zip((v.name for v in raw.variables), variable_paths(raw.variables)))
    rng = jax.random.key(0)
    assert len(piece.state) == 3  # the input scale and the batch norm's two statistics
    assert _compiled_outputs(piece, False) == 1  # the logits alone
    assert _compiled_outputs(piece, True, rng=rng, dropout_rate=0.0) == 1 + 2  # and the statistics

    outputs, new_state = piece.jit_apply(piece.params, piece.state, X, training=False)
    assert new_state.keys() == piece.state.keys()
    assert all(new_state[n] is piece.state[n] for n in piece.state)
    outputs, new_state = piece.jit_apply(piece.params, piece.state, X, training=True, rng=rng, dropout_rate=0.0)
    assert_close(np.asarray(outputs), raw(X, training=True, dropout_rate=0.0))
    assert new_state.keys() == piece.state.keys()
    for variable in raw.variables:  # the raw call assigned its moving statistics
        if paths[variable.name] in piece.state:
            assert_close(np.asarray(new_state[paths[variable.name]]), variable, err_msg=variable.name)
