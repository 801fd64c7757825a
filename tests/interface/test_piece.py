"""Piece: specs read from traces, calling, coercion, dispatch and mismatch errors."""

import os

import numpy as np
import pytest
import tensorflow as tf

from fixtures import models
from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters import examples


def test_seeds_example_behaves_as_the_seeds_say(zoo_path):
    piece = rsm.load(zoo_path("mul"))
    np.testing.assert_allclose(piece([10.0, 20.0]).numpy(), [20.0, 40.0])
    assert piece.regularization_loss().numpy() == pytest.approx(0.004)
    assert [v.numpy() for v in piece.trainable_variables] == [2.0]


def test_lists_are_the_objects_own_variables(zoo_path):
    obj = tf.saved_model.load(zoo_path("mlp"))
    piece = rsm.as_piece(obj)
    assert piece.obj is obj
    assert all(a is b for a, b in zip(piece.variables, obj.variables))
    assert len(piece.variables) == len(obj.variables) == 9
    piece.trainable_variables[0].assign_add(tf.ones_like(piece.trainable_variables[0]))
    np.testing.assert_array_equal(piece.trainable_variables[0].numpy(), obj.trainable_variables[0].numpy())


def test_absent_lists_are_empty():
    class Bare(tf.train.Checkpoint):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def __call__(self, x):
            return 2.0 * x

    piece = rsm.as_piece(Bare())
    assert piece.variables == () and piece.trainable_variables == () and piece.regularization_losses == ()
    assert float(piece.regularization_loss()) == 0.0
    np.testing.assert_allclose(piece([1.0, 2.0]).numpy(), [2.0, 4.0])


def test_as_piece_accepts_each_kind_of_source(zoo_path):
    from_handle = rsm.as_piece(zoo_path("mul"))
    from_loaded = rsm.as_piece(tf.saved_model.load(zoo_path("mul")))
    from_checkpoint = rsm.as_piece(examples.MulModel(3.0))
    assert rsm.as_piece(from_handle) is from_handle
    for piece, factor in ((from_handle, 2.0), (from_loaded, 2.0), (from_checkpoint, 3.0)):
        np.testing.assert_allclose(piece([1.0]).numpy(), [factor])

    class Scale(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(4.0)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def __call__(self, x):
            return x * self.w

    module_piece = rsm.as_piece(Scale())
    assert [float(v) for v in module_piece.variables] == [4.0]  # tf.Module's own property
    np.testing.assert_allclose(module_piece([1.0]).numpy(), [4.0])


def test_spec_is_read_from_the_traces(zoo_path):
    spec = rsm.load(zoo_path("mlp")).spec
    assert spec.call.accepts_training and spec.call.training_values == (False, True)
    assert spec.call.inputs == (tf.TensorSpec([None, 4], tf.float32, name="inputs"),)
    kwargs = {k.name: k for k in spec.call.kwargs}
    assert kwargs["dropout_rate"].kind == "tensor" and kwargs["dropout_rate"].default == pytest.approx(0.1)
    assert kwargs["return_hidden"].kind == "python" and kwargs["return_hidden"].values == (False, True)
    assert set(spec.callables) == {"encoder", "decoder"}
    assert spec.callables["decoder"].call.inputs[0].shape.as_list() == [None, 8]
    assert (spec.num_variables, spec.num_trainable_variables, spec.num_regularization_losses) == (9, 6, 2)
    # 4x8 + 8 + 4*8 (batch norm) + 8x3 + 3 + 4 (input scale) floats
    assert spec.variable_bytes == 4 * (32 + 8 + 32 + 24 + 3 + 4)
    assert spec.to_json()["call"]["kwargs"][0]["name"] == "dropout_rate"
    assert "kwarg return_hidden: python" in spec.tree()


def test_spec_lists_signatures(zoo_path):
    spec = rsm.load(zoo_path("signature_only")).spec
    assert spec.call is None
    assert spec.signatures["serving_default"].inputs["x"].shape.as_list() == [None, 2]
    assert "signature-only" in spec.tree()


def test_outputs_equal_the_raw_call_in_both_modes(zoo_path):
    piece = rsm.load(zoo_path("mlp"))
    raw = tf.saved_model.load(zoo_path("mlp"))
    x = tf.constant(models.example_inputs("mlp", batch=5))
    np.testing.assert_array_equal(piece(x).numpy(), raw(x).numpy())
    got = piece(x, training=True, dropout_rate=tf.constant(0.0))
    want = raw(x, training=True, dropout_rate=tf.constant(0.0))
    assert_close(got.numpy(), want.numpy())
    both = piece(x, return_hidden=True)
    assert set(both) == {"logits", "hidden"}


def test_numpy_and_lists_are_converted(zoo_path):
    piece = rsm.load(zoo_path("mlp"))
    x64 = models.example_inputs("mlp").astype(np.float64)
    np.testing.assert_allclose(piece(x64).numpy(), piece(tf.constant(x64, tf.float32)).numpy())
    np.testing.assert_allclose(piece(x64.tolist()).numpy(), piece(tf.constant(x64, tf.float32)).numpy())
    dict_piece = rsm.load(zoo_path("dict_input"))
    inputs = models.example_inputs("dict_input")
    outputs = dict_piece({k: v.tolist() for k, v in inputs.items()})
    assert [o.shape.as_list() for o in outputs] == [[2, 2], [2, 1]]
    list_piece = rsm.load(zoo_path("list_input"))
    a, b = models.example_inputs("list_input")
    assert_close(list_piece([a, b])["sum"].numpy(), (a + b) * np.array([1.5, -0.5]))
    text = rsm.load(zoo_path("text"))
    assert text(["the cat", "dog"]).shape.as_list() == [2, 4]


def test_tensor_training_dispatches_between_traces(zoo_path):
    piece = rsm.load(zoo_path("mlp"))
    moving_mean = next(v for v in piece.variables if "moving_mean" in v.name)
    x = tf.constant(models.example_inputs("mlp", batch=8)) * 3.0 + 1.0

    @tf.function(input_signature=[tf.TensorSpec([], tf.bool)])
    def step(training):
        return piece(x, training=training, dropout_rate=tf.constant(0.0))

    before = moving_mean.numpy().copy()
    assert_close(step(tf.constant(False)).numpy(), piece(x).numpy())
    np.testing.assert_array_equal(moving_mean.numpy(), before)
    step(tf.constant(True))
    assert not np.allclose(moving_mean.numpy(), before)
    # Eager tensors are read as Python bools.
    after = moving_mean.numpy().copy()
    piece(x, training=tf.constant(False))
    np.testing.assert_array_equal(moving_mean.numpy(), after)


def test_mismatched_shape_lists_the_accepted_specs(zoo_path):
    piece = rsm.load(zoo_path("mlp"))
    with pytest.raises(rsm.InputMismatchError) as info:
        piece(tf.zeros([2, 5]))
    message = str(info.value)
    assert "Got inputs float32[2,5]" in message
    assert "float32[?,4]" in message and "training: traced for [False, True]" in message
    assert isinstance(info.value.__cause__, (ValueError, TypeError))


def test_mismatched_dtype_and_structure_are_reported(zoo_path):
    piece = rsm.load(zoo_path("dict_input"))
    with pytest.raises(rsm.InputMismatchError, match=r"Got inputs float32\[2,5\]"):
        piece(tf.zeros([2, 5]))
    with pytest.raises(rsm.InputMismatchError, match=r"'a': int32\[2,2\]"):
        piece({"a": tf.zeros([2, 2], tf.int32), "b": tf.zeros([2, 3])})
    with pytest.raises(rsm.InputMismatchError, match=r"kwargs \{'return_hidden': str 'yes'\}"):
        rsm.load(zoo_path("mlp"))(tf.zeros([1, 4]), return_hidden="yes")


def test_signature_only_model_cannot_be_called(zoo_path):
    piece = rsm.load(zoo_path("signature_only"))
    with pytest.raises(rsm.NonConformingError, match=r"signature-only: it has no `__call__`; pick what runs: .*piece.signatures\[NAME\]\(\*\*tensors\) for inference through a signature \(serving_default\)"):
        piece(tf.zeros([1, 2]))
    out = piece.signatures["serving_default"](x=tf.ones([1, 2]))
    np.testing.assert_allclose(out["y"].numpy(), [[3.0]])


def test_objects_without_a_tf_function_call_are_refused():
    with pytest.raises(rsm.NonConformingError, match="expected an object with a tf.function `__call__`"):
        rsm.as_piece(object())
    with pytest.raises(rsm.NonConformingError, match="whose __call__ is not a tf.function"):
        rsm.as_piece(lambda x: x)


def test_named_callables(zoo_path):
    piece = rsm.load(zoo_path("mlp"))
    encoder = piece.callable("encoder")
    x = tf.constant(models.example_inputs("mlp"))
    assert_close(piece.callable("decoder")(encoder(x)).numpy(), piece(x).numpy())
    with pytest.raises(rsm.NonConformingError, match="no named callable 'nope'; available: decoder, encoder"):
        piece.callable("nope")
    # tf_keras' per-layer attributes are Keras internals or not identifiers.
    assert "keras_api" not in rsm.load(zoo_path("tf_keras_mlp")).callables


@pytest.mark.parametrize("training", ["yes", 1, None, tf.constant(1.0), tf.constant([True, False])])
def test_training_must_be_a_bool_or_scalar_bool_tensor(zoo_path, training):
    piece = rsm.load(zoo_path("mlp"))
    with pytest.raises(rsm.InputMismatchError, match="training must be a Python bool or a scalar tf.bool tensor"):
        piece(tf.zeros([1, 4]), training=training)


@pytest.mark.slow
def test_the_spec_lists_traces_in_one_order_in_every_process(tmp_path):
    """A restored function lists its traces in an order that follows the loading process's
    string hashing; the spec (and what `rsm inspect` prints) must not."""
    import subprocess
    import sys

    path = examples.export("mlp", tmp_path / "mlp")
    tree = "import sys; from reusable_savedmodel import interface as rsm; print(rsm.load(sys.argv[1]).spec.tree())"
    trees = set()
    for seed in ("1", "2", "3", "4"):  # each order turns up about every other seed
        env = {**os.environ, "PYTHONHASHSEED": seed, "TF_CPP_MIN_LOG_LEVEL": "3"}
        done = subprocess.run([sys.executable, "-c", tree, str(path)], env=env, check=True, capture_output=True, text=True)
        trees.add(done.stdout)
    assert len(trees) == 1, "\n---\n".join(trees)
