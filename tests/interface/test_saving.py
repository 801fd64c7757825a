"""save: atomic, checked writes that reproduce the model, and re-export after changes."""

import numpy as np
import pytest
import tensorflow as tf

from fixtures import models
from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters import examples


def _leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".saving"))


def test_reusable_module_round_trip_reproduces_both_modes(tmp_path):
    model = examples.MLP()
    x = tf.constant(models.example_inputs("mlp", batch=6))
    loaded = rsm.save(model, tmp_path / "mlp")
    assert_close(loaded(x).numpy(), model(x).numpy())
    # Training mode with dropout off is deterministic: same outputs, same moving statistics.
    got = loaded(x, training=True, dropout_rate=tf.constant(0.0))
    want = model(x, training=True, dropout_rate=tf.constant(0.0))
    assert_close(got.numpy(), want.numpy())
    for a, b in zip(loaded.variables, rsm.as_piece(model).variables):
        assert_close(a.numpy(), b.numpy())
    assert [v.name for v in loaded.trainable_variables] == [v.name for v in model.trainable_variables]
    assert float(loaded.regularization_loss()) == pytest.approx(float(rsm.as_piece(model).regularization_loss()))


def test_curated_trainable_subset_survives(tmp_path):
    loaded = rsm.save(examples.MLP(), tmp_path / "mlp")
    names = [v.name for v in loaded.trainable_variables]
    assert not any("input_scale" in n for n in names)
    assert any("input_scale" in v.name for v in loaded.non_trainable_variables)


def test_tf_module_with_property_lists_is_exported_with_real_lists(tmp_path):
    class Scale(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(3.0)
            self.frozen = tf.Variable(1.0, trainable=False)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def __call__(self, x):
            return x * self.w + self.frozen

    loaded = rsm.save(Scale(), tmp_path / "scale")
    assert sorted(float(v) for v in loaded.variables) == [1.0, 3.0]
    assert [float(v) for v in loaded.trainable_variables] == [3.0]
    np.testing.assert_allclose(loaded([1.0, 2.0]).numpy(), [4.0, 7.0])


def test_reexport_after_fine_tuning_keeps_new_values(tmp_path, zoo_path):
    piece = rsm.load(zoo_path("mul"))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(piece([1.0, 2.0])) + piece.regularization_loss()
    (grad,) = tape.gradient(loss, piece.trainable_variables)
    assert float(grad) == pytest.approx(3.0 + 0.002 * 2.0)  # d/dv (3v + 0.001 v^2)
    piece.trainable_variables[0].assign_sub(0.5 * grad)
    again = rsm.save(piece, tmp_path / "tuned")
    assert_close(again([1.0]).numpy(), [2.0 - 0.5 * (3.0 + 0.004)])


def test_failed_check_leaves_nothing(tmp_path):
    class OnlyInference(tf.train.Checkpoint):
        @tf.function
        def __call__(self, x, training=False):
            return x

    model = OnlyInference()
    model.__call__.get_concrete_function(tf.TensorSpec([None], tf.float32), training=False)
    with pytest.raises(rsm.CheckFailedError, match="RSM110"):
        rsm.save(model, tmp_path / "bad")
    assert not (tmp_path / "bad").exists()
    assert _leftovers(tmp_path) == []


def test_existing_path_needs_overwrite(tmp_path):
    rsm.save(examples.MulModel(2.0), tmp_path / "m")
    with pytest.raises(rsm.HandleError, match="exists; pass overwrite=True"):
        rsm.save(examples.MulModel(5.0), tmp_path / "m")
    rsm.save(examples.MulModel(5.0), tmp_path / "m", overwrite=True)
    np.testing.assert_allclose(rsm.load(tmp_path / "m")([1.0]).numpy(), [5.0])
    assert _leftovers(tmp_path) == []


def test_named_callables_are_exported(tmp_path):
    loaded = rsm.save(examples.MLP(), tmp_path / "mlp")
    assert set(loaded.callables) == {"encoder", "decoder"}
    x = tf.constant(models.example_inputs("mlp"))
    assert_close(loaded.callable("decoder")(loaded.callable("encoder")(x)).numpy(), loaded(x).numpy())


def test_resources_are_kept(tmp_path, zoo_path):
    loaded = rsm.save(examples.TextModel(), tmp_path / "text")
    assert_close(loaded(["the cat"]).numpy(), rsm.load(zoo_path("text"))(["the cat"]).numpy())
