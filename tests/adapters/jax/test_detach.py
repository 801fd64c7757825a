"""to_jax's memory: weights shared with TF until TF writes, and keep_tf=False lets the TF object go."""

import gc
import weakref

import jax
import numpy as np
import pytest
import tensorflow as tf

from fixtures import models
from fixtures.tolerances import assert_close
from reusable_savedmodel.adapters.jax import to_jax

X = models.example_inputs("mlp", batch=4)


def test_detached_piece_converted_everything_and_lets_the_tf_object_go():
    obj = models.build("mlp")
    want = obj(X).numpy()
    want_regularization = sum(float(loss()) for loss in obj.regularization_losses)
    gone = weakref.ref(obj)
    piece = to_jax(obj, keep_tf=False)
    assert piece.num_converted == len(piece.keys)
    del obj
    gc.collect()
    assert gone() is None
    assert_close(np.asarray(piece(X)), want)
    assert_close(float(piece.regularization_loss(piece.params)), want_regularization)
    outputs, _ = piece.apply(piece.params, piece.state, X, training=True, rng=jax.random.key(0), dropout_rate=0.0)
    assert outputs.shape == want.shape


def test_a_kept_piece_holds_the_tf_object():
    obj = models.build("mlp")
    gone = weakref.ref(obj)
    piece = to_jax(obj)
    del obj
    gc.collect()
    assert gone() is not None and piece.num_converted == 0


def test_jax_values_do_not_follow_later_tf_writes(zoo_path):
    obj = tf.saved_model.load(zoo_path("mlp"))
    piece = to_jax(obj)
    before = {k: np.array(v) for k, v in piece.params.items()}
    for variable in obj.variables:
        variable.assign_add(tf.ones_like(variable))
    for name, value in piece.params.items():
        np.testing.assert_array_equal(np.asarray(value), before[name])



def _graphs_alive() -> int:
    return sum(isinstance(o, tf.Graph) for o in gc.get_objects())


def test_detaching_leaves_no_conversion_graph_behind(zoo_path):
    """`to_jax(..., keep_tf=False)` returns with the conversion's TensorFlow graphs freed:
    they sit in reference cycles, and automatic collection is off here, so only to_jax's
    own collection can have freed them."""
    path = zoo_path("mlp")
    to_jax(path, keep_tf=False)  # first-use set-up (caches that outlive any one call)
    gc.collect()
    gc.disable()
    try:
        before = _graphs_alive()
        piece = to_jax(path, keep_tf=False)
        assert _graphs_alive() == before
    finally:
        gc.enable()
    assert_close(np.asarray(piece(X)), tf.saved_model.load(path)(X))


def test_detaching_hands_the_freed_heap_back_on_glibc(zoo_path, monkeypatch):
    """The memory the TensorFlow object held is returned to the OS (`malloc_trim`) when
    `keep_tf=False` lets it go, and only then: a kept object's memory is still in use."""
    from reusable_savedmodel.adapters.jax import _consume

    if _consume._malloc_trim() is None:
        pytest.skip("not glibc: there is no malloc_trim to call")
    trims = []
    monkeypatch.setattr(_consume, "_malloc_trim", lambda: trims.append)
    path = zoo_path("mlp")
    to_jax(path)
    assert trims == []
    piece = to_jax(path, keep_tf=False)
    assert trims == [0]
    assert_close(np.asarray(piece(X)), tf.saved_model.load(path)(X))
