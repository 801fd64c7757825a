"""What the multi-process tests train, shared by the worker processes and the one-process run.

Both runs see the same global batches: in the multi-process run each worker feeds its half of
every global batch (`worker_half`), and the gradients are all-reduced across the processes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

GLOBAL_BATCH, STEPS, EPOCHS, WORKERS = 16, 2, 2, 2
X = np.random.default_rng(7).standard_normal((GLOBAL_BATCH * STEPS, 4)).astype(np.float32)
LABELS = (np.arange(GLOBAL_BATCH * STEPS) % 3).astype(np.int32)
HEAD_KERNEL = np.random.default_rng(3).standard_normal((4, 8)).astype(np.float32) * 0.5
LEARNING_RATE = 0.1


def worker_half(values: np.ndarray, worker: int) -> np.ndarray:
    """Worker `worker`'s share of every global batch, in step order.

    Args:
      values: One row per example, global batches one after another.
      worker: The worker's index.

    Returns:
      `values` restricted to the worker's rows, its per-step batches one after another.
    """
    per_worker = GLOBAL_BATCH // WORKERS
    steps = values.reshape(STEPS, GLOBAL_BATCH, *values.shape[1:])
    return steps[:, worker * per_worker : (worker + 1) * per_worker].reshape(-1, *values.shape[1:])


def keras_classifier(path: str) -> Any:
    """A Keras Dense layer feeding the example MLP's `decoder` in a trainable `KerasLayer`.

    The decoder has no batch norm and no dropout, so a global batch split across workers
    computes the one-process gradient (a mean over examples plus its regularization loss).

    Args:
      path: The example MLP's SavedModel.

    Returns:
      The compiled model.
    """
    import keras

    from reusable_savedmodel.adapters.keras import KerasLayer

    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu", kernel_initializer=keras.initializers.Constant(HEAD_KERNEL)),
            KerasLayer(path, callable="decoder", trainable=True),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(LEARNING_RATE, momentum=0.9),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def jax_train_step(piece: Any) -> Any:
    """One SGD step of the whole example MLP in training mode (batch norm over the batch given).

    Args:
      piece: The MLP's `JaxPiece`.

    Returns:
      `step(params, state, x, labels) -> (params, state, loss)`, to be jitted.
    """
    import jax
    import jax.numpy as jnp

    def loss_fn(params: Any, state: Any, x: Any, labels: Any) -> Any:
        logits, new_state = piece.apply(params, state, x, training=True, rng=jax.random.key(0), dropout_rate=0.0)
        log_probs = jax.nn.log_softmax(logits)
        data = -jnp.mean(jnp.take_along_axis(log_probs, labels[:, None], axis=1))
        return data + piece.regularization_loss(params), new_state

    def step(params: Any, state: Any, x: Any, labels: Any) -> Any:
        (loss, new_state), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, state, x, labels)
        params = jax.tree_util.tree_map(lambda p, g: p - LEARNING_RATE * g, params, grads)
        return params, new_state, loss

    return step
