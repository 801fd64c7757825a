"""Fine-tuning an example model in a Sonnet training loop.

The Replicator is tested against one device in tests/conformance/test_scale_out.py.
"""

import numpy as np
import sonnet as snt
import tensorflow as tf

from fixtures import models
from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.sonnet import SonnetModule

X = tf.constant(models.example_inputs("mlp", batch=32))
LABELS = tf.constant(np.arange(32) % 3)


def loss_of(module, x, labels):
    logits = module(x, is_training=True)
    data = tf.reduce_mean(
        tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
    )
    return data + module.regularization_loss()


def test_a_sonnet_training_loop_fine_tunes_and_re_export_reproduces_it(zoo_path, tmp_path):
    module = SonnetModule(zoo_path("mlp"))
    optimizer = snt.optimizers.Adam(0.05)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            loss = loss_of(module, X, LABELS)
        optimizer.apply(tape.gradient(loss, module.trainable_variables), module.trainable_variables)
        return loss

    before = [v.numpy() for v in module.variables]
    losses = [float(step()) for _ in range(40)]
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])
    changed = {
        id(v) for v, old in zip(module.variables, before, strict=True) if not np.array_equal(v, old)
    }
    moving = {id(v) for v in module.variables if not v.trainable}
    assert changed == {id(v) for v in module.trainable_variables} | moving

    reloaded = rsm.save(module.piece, tmp_path / "tuned")
    assert_close(reloaded(X), module(X))
    assert_close(SonnetModule(reloaded)(X), module(X))
