"""Producer: a plain-TensorFlow author subclassing `rsm.ReusableModule`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tensorflow as tf

from conformance import architecture as arch
from conformance.produced import Produced
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters import examples
from reusable_savedmodel.adapters.crosscheck._truth import tf_truth


class _Encoder(rsm.ReusableModule):
    """`features -> Dense -> BatchNorm -> relu`, the `mlp`'s first half."""

    def __init__(self, values: dict[str, Any]):
        super().__init__(tf.TensorSpec([None, arch.FEATURES], tf.float32))
        self.dense = examples.Dense(arch.FEATURES, arch.HIDDEN, seed=0, name="encoder/dense")
        self.norm = examples.BatchNorm(arch.HIDDEN, "encoder/batch_norm", arch.MOMENTUM, arch.EPSILON)
        for variable, key in (
            (self.dense.kernel, "dense_kernel"),
            (self.dense.bias, "dense_bias"),
            (self.norm.gamma, "gamma"),
            (self.norm.beta, "beta"),
            (self.norm.moving_mean, "moving_mean"),
            (self.norm.moving_variance, "moving_variance"),
        ):
            variable.assign(values[key])

    def call(self, inputs, training=False):
        return tf.nn.relu(self.norm(self.dense(inputs), training))

    def regularization(self):
        return [lambda: arch.L2 * tf.reduce_sum(tf.square(self.dense.kernel))]


class _Model(rsm.ReusableModule):
    """The `mlp` (tensor input) or the `rich` model (dict input, dropout, `encoder`)."""

    def __init__(self, kind: str, values: dict[str, Any]):
        features = tf.TensorSpec([None, arch.FEATURES], tf.float32)
        signature = (
            features
            if kind == "mlp"
            else {"features": features, "scale": tf.TensorSpec([None, 1], tf.float32)}
        )
        super().__init__(signature)
        self._kind = kind
        self.encoder = _Encoder(values)
        self.head = examples.Dense(arch.HIDDEN, arch.CLASSES, seed=0, name="head")
        self.head.kernel.assign(values["head_kernel"])
        self.head.bias.assign(values["head_bias"])

    def call(self, inputs, training=False):
        if self._kind == "mlp":
            return self.head(self.encoder(inputs, training=training))
        hidden = self.encoder(inputs["features"], training=training) * inputs["scale"]
        if training:
            hidden = tf.nn.dropout(hidden, rate=arch.DROPOUT)
        return self.head(hidden)

    def regularization(self):
        return [
            *self.encoder.regularization(),
            lambda: arch.L2 * tf.reduce_sum(tf.square(self.head.kernel)),
        ]


def build(kind: str) -> Produced:
    """Builds the model of `kind` (`mlp`, `rich` or `text`, the examples' string-input model)."""
    if kind == "text":
        return _text()
    model = _Model(kind, arch.weights())
    model.finalize_reusable()
    inputs = arch.inputs(kind)
    encoder = model.encoder
    truth = tf_truth(
        call=lambda x, training: model(x, training=training),
        inputs=inputs,
        trainables=model.trainable_variables,
        state=[v for v in model.variables if not v.trainable],
        regularization=lambda: arch.l2(encoder.dense.kernel.numpy(), model.head.kernel.numpy()),
        stochastic_training=kind == "rich",
        callables=_callables(kind, encoder, inputs),
    )
    return Produced(in_process=model, save=lambda path: rsm.save(model, path), truth=truth, inputs=inputs)


def _callables(kind: str, encoder: _Encoder, inputs: Any) -> dict[str, Any]:
    if kind != "rich":
        return {}
    return {arch.CALLABLE: (lambda x, training: encoder(x, training=training), inputs["features"])}


def _text() -> Produced:
    model = examples.build("text")
    model.finalize_reusable()
    inputs = examples.example_inputs("text")
    truth = tf_truth(
        call=lambda x, training: model(tf.constant(x), training=training),
        inputs=inputs,
        trainables=model.trainable_variables,
        state=[],
        regularization=lambda: 0.0,
        stochastic_training=False,
    )
    return Produced(
        in_process=model, save=lambda path: rsm.save(model, Path(path)), truth=truth, inputs=inputs
    )
