"""Producer: Sonnet 2, exported with `from_sonnet`."""

from __future__ import annotations

import numpy as np
import sonnet as snt
import tensorflow as tf

from conformance import architecture as arch
from conformance.produced import Produced
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.crosscheck._truth import tf_truth
from reusable_savedmodel.adapters.sonnet import from_sonnet

_FEATURES = tf.TensorSpec([None, arch.FEATURES], tf.float32)


class _Encoder(snt.Module):
    def __init__(self):
        super().__init__(name="encoder")
        self.linear = snt.Linear(arch.HIDDEN, name="linear")
        # Sonnet keeps moving statistics as debiased moving averages that start empty:
        # they cannot take the shared initial values, so this producer keeps its own.
        self.norm = snt.BatchNorm(True, True, decay_rate=arch.MOMENTUM, eps=arch.EPSILON, name="batch_norm")

    def __call__(self, x, is_training):
        return tf.nn.relu(self.norm(self.linear(x), is_training=is_training))


class _Model(snt.Module):
    def __init__(self, kind: str):
        super().__init__(name=kind)
        self._kind = kind
        self.encoder = _Encoder()
        self.head = snt.Linear(arch.CLASSES, name="head")
        self.dropout = snt.Dropout(arch.DROPOUT)

    def __call__(self, inputs, is_training):
        if self._kind == "mlp":
            return self.head(self.encoder(inputs, is_training))
        hidden = self.encoder(inputs["features"], is_training) * inputs["scale"]
        return self.head(self.dropout(hidden, is_training=is_training))


def build(kind: str) -> Produced:
    """Builds the model of `kind` as Sonnet modules and exports it in process."""
    model = _Model(kind)
    signature = (
        _FEATURES if kind == "mlp" else {"features": _FEATURES, "scale": tf.TensorSpec([None, 1], tf.float32)}
    )
    snt.build(model, signature, is_training=False)
    values = arch.weights()
    for variable, key in (
        (model.encoder.linear.w, "dense_kernel"),
        (model.encoder.linear.b, "dense_bias"),
        (model.encoder.norm.scale, "gamma"),
        (model.encoder.norm.offset, "beta"),
        (model.head.w, "head_kernel"),
        (model.head.b, "head_bias"),
    ):
        variable.assign(np.reshape(values[key], variable.shape))
    callables = {arch.CALLABLE: (model.encoder, _FEATURES)} if kind == "rich" else None
    piece = from_sonnet(
        model, input_signature=signature, regularizers={"*/w": snt.regularizers.L2(arch.L2)}, callables=callables
    )
    inputs = arch.inputs(kind)
    encoder_call = lambda x, training: model.encoder(tf.constant(x), training)  # noqa: E731
    truth = tf_truth(
        call=lambda x, training: model(tf.nest.map_structure(tf.constant, x), training),
        inputs=inputs,
        trainables=model.trainable_variables,
        state=[v for v in model.variables if not v.trainable],
        regularization=lambda: arch.l2(model.encoder.linear.w.numpy(), model.head.w.numpy()),
        stochastic_training=kind == "rich",
        callables={arch.CALLABLE: (encoder_call, inputs["features"])} if kind == "rich" else None,
    )
    return Produced(in_process=piece, save=lambda path: rsm.save(piece, path), truth=truth, inputs=inputs)
