"""Eager dispatch: repeated eager calls run the remembered trace, with the tf.function's results."""

import numpy as np
import pytest
import tensorflow as tf

from fixtures import models
from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.interface import _compat as compat
from reusable_savedmodel.interface import _dispatch as dispatch


@pytest.fixture
def direct_calls(monkeypatch):
    """Counts the calls that went straight to a remembered concrete function."""
    calls = []
    original = compat.call_concrete_flat

    def counting(concrete, flat):
        calls.append(concrete)
        return original(concrete, flat)

    monkeypatch.setattr(compat, "call_concrete_flat", counting)
    return calls


def _tensors(value):
    return tf.nest.map_structure(tf.constant, value)


def test_repeated_calls_run_the_remembered_trace_with_the_raw_results(zoo_path, direct_calls):
    piece, raw = rsm.load(zoo_path("mlp")), tf.saved_model.load(zoo_path("mlp"))
    for batch in (3, 5):
        x = tf.constant(models.example_inputs("mlp", batch=batch))
        first = piece(x)
        assert len(direct_calls) == 0 or batch == 5
        before = len(direct_calls)
        again = piece(x)
        assert len(direct_calls) == before + 1
        assert_close(first, raw(x))
        assert_close(again, raw(x))


def test_training_calls_update_the_state_on_every_call(zoo_path, direct_calls):
    piece, raw = rsm.load(zoo_path("mlp")), tf.saved_model.load(zoo_path("mlp"))
    x = tf.constant(models.example_inputs("mlp", batch=4))
    before = [v.numpy() for v in piece.non_trainable_variables]
    for _ in range(3):  # batch norm moves its statistics (ahead of dropout) on every call
        piece(x, training=True)
        raw(x, training=True)
    assert len(direct_calls) == 2
    trained = {id(v) for v in raw.trainable_variables}
    assert_close([v.numpy() for v in piece.non_trainable_variables], [v.numpy() for v in raw.variables if id(v) not in trained])
    assert not all(np.array_equal(a, v.numpy()) for a, v in zip(before, piece.non_trainable_variables))
    assert_close(piece(x), raw(x))


def test_gradients_through_the_remembered_trace_equal_the_raw_gradients(zoo_path, direct_calls):
    piece, raw = rsm.load(zoo_path("mlp")), tf.saved_model.load(zoo_path("mlp"))
    x = tf.constant(models.example_inputs("mlp", batch=4))
    piece(x)

    def gradients(fn, variables):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(fn(x) ** 2)
        return tape.gradient(loss, variables)

    got = gradients(piece, piece.trainable_variables)
    assert len(direct_calls) == 1
    want = gradients(raw, raw.trainable_variables)
    assert all(g is not None for g in got)
    assert_close(got, want)


def test_nested_inputs_take_the_direct_path_unless_a_tensor_is_repeated(zoo_path, direct_calls):
    piece, raw = rsm.load(zoo_path("dict_input")), tf.saved_model.load(zoo_path("dict_input"))
    inputs = _tensors(models.example_inputs("dict_input", batch=3))
    piece(inputs)
    assert_close(piece(inputs), raw(inputs))
    assert len(direct_calls) == 1

    listed = rsm.load(zoo_path("list_input"))
    raw_listed = tf.saved_model.load(zoo_path("list_input"))
    x = tf.constant(models.example_inputs("list_input", batch=3)[0])
    listed([x, x])
    assert_close(listed([x, x]), raw_listed([x, x]))
    assert len(direct_calls) == 1  # the same tensor twice is left to TensorFlow


def test_functions_run_eagerly_is_respected(zoo_path, direct_calls):
    piece = rsm.load(zoo_path("mlp"))
    x = tf.constant(models.example_inputs("mlp", batch=2))
    piece(x)
    tf.config.run_functions_eagerly(True)
    try:
        piece(x)
    finally:
        tf.config.run_functions_eagerly(False)
    assert direct_calls == []


def test_regularization_losses_run_their_trace_and_follow_the_weights(zoo_path, direct_calls):
    piece, raw = rsm.load(zoo_path("mlp")), tf.saved_model.load(zoo_path("mlp"))
    assert len(piece.regularization_losses) == 2

    def total(obj):
        return tf.add_n([loss() for loss in obj.regularization_losses])

    assert_close(piece.regularization_loss(), total(raw))
    assert direct_calls == []  # the first call of each goes through its tf.function
    for source, target in zip(raw.trainable_variables, piece.trainable_variables, strict=True):
        source.assign(source * 1.5)
        target.assign(source)

    with tf.GradientTape() as tape:
        got = piece.regularization_loss()
    assert len(direct_calls) == 2
    grads = tape.gradient(got, piece.trainable_variables)
    with tf.GradientTape() as tape:
        want = total(raw)
    assert_close(got, want)
    want_grads = tape.gradient(want, raw.trainable_variables)
    assert any(g is not None for g in grads)
    assert [g is None for g in grads] == [g is None for g in want_grads]
    assert_close([g for g in grads if g is not None], [g for g in want_grads if g is not None])


def test_zero_argument_calls_while_tracing_or_of_plain_callables_go_through_the_function(direct_calls):
    variable = tf.Variable(3.0)
    loss = tf.function(lambda: variable**2)
    dispatch.call_zero_arg(loss)
    assert float(tf.function(lambda: dispatch.call_zero_arg(loss))()) == 9.0
    assert dispatch.call_zero_arg(lambda: 4.0) == 4.0
    assert direct_calls == []
    variable.assign(5.0)
    assert float(dispatch.call_zero_arg(loss)) == 25.0 and len(direct_calls) == 1
