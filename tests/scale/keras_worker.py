"""One worker of `MultiWorkerMirroredStrategy` (TF_CONFIG names it): trains, writes its weights.

Usage: python keras_worker.py SAVEDMODEL OUT.npz (run by test_multi_process.py).

The Keras model (a Dense layer feeding a trainable `KerasLayer`) trains in a custom loop:
Keras 3.15's `model.fit` cannot run under `MultiWorkerMirroredStrategy` at all (it reduces
the first distributed batch as one tuple, and the scalar logs along axis 0, both rejected by
the strategy), whatever layers the model holds.
"""

import sys

import multi_process_training as training
import numpy as np
import tensorflow as tf


def main(path: str, out: str) -> None:
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    worker = strategy.cluster_resolver.task_id
    assert strategy.num_replicas_in_sync == training.WORKERS, strategy.num_replicas_in_sync
    with strategy.scope():  # the KerasLayer (and its piece's variables) made in the scope
        model = training.keras_classifier(path)

    def dataset(context: tf.distribute.InputContext) -> tf.data.Dataset:
        # This worker's half of every global batch, in step order.
        rows = (training.worker_half(training.X, worker), training.worker_half(training.LABELS, worker))
        per_replica = context.get_per_replica_batch_size(training.GLOBAL_BATCH)
        return tf.data.Dataset.from_tensor_slices(rows).batch(per_replica).repeat(training.EPOCHS)

    cross_entropy = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="none")

    def step(x: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            # Summed over the replicas, these are the global batch's mean loss plus the
            # regularization losses once, as `fit` computes them in one process.
            loss = tf.nn.compute_average_loss(cross_entropy(labels, logits), global_batch_size=training.GLOBAL_BATCH)
            loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
        grads = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply(grads, model.trainable_variables)  # all-reduces the gradients
        return loss

    @tf.function
    def distributed_step(x: tf.Tensor, labels: tf.Tensor) -> tf.Tensor:
        return strategy.reduce("SUM", strategy.run(step, args=(x, labels)), axis=None)

    losses = [float(distributed_step(x, labels)) for x, labels in strategy.distribute_datasets_from_function(dataset)]
    assert len(losses) == training.STEPS * training.EPOCHS, losses
    np.savez(out, *[np.asarray(w) for w in model.trainable_weights], loss=np.asarray(losses))


if __name__ == "__main__":
    main(*sys.argv[1:])
