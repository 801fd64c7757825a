"""Random ops with TF seeds: the converted op draws from the caller's key, without tf2jax's notice."""

from __future__ import annotations

import logging

import jax
import numpy as np
import pytest
import tensorflow as tf

from reusable_savedmodel.adapters.jax import UnconvertibleError, to_jax

RATE = 0.5


class SeededDropout(tf.Module):
    """Dropout whose random op carries non-zero seed attributes (a global and an op seed)."""

    @tf.function
    def __call__(self, x: tf.Tensor, training: bool = False) -> tf.Tensor:
        return tf.nn.dropout(x, RATE, seed=7) if training else x


@pytest.fixture
def seeded_model(tmp_path):
    tf.random.set_seed(1234)
    model = SeededDropout()
    for training in (False, True):
        model.__call__.get_concrete_function(tf.TensorSpec([4, 64], tf.float32), training)
    tf.saved_model.save(model, str(tmp_path / "seeded"))
    return str(tmp_path / "seeded")


def test_seed_notice_is_dropped_and_the_key_decides(seeded_model, caplog):
    x = np.ones([4, 64], np.float32)
    with caplog.at_level(logging.WARNING, logger="absl"):
        piece = to_jax(seeded_model)
        first = np.asarray(piece(x, training=True, rng=jax.random.key(0)))
    assert not [r for r in caplog.records if "seeds" in r.getMessage()]
    # Dropout by hand: every element is 0 or x / (1 - rate), and both occur.
    kept = np.isclose(first, 1 / (1 - RATE))
    assert np.all(kept | (first == 0)) and kept.any() and (~kept).any()
    again = np.asarray(piece(x, training=True, rng=jax.random.key(0)))
    other = np.asarray(piece(x, training=True, rng=jax.random.key(1)))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_other_absl_warnings_still_show(caplog):
    from reusable_savedmodel.adapters.jax.conversion import _convert as convert

    with caplog.at_level(logging.WARNING, logger="absl"), convert._op_seeds_unreported():
        logging.getLogger("absl").warning("RandomUniform does not yet support non-zero seeds, found 1")
        logging.getLogger("absl").warning("something else")
    assert [r.getMessage() for r in caplog.records] == ["something else"]


class DropoutUnderCond(tf.Module):
    """Dropout chosen by a `training` *tensor*: the random op sits in an `If` branch."""

    @tf.function(input_signature=[tf.TensorSpec([4, 64], tf.float32), tf.TensorSpec([], tf.bool)])
    def __call__(self, x: tf.Tensor, training: tf.Tensor) -> tf.Tensor:
        return tf.cond(training, lambda: tf.nn.dropout(x, RATE), lambda: x)


def test_a_random_op_in_a_branch_is_a_typed_error(tmp_path):
    tf.saved_model.save(DropoutUnderCond(), str(tmp_path / "cond"))
    raw = tf.saved_model.load(str(tmp_path / "cond"))
    x = np.ones([4, 64], np.float32)
    np.testing.assert_array_equal(raw(x, tf.constant(False)).numpy(), x)  # the model itself runs
    with pytest.raises(UnconvertibleError, match=r"RandomUniform inside a control-flow branch \(at .*cond"):
        to_jax(str(tmp_path / "cond"), keep_tf=False)
