"""Small, real Reusable SavedModels bundled for the demo, tests and benchmarks (TensorFlow only).

Each `build_*` returns an in-process object implementing the protocol; `export` saves
one by name. Weights come from a fixed seed, so two builds are equal.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from reusable_savedmodel.interface import ReusableModule

#: The model the demo and the CLI use when none is named.
DEFAULT = "mlp"


def _init(shape: tuple[int, ...], seed: int, scale: float = 0.5) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(np.float32)


class MulModel(tf.train.Checkpoint):
    """The seeds' example: multiplies by a scalar `v`, regularized by `0.001 * v**2`."""

    def __init__(self, v_init: float = 2.0):
        super().__init__()
        self.v = tf.Variable(v_init)
        self.variables = [self.v]
        self.trainable_variables = [self.v]
        self.regularization_losses = [tf.function(input_signature=[])(lambda: 0.001 * self.v**2)]

    @tf.function(input_signature=[tf.TensorSpec(shape=None, dtype=tf.float32)])
    def __call__(self, inputs):
        return tf.multiply(inputs, self.v)


class Dense(tf.Module):
    """A dense layer (`x @ kernel + bias`); a building block for tf.Module models."""

    def __init__(self, n_in: int, n_out: int, seed: int, name: str):
        super().__init__(name=name.replace("/", "_"))
        self.kernel = tf.Variable(_init((n_in, n_out), seed), name=f"{name}/kernel")
        self.bias = tf.Variable(np.zeros(n_out, np.float32), name=f"{name}/bias")

    def __call__(self, x: tf.Tensor) -> tf.Tensor:
        return tf.matmul(x, self.kernel) + self.bias


class BatchNorm(tf.Module):
    """Batch norm over the batch axis; moving statistics are updated in training."""

    def __init__(self, n: int, name: str, momentum: float = 0.9, epsilon: float = 1e-3):
        super().__init__(name=name.replace("/", "_"))
        self.gamma = tf.Variable(np.ones(n, np.float32), name=f"{name}/gamma")
        self.beta = tf.Variable(np.zeros(n, np.float32), name=f"{name}/beta")
        self.moving_mean = tf.Variable(np.zeros(n, np.float32), trainable=False, name=f"{name}/moving_mean")
        self.moving_variance = tf.Variable(np.ones(n, np.float32), trainable=False, name=f"{name}/moving_variance")
        self.momentum = momentum
        self.epsilon = epsilon

    def __call__(self, x: tf.Tensor, training: bool) -> tf.Tensor:
        if training:
            mean, variance = tf.nn.moments(x, axes=[0])
            self.moving_mean.assign(self.momentum * self.moving_mean + (1 - self.momentum) * mean)
            self.moving_variance.assign(
                self.momentum * self.moving_variance + (1 - self.momentum) * variance
            )
        else:
            mean, variance = self.moving_mean, self.moving_variance
        return tf.nn.batch_normalization(x, mean, variance, self.beta, self.gamma, self.epsilon)


class MLPEncoder(ReusableModule):
    """`features -> hidden`: input scaling, dense, batch norm, relu, dropout."""

    def __init__(self, features: int, hidden: int, seed: int):
        super().__init__(
            tf.TensorSpec([None, features], tf.float32),
            tensor_kwargs={"dropout_rate": tf.TensorSpec([], tf.float32)},
        )
        # Trainable by flag but curated out of `trainable_variables`: a fixed normalizer.
        self.input_scale = tf.Variable(np.ones(features, np.float32), name="encoder/input_scale")
        self.dense = Dense(features, hidden, seed, "encoder/dense")
        self.norm = BatchNorm(hidden, "encoder/batch_norm")

    def call(self, inputs, training=False, dropout_rate=0.1):
        h = tf.nn.relu(self.norm(self.dense(inputs * self.input_scale), training))
        if training:
            h = tf.nn.dropout(h, rate=dropout_rate)
        return h

    def select_trainable_variables(self, variables):
        return [v for v in variables if v.trainable and v is not self.input_scale]

    def regularization(self):
        return [lambda: 0.001 * tf.reduce_sum(tf.square(self.dense.kernel))]


class MLPDecoder(ReusableModule):
    """`hidden -> classes` logits."""

    def __init__(self, hidden: int, classes: int, seed: int):
        super().__init__(tf.TensorSpec([None, hidden], tf.float32))
        self.dense = Dense(hidden, classes, seed + 1, "decoder/dense")

    def call(self, inputs, training=False):
        return self.dense(inputs)

    def regularization(self):
        return [lambda: 0.001 * tf.reduce_sum(tf.square(self.dense.kernel))]


class MLP(ReusableModule):
    """An MLP with batch norm and dropout, in plain TF.

    `model(x, training=False, dropout_rate=0.1, return_hidden=False)`: logits, or with
    `return_hidden=True` a dict `{"logits", "hidden"}`. Named callables `encoder` and
    `decoder` share its variables; `encoder.input_scale` is left out of
    `trainable_variables`.
    """

    def __init__(self, features: int = 4, hidden: int = 8, classes: int = 3, seed: int = 0):
        super().__init__(
            tf.TensorSpec([None, features], tf.float32),
            tensor_kwargs={"dropout_rate": tf.TensorSpec([], tf.float32)},
            python_kwargs={"return_hidden": (False, True)},
        )
        self.encoder = MLPEncoder(features, hidden, seed)
        self.decoder = MLPDecoder(hidden, classes, seed)

    def call(self, inputs, training=False, dropout_rate=0.1, return_hidden=False):
        hidden = self.encoder.call(inputs, training=training, dropout_rate=dropout_rate)
        logits = self.decoder.call(hidden, training=training)
        if return_hidden:
            return {"logits": logits, "hidden": hidden}
        return logits

    def select_trainable_variables(self, variables):
        return [v for v in variables if v.trainable and v is not self.encoder.input_scale]

    def regularization(self):
        return [*self.encoder.regularization(), *self.decoder.regularization()]


class DictInputModel(ReusableModule):
    """Dict input `{"a": [?,2], "b": [?,3]}` -> list output `[[?,2], [?,1]]`."""

    def __init__(self, seed: int = 0):
        super().__init__(
            {"a": tf.TensorSpec([None, 2], tf.float32), "b": tf.TensorSpec([None, 3], tf.float32)}
        )
        self.dense = Dense(5, 3, seed, "dict/dense")

    def call(self, inputs, training=False):
        y = self.dense(tf.concat([inputs["a"], inputs["b"]], axis=-1))
        return [y[:, :2], y[:, 2:]]


class ListInputModel(ReusableModule):
    """List input `[[?,2], [?,2]]` -> dict output `{"sum", "product"}`, scaled by `scale`."""

    def __init__(self):
        super().__init__([tf.TensorSpec([None, 2], tf.float32), tf.TensorSpec([None, 2], tf.float32)])
        self.scale = tf.Variable([1.5, -0.5], name="list/scale")

    def call(self, inputs, training=False):
        a, b = inputs
        return {"sum": (a + b) * self.scale, "product": a * b * self.scale}


class SignatureOnlyModel(tf.Module):
    """No `__call__`: only a `serving_default` signature (inference only)."""

    def __init__(self):
        super().__init__()
        self.w = tf.Variable([[1.0], [2.0]], name="signature/w")

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="x")])
    def serve(self, x):
        return {"y": tf.matmul(x, self.w)}


class TextModel(ReusableModule):
    """String sentences `[?]` -> mean word embedding `[?,4]`, through a vocabulary table."""

    VOCABULARY = ("the", "cat", "sat", "on", "mat", "dog")

    def __init__(self, seed: int = 0):
        super().__init__(tf.TensorSpec([None], tf.string))
        keys = tf.constant(self.VOCABULARY)
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(keys, tf.range(len(self.VOCABULARY), dtype=tf.int64)),
            default_value=len(self.VOCABULARY),  # out-of-vocabulary bucket
        )
        self.embeddings = tf.Variable(_init((len(self.VOCABULARY) + 1, 4), seed), name="text/embeddings")

    def call(self, inputs, training=False):
        words = tf.strings.split(tf.strings.lower(inputs))
        ids = tf.ragged.map_flat_values(self.table.lookup, words)
        vectors = tf.ragged.map_flat_values(tf.nn.embedding_lookup, self.embeddings, ids)
        return tf.reduce_mean(vectors, axis=1)


BUILDERS: dict[str, Callable[..., Any]] = {
    "mul": MulModel,
    "mlp": MLP,
    "dict_input": DictInputModel,
    "list_input": ListInputModel,
    "signature_only": SignatureOnlyModel,
    "text": TextModel,
}

#: Every example model's name.
NAMES = tuple(BUILDERS)


def build(name: str, **kwargs: Any) -> Any:
    """Builds an example model in process.

    Args:
      name: One of `NAMES`.
      **kwargs: Passed to the model's constructor (e.g. `hidden=` for the MLPs).

    Raises:
      KeyError: for an unknown name (the message lists the known ones).
    """
    if name not in BUILDERS:
        raise KeyError(f"no example model {name!r}; known: {', '.join(NAMES)}")
    return BUILDERS[name](**kwargs)


def export(name: str, path: str | os.PathLike, **kwargs: Any) -> Path:
    """Builds an example model and saves it as a SavedModel at `path`; returns the path."""
    model = build(name, **kwargs)
    signatures = None
    if name == "signature_only":
        signatures = {"serving_default": model.serve}
    elif hasattr(model, "finalize_reusable"):
        model.finalize_reusable()
    tf.saved_model.save(model, os.fspath(path), signatures=signatures)
    return Path(path)


def example_inputs(name: str, batch: int = 2, **kwargs: Any) -> Any:
    """Deterministic inputs for an example model (as numpy arrays / Python lists)."""
    rng = np.random.default_rng(1)
    features = kwargs.get("features", 4)
    examples = {
        "mul": lambda: np.array([10.0, 20.0], np.float32),
        "mlp": lambda: rng.standard_normal((batch, features)).astype(np.float32),
        "dict_input": lambda: {
            "a": rng.standard_normal((batch, 2)).astype(np.float32),
            "b": rng.standard_normal((batch, 3)).astype(np.float32),
        },
        "list_input": lambda: [rng.standard_normal((batch, 2)).astype(np.float32) for _ in range(2)],
        "signature_only": lambda: rng.standard_normal((batch, 2)).astype(np.float32),
        "text": lambda: np.array(["the cat sat", "a dog on the mat"][:batch] * max(1, batch // 2), object),
    }
    return examples[name]()
