"""ReusableModule: traces for every declared combination, and the three lists."""

import numpy as np
import pytest
import tensorflow as tf

from reusable_savedmodel import interface as rsm


class Affine(rsm.ReusableModule):
    def __init__(self):
        super().__init__(
            tf.TensorSpec([None, 2], tf.float32),
            tensor_kwargs={"shift": tf.TensorSpec([], tf.float32)},
            python_kwargs={"negate": (False, True)},
        )
        self.w = tf.Variable([[1.0, 2.0], [3.0, 4.0]])
        self.frozen = tf.Variable([10.0, 20.0])
        self.unused = tf.Variable(0.0)

    def call(self, inputs, training=False, shift=0.0, negate=False):
        y = tf.matmul(inputs, self.w) + self.frozen + shift
        if training:
            y = y * 2.0
        return -y if negate else y

    def select_trainable_variables(self, variables):
        return [v for v in variables if v is not self.frozen]

    def regularization(self):
        return [lambda: 0.5 * tf.reduce_sum(self.w)]


def test_lists_are_made_on_first_use():
    m = Affine()
    assert [v.shape.as_list() for v in m.variables] == [[2, 2], [2]]  # `unused` is not used
    assert len(m.trainable_variables) == 1 and m.trainable_variables[0] is m.w
    assert float(m.regularization_losses[0]()) == pytest.approx(5.0)


def test_every_combination_is_traced():
    piece = rsm.as_piece(Affine())
    call = piece.spec.call
    assert len(call.traces) == 2 * 2 * 2  # shift absent/present x negate x training
    assert rsm.check(piece).ok
    x = np.array([[1.0, 1.0]], np.float32)
    np.testing.assert_allclose(piece(x).numpy(), [[14.0, 26.0]])
    np.testing.assert_allclose(piece(x, training=True, shift=tf.constant(1.0), negate=True).numpy(), [[-30.0, -54.0]])


def test_call_must_be_implemented():
    class Empty(rsm.ReusableModule):
        def __init__(self):
            super().__init__(tf.TensorSpec([None], tf.float32))

    with pytest.raises(NotImplementedError, match="Empty must implement call"):
        Empty().finalize_reusable()


def test_unknown_attribute_still_raises():
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        Affine().nope  # noqa: B018
