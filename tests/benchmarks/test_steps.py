"""The benchmark's training steps do the update they claim, checked against TensorFlow by hand."""

import numpy as np
import pytest
import tensorflow as tf

from benchmarks import jax_steps, models, tape_steps
from reusable_savedmodel.adapters.jax import to_jax


def test_tape_step_updates_only_the_rows_an_embedding_gathered():
    table = tf.Variable(np.arange(8, dtype=np.float32).reshape(4, 2))
    start = table.numpy()
    step = tape_steps._step(lambda ids: tf.gather(table, ids), lambda: [table], lambda: [])(np.array([1, 1, 3], np.int32))
    step()
    # loss = mean over 3x2 outputs of their squares: d/d row r = (2 / 6) * row r * occurrences.
    grad = np.zeros_like(start)
    grad[1], grad[3] = 2 * 2 * start[1] / 6, 2 * start[3] / 6
    np.testing.assert_allclose(table.numpy(), start - tape_steps.LEARNING_RATE * grad, rtol=1e-6)


@pytest.fixture(scope="module")
def keras_mlp(tmp_path_factory):
    """The keras_mlp SavedModel, a batch, and by hand in TensorFlow: the loss, one SGD step's
    weights (by shape: they are all different) and the loss after it."""
    path = models.export("keras_mlp", tmp_path_factory.mktemp("models"))
    x = models.inputs("keras_mlp", 4)
    obj = tf.saved_model.load(str(path))
    with tf.GradientTape() as tape:
        before = tf.reduce_mean(tf.square(obj(x, training=True)))
    for variable, gradient in zip(obj.trainable_variables, tape.gradient(before, obj.trainable_variables)):
        variable.assign_sub(jax_steps.LEARNING_RATE * gradient)
    after = tf.reduce_mean(tf.square(obj(x, training=True)))
    return path, x, float(before), {v.shape: v.numpy() for v in obj.trainable_variables}, float(after)


def test_to_jax_step_is_one_sgd_step_of_the_raw_objects_loss(keras_mlp):
    path, x, _, stepped, _ = keras_mlp
    params = jax_steps.to_jax_step(to_jax(str(path)))(x)()
    assert len(params) == len(stepped)
    for value in params.values():
        np.testing.assert_allclose(np.asarray(value), stepped[value.shape], rtol=1e-5, atol=1e-6)


def test_flax_module_step_trains_the_module_as_the_raw_object_would(keras_mlp):
    path, x, before, _, after = keras_mlp
    step = jax_steps.flax_module_step(to_jax(str(path)))(x)
    assert float(step()) == pytest.approx(before, rel=1e-5)
    assert float(step()) == pytest.approx(after, rel=1e-5)  # the loss once the first step's update is in
