"""Random ops with TF seeds: the converted op draws from the caller's key, without tf2jax's notice."""

from __future__ import annotations

import logging

import jax
import numpy as np
import pytest
import tensorflow as tf

from reusable_savedmodel.adapters.jax import to_jax

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
    from reusable_savedmodel.adapters.jax.conversion import convert

    with caplog.at_level(logging.WARNING, logger="absl"), convert._op_seeds_unreported():
        logging.getLogger("absl").warning("RandomUniform does not yet support non-zero seeds, found 1")
        logging.getLogger("absl").warning("something else")
    assert [r.getMessage() for r in caplog.records] == ["something else"]
