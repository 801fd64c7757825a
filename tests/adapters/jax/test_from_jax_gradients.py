"""from_jax / from_flax exports: first-order gradients saved with the model, loaded quietly.

The truth is `jax.grad` of the original JAX code; the object under test is the raw
`tf.saved_model.load` object, differentiated with `tf.GradientTape`.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
from collections.abc import Iterator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import tensorflow as tf
from flax import nnx
from jax.experimental import jax2tf

from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.flax import from_flax
from reusable_savedmodel.adapters.jax import from_jax

WARNING = "unsaved custom gradients"
SIGNATURE = tf.TensorSpec([None, 4], tf.float32)
BATCH_SIZES = (2, 5)


def _inputs(batch: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((batch, 4)).astype(np.float32)


# A model whose training trace differs (batch statistics) and updates state, an integer
# counter among it (an output that takes no cotangent); no dropout, so the training
# trace is deterministic and comparable with JAX.
def apply(params, state, x, *, training):
    h = jnp.tanh(x @ params["dense"]["w"] + params["dense"]["b"])
    if training:
        mean = h.mean(0)
        new_state = {"count": state["count"] + 1, "mean": 0.9 * state["mean"] + 0.1 * mean}
        return (h - mean) @ params["out"], new_state
    return (h - state["mean"]) @ params["out"], state


PARAMS = {
    "dense": {
        "w": np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3),
        "b": np.full(3, 0.1, np.float32),
    },
    "out": np.linspace(0.5, -0.5, 6, dtype=np.float32).reshape(3, 2),
}
STATE = {"count": np.zeros((), np.int32), "mean": np.full(3, 0.2, np.float32)}


def regularization(params):
    return 0.01 * jnp.sum(params["dense"]["w"] ** 2)


class Net(nnx.Module):
    """Linear, batch norm, relu, linear: batch statistics in training, no randomness."""

    def __init__(self, rngs: nnx.Rngs):
        self.dense = nnx.Linear(4, 8, rngs=rngs)
        self.norm = nnx.BatchNorm(8, rngs=rngs)
        self.out = nnx.Linear(8, 2, rngs=rngs)

    def __call__(self, x):
        return self.out(nnx.relu(self.norm(self.dense(x))))


def net_regularization(module: Net):
    return 0.01 * jnp.sum(module.out.kernel[...] ** 2)


class Original:
    """The JAX code an export was made from, as `outputs(params, x, training)`."""

    def __init__(self, kind: str):
        self.kind = kind
        if kind == "jax":
            self.params = PARAMS
            return
        self._graphdef, self.params, self._rest = nnx.split(Net(nnx.Rngs(0)), nnx.Param, ...)

    def module(self, params) -> Net:
        return nnx.merge(self._graphdef, params, self._rest, copy=True)

    def piece(self) -> rsm.Piece:
        if self.kind == "jax":
            return from_jax(
                apply,
                PARAMS,
                input_signature=SIGNATURE,
                state=STATE,
                regularization_loss=regularization,
            )
        return from_flax(
            self.module(self.params),
            input_signature=SIGNATURE,
            regularization_loss=net_regularization,
        )

    def outputs(self, params, x, training: bool):
        if self.kind == "jax":
            return apply(params, STATE, x, training=training)[0]
        model = self.module(params)
        model.train() if training else model.eval()
        return model(x)

    def weighted_sum(self, params, x, weights, training: bool):
        return jnp.sum(self.outputs(params, x, training) * weights)

    def regularization(self, params):
        return (
            regularization(params)
            if self.kind == "jax"
            else net_regularization(self.module(params))
        )

    def named(self, tree) -> dict[str, np.ndarray]:
        """A params-shaped tree's leaves by the name their variable has once exported."""
        leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
        name = lambda path: jax.tree_util.keystr(path, simple=True, separator="/")  # noqa: E731
        return {f"params/{name(p).removesuffix('/value')}:0": np.asarray(v) for p, v in leaves}


class _Collect(logging.Handler):
    def __init__(self, messages: list[str]):
        super().__init__(logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def absl_warnings() -> Iterator[list[str]]:
    """The warnings logged to `absl` (where TensorFlow's loader warns) meanwhile.

    The logger's level is set to WARNING meanwhile: other tests in the same process may
    have quietened it.
    """
    messages: list[str] = []
    handler = _Collect(messages)
    logger = logging.getLogger("absl")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, tuple[Any, list[str]]]:
    """kind -> (the loaded object, absl warnings while saving, reloading and loading it).

    Only `test_loaded_gradients_equal_jax_grad` calls a training trace (which updates the
    state); the other tests do not depend on the state.
    """
    result = {}
    for kind in ("jax", "flax"):
        path = str(tmp_path_factory.mktemp(kind) / "model")
        with absl_warnings() as messages:
            rsm.save(Original(kind).piece(), path)  # reloads and checks it too
            result[kind] = tf.saved_model.load(path), messages
    return result


def test_the_warning_is_caught_on_a_plain_jax2tf_export(tmp_path):
    """The positive control: jax2tf's own gradients lose their second order on save."""
    module = tf.Module()
    module.f = tf.function(
        jax2tf.convert(jnp.sin, with_gradient=True),
        input_signature=[tf.TensorSpec([3], tf.float32)],
        autograph=False,
    )
    options = tf.saved_model.SaveOptions(experimental_custom_gradients=True)
    tf.saved_model.save(module, str(tmp_path), options=options)
    with absl_warnings() as messages:
        tf.saved_model.load(str(tmp_path))
    assert any(WARNING in m for m in messages), messages


@pytest.mark.parametrize("kind", ["jax", "flax"])
def test_export_saves_and_loads_without_unsaved_gradient_warnings(exports, kind):
    _, messages = exports[kind]
    assert not [m for m in messages if WARNING in m]


@pytest.mark.parametrize("kind", ["jax", "flax"])
def test_loaded_gradients_equal_jax_grad(exports, kind):
    original = Original(kind)
    obj = exports[kind][0]
    # Inference first: the training trace updates the state inference reads. One
    # polymorphic trace per `training` serves both batch sizes.
    for training, (seed, batch) in itertools.product((False, True), enumerate(BATCH_SIZES)):
        x = _inputs(batch, seed)
        weights = _inputs(batch, seed + 10)[:, :2]
        x_tf = tf.constant(x)
        with tf.GradientTape() as tape:
            tape.watch(x_tf)
            loss = tf.reduce_sum(obj(x_tf, training=training) * weights)
        variables = obj.trainable_variables
        param_grads, x_grad = tape.gradient(loss, (variables, x_tf))

        truth = jax.grad(original.weighted_sum, argnums=(0, 1))
        expected_params, expected_x = truth(original.params, x, weights, training)
        where = f"training={training}, batch {batch}"
        assert_close(x_grad, expected_x, err_msg=f"inputs, {where}")
        assert_close(
            {v.name: g for v, g in zip(variables, param_grads)},
            original.named(expected_params),
            err_msg=where,
        )


@pytest.mark.parametrize("kind", ["jax", "flax"])
def test_loaded_regularization_loss_gradient_equals_jax_grad(exports, kind):
    original = Original(kind)
    obj = exports[kind][0]
    (loss_fn,) = obj.regularization_losses
    with tf.GradientTape() as tape:
        loss = loss_fn()
    grads = tape.gradient(loss, obj.trainable_variables)
    expected = original.named(jax.grad(original.regularization)(original.params))
    assert_close({v.name: g for v, g in zip(obj.trainable_variables, grads)}, expected)


def test_second_order_gradient_request_raises(exports):
    obj = exports["jax"][0]
    x = tf.constant(_inputs(2, 0))
    with pytest.raises(LookupError, match="second-order gradients of a JAX function"):
        with tf.GradientTape() as outer:
            outer.watch(x)
            with tf.GradientTape() as inner:
                inner.watch(x)
                y = tf.reduce_sum(obj(x) ** 2)
            first = tf.reduce_sum(inner.gradient(y, x))
        outer.gradient(first, x)
