"""The `keras_mlp` benchmark model (64-32-4, relu) written natively in each framework.

Each native model holds the SavedModel's weights, so it computes the same function; the
harness times it beside the adapter of its framework, per call and per training step.
A `Bind` takes an input batch; a step path also makes labels and runs one SGD step per call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.binding import Bind

LEARNING_RATE = 0.01


def dense_weights(obj: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    """(kernel, bias) per dense layer of a loaded `keras_mlp`, input side first.

    Raises:
      ValueError: for a model that is not two dense layers.
    """
    values = [v.numpy() for v in obj.variables]
    if [v.ndim for v in values] != [2, 1, 2, 1]:
        raise ValueError(f"no native network for a model with variable shapes {[v.shape for v in values]}")
    return [(values[0], values[1]), (values[2], values[3])]


def labels_for(x: np.ndarray) -> np.ndarray:
    """Deterministic class labels (4 classes) for a batch."""
    return (np.arange(len(x)) % 4).astype(np.int32)


def keras_model(obj: Any) -> Any:
    """Keras 3 Sequential with the two Dense layers."""
    import keras

    (k1, b1), (k2, b2) = dense_weights(obj)
    model = keras.Sequential([keras.Input(k1.shape[:1]), keras.layers.Dense(k1.shape[1], activation="relu"), keras.layers.Dense(k2.shape[1])])
    model.set_weights([k1, b1, k2, b2])
    return model


def sonnet_mlp(obj: Any) -> Any:
    """Sonnet: an `snt.Module` of two `snt.Linear`, holding the weights."""
    import sonnet as snt
    import tensorflow as tf

    (k1, b1), (k2, b2) = dense_weights(obj)

    class MLP(snt.Module):
        def __init__(self) -> None:
            super().__init__()
            self.hidden = snt.Linear(k1.shape[1], w_init=tf.constant_initializer(k1), b_init=tf.constant_initializer(b1))
            self.out = snt.Linear(k2.shape[1], w_init=tf.constant_initializer(k2), b_init=tf.constant_initializer(b2))

        def __call__(self, x: Any) -> Any:
            return self.out(tf.nn.relu(self.hidden(x)))

    return MLP()


def flax_model(obj: Any) -> Any:
    """Flax nnx: two `nnx.Linear`."""
    import jax.numpy as jnp
    from flax import nnx

    (k1, b1), (k2, b2) = dense_weights(obj)

    class MLP(nnx.Module):
        def __init__(self) -> None:
            self.hidden = nnx.Linear(*k1.shape, rngs=nnx.Rngs(0))
            self.out = nnx.Linear(*k2.shape, rngs=nnx.Rngs(0))
            for layer, (kernel, bias) in ((self.hidden, (k1, b1)), (self.out, (k2, b2))):
                layer.kernel.value, layer.bias.value = jnp.asarray(kernel), jnp.asarray(bias)

        def __call__(self, x: Any) -> Any:
            return self.out(nnx.relu(self.hidden(x)))

    return MLP()


def jax_params(obj: Any) -> dict[str, Any]:
    """Pure JAX: the weights as a dict, for `jax_forward`."""
    import jax.numpy as jnp

    (k1, b1), (k2, b2) = dense_weights(obj)
    return {"k1": jnp.asarray(k1), "b1": jnp.asarray(b1), "k2": jnp.asarray(k2), "b2": jnp.asarray(b2)}


def jax_forward(params: dict[str, Any], x: Any) -> Any:
    """Pure JAX forward pass."""
    import jax

    return jax.nn.relu(x @ params["k1"] + params["b1"]) @ params["k2"] + params["b2"]


def cross_entropy(logits: Any, labels: Any) -> Any:
    """Mean sparse softmax cross entropy, in JAX."""
    import jax
    import jax.numpy as jnp

    return -jnp.mean(jnp.take_along_axis(jax.nn.log_softmax(logits), labels[:, None], axis=1))


def jax_step(forward: Callable[[Any, Any], Any], params: Any) -> Bind:
    """A jitted SGD step of `forward(params, x)` (params carried from call to call)."""
    import jax

    @jax.jit
    def step(params: Any, x: Any, labels: Any) -> Any:
        grads = jax.grad(lambda p: cross_entropy(forward(p, x), labels))(params)
        return jax.tree_util.tree_map(lambda p, g: p - LEARNING_RATE * g, params, grads)

    def bind(x: np.ndarray) -> Callable[[], Any]:
        held = {"params": params}
        xs, labels = jax.numpy.asarray(x), jax.numpy.asarray(labels_for(x))

        def call() -> Any:
            held["params"] = step(held["params"], xs, labels)
            return held["params"]

        return call

    return bind


def nnx_step(
    module: Any,
    loss: Callable[[Any, Any, Any], Any] = lambda m, x, labels: cross_entropy(m(x), labels),
    learning_rate: float = LEARNING_RATE,
) -> Bind:
    """An `nnx.jit` SGD step of an nnx module (its trainable `nnx.Param`s).

    Args:
      module: The module.
      loss: (module, inputs, labels) -> scalar loss; default cross entropy of its logits.
      learning_rate: SGD's.

    Returns:
      The binder.
    """
    import jax.numpy as jnp
    import optax
    from flax import nnx

    optimizer = nnx.Optimizer(module, optax.sgd(learning_rate), wrt=nnx.Param)

    @nnx.jit
    def step(module: Any, optimizer: Any, x: Any, labels: Any) -> Any:
        value, grads = nnx.value_and_grad(lambda m: loss(m, x, labels))(module)
        optimizer.update(module, grads)
        return value

    def bind(x: np.ndarray) -> Callable[[], Any]:
        xs, labels = jnp.asarray(x), jnp.asarray(labels_for(x))
        return lambda: step(module, optimizer, xs, labels)

    return bind


def keras_step(model: Any) -> Bind:
    """`train_on_batch` of a compiled Keras 3 model (SGD, sparse cross entropy on logits)."""
    import keras

    model.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    def bind(x: np.ndarray) -> Callable[[], Any]:
        labels = labels_for(x)
        return lambda: model.train_on_batch(x, labels)

    return bind


def tf_step(module: Any, call: Callable[[Any], Any]) -> Bind:
    """A `tf.function` SGD step of `call(x)` over `module.trainable_variables` (Sonnet)."""
    import sonnet as snt
    import tensorflow as tf

    optimizer = snt.optimizers.SGD(LEARNING_RATE)

    @tf.function
    def step(x: Any, labels: Any) -> Any:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=call(x)))
        optimizer.apply(tape.gradient(loss, module.trainable_variables), module.trainable_variables)
        return loss

    def bind(x: np.ndarray) -> Callable[[], Any]:
        xs, labels = tf.constant(x), tf.constant(labels_for(x))
        return lambda: step(xs, labels)

    return bind
