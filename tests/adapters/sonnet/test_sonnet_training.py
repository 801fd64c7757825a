"""Fine-tuning a zoo model in a Sonnet training loop, alone and under a Replicator."""

import numpy as np
import sonnet as snt
import tensorflow as tf

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.sonnet import SonnetModule
from reusable_savedmodel.interface import zoo

X = tf.constant(zoo.example_inputs("mlp", batch=32))
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
    np.testing.assert_allclose(reloaded(X), module(X), rtol=1e-6)
    np.testing.assert_allclose(SonnetModule(reloaded)(X), module(X), rtol=1e-6)


def test_a_replicator_runs_a_fine_tuning_step(zoo_path):
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    assert len(devices) == 2
    replicator = snt.distribute.Replicator(devices)
    with replicator.scope():
        module = SonnetModule(zoo_path("mlp"))
        optimizer = snt.optimizers.Adam(0.01)

    def step(x, labels):
        with tf.GradientTape() as tape:
            loss = loss_of(module, x, labels)
        grads = tape.gradient(loss, module.trainable_variables)
        grads = tf.distribute.get_replica_context().all_reduce("mean", grads)
        optimizer.apply(grads, module.trainable_variables)
        return loss

    before = [v.numpy() for v in module.trainable_variables]
    # The first step runs eagerly: under a Replicator, TF 2.21 fails to create the
    # optimizer's state inside tf.function, for any Sonnet module.
    replicator.run(step, args=(X, LABELS))
    train = tf.function(lambda x, labels: replicator.run(step, args=(x, labels)))
    losses = replicator.experimental_local_results(train(X, LABELS))
    assert len(losses) == 2 and all(np.isfinite(loss) for loss in losses)
    for v, old in zip(module.trainable_variables, before, strict=True):
        first, second = replicator.experimental_local_results(v)
        np.testing.assert_allclose(first, second, rtol=1e-6)  # replicas stay in sync
        assert not np.array_equal(first, old)
