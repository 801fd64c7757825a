"""More real exporters through `to_jax`, each built with its producer's own public code and
compared with the raw `tf.saved_model.load` object: Sonnet `snt.nets.ResNet`; a Sonnet
DeepRNN of LSTMs (`dynamic_unroll`) into BatchNorm and `VectorQuantizerEMA`; tf_keras
`MobileNetV3Small`; a `tf.random.Generator` (refused, typed)."""

from __future__ import annotations

import jax
import numpy as np
import pytest
import sonnet as snt
import tensorflow as tf
import tf_keras

from fixtures.tolerances import STATISTICS, assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.jax import UnconvertibleError, to_jax
from reusable_savedmodel.adapters.jax.conversion._convert import variable_paths
from reusable_savedmodel.adapters.sonnet import from_sonnet


def _save_sonnet(module, x, path):
    module(x, is_training=False)
    rsm.save(from_sonnet(module, input_signature=tf.TensorSpec([None, *x.shape[1:]], tf.float32)), path)
    return path


def _check_inference_and_training(path, x, deep=False):
    """Inference outputs, then training-mode outputs, assigned state and gradients of
    sum(y**2), against a fresh raw object."""
    raw = tf.saved_model.load(path)
    names = dict(zip((id(v) for v in raw.variables), variable_paths(raw.variables)))
    jp = to_jax(path)
    assert_close(jp(x), raw(tf.constant(x), training=False), deep=deep)
    with tf.GradientTape() as tape:
        y = raw(tf.constant(x), training=True)
        loss = tf.reduce_sum(y * y)
    expected = tape.gradient(loss, list(raw.trainable_variables))

    def jax_loss(params):
        outputs, new_state = jp.apply(params, jp.state, x, training=True)
        return (outputs * outputs).sum(), (outputs, new_state)

    grads, (outputs, new_state) = jax.grad(jax_loss, has_aux=True)(jp.params)
    assert_close(outputs, y, deep=deep)
    moved = {n: v for n, v in new_state.items() if not np.array_equal(v, jp.state[n])}
    assert moved  # batch-norm / EMA statistics move in training
    assert_close(moved, {n: v.numpy() for v in raw.variables if (n := names[id(v)]) in moved}, tolerance=STATISTICS)
    assert_close(grads, {names[id(v)]: g.numpy() for v, g in zip(raw.trainable_variables, expected)}, deep=deep)


@pytest.mark.slow  # a deep net's gradient compiles slowly
def test_sonnet_resnet(tmp_path):
    x = np.random.RandomState(0).rand(2, 16, 16, 3).astype(np.float32)
    net = snt.nets.ResNet([1, 1, 1, 1], num_classes=3, channels_per_group_list=(8, 8, 8, 8))
    path = _save_sonnet(net, x, str(tmp_path / "resnet"))
    _check_inference_and_training(path, x, deep=True)


class Quantized(snt.Module):
    """A DeepRNN of two LSTMs run with `snt.dynamic_unroll`, then BatchNorm and VectorQuantizerEMA."""

    def __init__(self):
        super().__init__()
        self.core = snt.DeepRNN([snt.LSTM(4), snt.LSTM(3)])
        self.norm = snt.BatchNorm(create_scale=True, create_offset=True)
        self.quantizer = snt.nets.VectorQuantizerEMA(embedding_dim=3, num_embeddings=5, commitment_cost=0.25, decay=0.9)

    def __call__(self, x, is_training):
        sequence = tf.transpose(x, [1, 0, 2])  # time major
        outputs, _ = snt.dynamic_unroll(self.core, sequence, self.core.initial_state(tf.shape(x)[0]))
        return self.quantizer(self.norm(outputs[-1], is_training=is_training), is_training=is_training)["quantize"]


@pytest.mark.slow  # two recurrent loops and their gradients compile for a while
def test_sonnet_deep_rnn_with_batch_norm_and_vector_quantizer_ema(tmp_path):
    tf.random.set_seed(0)  # Sonnet's initializers draw from TF's global seed: one model every run
    x = np.random.RandomState(0).rand(16, 5, 3).astype(np.float32)
    path = _save_sonnet(Quantized(), x, str(tmp_path / "quantized"))
    # Training-mode batch norm divides by the batch's variance, small for a few rows: its
    # gradients carry rounding differences as deep nets' do (16 rows keep them near 1e-5;
    # 4 rows, unseeded, reached 2.7e-4 on one run).
    _check_inference_and_training(path, x, deep=True)


@pytest.mark.slow  # a deep net's conversion takes a while
def test_tf_keras_mobilenet_v3_small(tmp_path):
    tf_keras.utils.set_random_seed(0)
    model = tf_keras.applications.MobileNetV3Small(input_shape=(32, 32, 3), weights=None, classes=5)
    path = str(tmp_path / "mobilenet_v3_small")
    tf.saved_model.save(model, path)
    raw = tf.saved_model.load(path)
    x = np.random.RandomState(0).rand(2, 32, 32, 3).astype(np.float32)
    assert_close(to_jax(path)(x), raw(tf.constant(x), training=False), deep=True)


class Noisy(rsm.ReusableModule):
    """Adds noise from a `tf.random.Generator` (a stateful RNG TF advances on each call)."""

    def __init__(self):
        super().__init__(tf.TensorSpec([None, 2], tf.float32))
        self.generator = tf.random.Generator.from_seed(3)
        self.w = tf.Variable(2.0)

    def call(self, x, training=False):
        return x * self.w + self.generator.normal(tf.shape(x))


def test_random_generator_is_refused_naming_its_op(tmp_path):
    path = str(tmp_path / "noisy")
    rsm.save(Noisy(), path)
    raw = tf.saved_model.load(path)
    x = np.ones((2, 2), np.float32)
    assert not np.array_equal(raw(tf.constant(x)).numpy(), raw(tf.constant(x)).numpy())  # TF draws anew
    with pytest.raises(UnconvertibleError, match="RngReadAndSkip"):
        to_jax(path)(x)
