"""Convnets through `to_jax`: fused batch norm in inference converts as a native JAX network
computes it, and a trace without control flow is traced once, at its first call.

The truth is the raw `tf.saved_model.load` object (outputs, and the moving statistics its
training trace assigns); the jaxpr properties are counted on the converted function.
"""

import collections

import jax
import numpy as np
import pytest
import tensorflow as tf
import tf2jax

from fixtures.tolerances import STATISTICS, assert_close
from reusable_savedmodel.adapters.jax import to_jax
from reusable_savedmodel.adapters.jax.conversion import variable_paths

BATCH, SIZE, CHANNELS = 3, 8, 6


def _settled_statistics(model, x):
    """Runs a few training steps' worth of batch-norm updates, so that the moving
    statistics differ from their initial 0 and 1 (which would hide a wrong formula)."""
    for _ in range(3):
        model(x, training=True)


@pytest.fixture(scope="module")
def convnet(tmp_path_factory):
    """A tf_keras conv / depthwise-conv net with fused (NHWC) batch norms, as MobileNet's."""
    import tf_keras

    tf_keras.utils.set_random_seed(0)
    model = tf_keras.Sequential([
        tf_keras.layers.InputLayer(input_shape=(SIZE, SIZE, 3)),
        tf_keras.layers.Conv2D(CHANNELS, 3, padding="same", use_bias=False),
        tf_keras.layers.BatchNormalization(momentum=0.5),
        tf_keras.layers.ReLU(6.0),
        tf_keras.layers.DepthwiseConv2D(3, padding="same", use_bias=False),
        tf_keras.layers.BatchNormalization(momentum=0.5),
        tf_keras.layers.ReLU(6.0),
        tf_keras.layers.GlobalAveragePooling2D(),
        tf_keras.layers.Dense(4),
    ])
    _settled_statistics(model, _inputs((BATCH, SIZE, SIZE, 3), seed=1) * 3.0 + 1.0)
    path = tmp_path_factory.mktemp("convnet") / "model"
    tf.saved_model.save(model, str(path))
    return path


@pytest.fixture(scope="module")
def channels_first(tmp_path_factory):
    """Batch norm over axis 1 of a 4-D input: tf_keras fuses it as an NCHW batch norm."""
    import tf_keras

    tf_keras.utils.set_random_seed(0)
    model = tf_keras.Sequential([
        tf_keras.layers.InputLayer(input_shape=(CHANNELS, 4, 5)),
        tf_keras.layers.BatchNormalization(axis=1, momentum=0.5),
        tf_keras.layers.Flatten(),
        tf_keras.layers.Dense(3),
    ])
    _settled_statistics(model, _inputs((BATCH, CHANNELS, 4, 5), seed=1) * 2.0 - 1.0)
    path = tmp_path_factory.mktemp("nchw") / "model"
    tf.saved_model.save(model, str(path))
    return path


def _inputs(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _batch_norm_ops(path):
    ops = collections.Counter()
    for concrete in tf.saved_model.load(str(path)).__call__.concrete_functions:
        for function in concrete.graph.as_graph_def().library.function:
            ops.update(n.op for n in function.node_def if n.op.startswith("FusedBatchNorm"))
    return ops


def _equations(jaxpr):
    """Every equation of a jaxpr, those of its sub-jaxprs (jit, custom_jvp) included."""
    for eqn in jaxpr.eqns:
        yield eqn
        for sub in jax.extend.core.jaxprs_in_params(eqn.params):
            yield from _equations(sub)


@pytest.mark.parametrize("model, shape", [
    ("convnet", (BATCH, SIZE, SIZE, 3)),
    ("channels_first", (BATCH, CHANNELS, 4, 5)),
])
def test_inference_batch_norm_equals_the_raw_call(model, shape, request):
    path = request.getfixturevalue(model)
    assert _batch_norm_ops(path)  # the model does run TF's fused batch norm
    x = _inputs(shape)
    piece, raw = to_jax(path), tf.saved_model.load(str(path))
    want = raw(x, training=False)
    assert_close(np.asarray(piece(x)), want)
    assert_close(np.asarray(piece(x, jit=False)), want)


def test_training_batch_norm_still_updates_the_moving_statistics(convnet):
    x = _inputs((BATCH, SIZE, SIZE, 3), seed=2)
    piece, raw = to_jax(convnet), tf.saved_model.load(str(convnet))
    outputs, new_state = piece.jit_apply(piece.params, piece.state, x, training=True)
    assert_close(np.asarray(outputs), raw(x, training=True), tolerance=STATISTICS)
    assigned = {n: v for n, v in zip(variable_paths(raw.variables), raw.variables) if "moving" in n}
    assert len(assigned) == 4  # both batch norms' mean and variance
    changed = {n for n, v in new_state.items() if not np.array_equal(v, piece.state[n])}
    assert changed == set(assigned)
    for name, variable in assigned.items():
        assert_close(np.asarray(new_state[name]), variable, tolerance=STATISTICS, err_msg=name)


def test_inference_batch_norm_folds_the_mean_into_the_offset(convnet):
    """Per batch norm, one multiply and one add over the activations (a native network's
    cost), and no batch statistics: the only reduction is the model's own pooling."""
    piece = to_jax(convnet)
    x = _inputs((BATCH, SIZE, SIZE, 3))
    jaxpr = jax.make_jaxpr(lambda p, s, x: piece.apply(p, s, x)[0])(piece.params, piece.state, x)
    activation = (BATCH, SIZE, SIZE, CHANNELS)
    full = collections.Counter(
        e.primitive.name for e in _equations(jaxpr.jaxpr)
        if any(getattr(v.aval, "shape", None) == activation for v in e.outvars)
    )
    reductions = [e.primitive.name for e in _equations(jaxpr.jaxpr) if e.primitive.name.startswith("reduce_")]
    assert reductions == ["reduce_sum"]  # GlobalAveragePooling2D's mean
    assert full["conv_general_dilated"] == 2
    assert full["mul"] == 2 and full["add"] == 2  # one of each per batch norm
    assert full["sub"] == 0  # the mean is folded into the per-channel offset


def test_a_trace_without_control_flow_is_traced_once_at_its_first_call(convnet, monkeypatch):
    """Converting builds no trace of a graph without control-flow bodies; the first jitted
    call traces it once, and later calls run the compiled function."""
    runs = []
    original = tf2jax.convert

    def counting(*args, **kwargs):
        fn, params = original(*args, **kwargs)

        def traced(*a, **k):
            runs.append(1)
            return fn(*a, **k)

        return traced, params

    monkeypatch.setattr(tf2jax, "convert", counting)
    piece = to_jax(convnet, keep_tf=False)  # converts both traces
    assert piece.num_converted == 2 and runs == []
    x = _inputs((BATCH, SIZE, SIZE, 3))
    want = tf.saved_model.load(str(convnet))(x, training=False)
    for _ in range(3):
        assert_close(np.asarray(piece(x)), want)
    assert runs == [1]


def test_inference_gradients_equal_the_raw_objects(convnet):
    """Fine-tuning with frozen statistics differentiates through the folded batch norm."""
    x = _inputs((BATCH, SIZE, SIZE, 3), seed=3)
    piece, raw = to_jax(convnet), tf.saved_model.load(str(convnet))
    grads = jax.grad(lambda p: piece.apply(p, piece.state, x)[0].sum())(piece.params)
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(raw(x, training=False))
    want = dict(zip(variable_paths(raw.variables), tape.gradient(total, raw.variables)))
    assert set(grads) == {n for n, g in want.items() if g is not None}
    for name, grad in grads.items():
        assert_close(np.asarray(grad), want[name], err_msg=name)
