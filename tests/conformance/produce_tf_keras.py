"""Producer: tf_keras (Keras 2), saved with `tf.saved_model.save`: the classic TF Hub export.

A tf_keras model gets the protocol's attributes only when saved, so in process it is
handed to consumers as is (and they reject it).
"""

from __future__ import annotations

import os

import tensorflow as tf
import tf_keras

from conformance import architecture as arch
from conformance.keras_family import build_model, keras_truth
from conformance.produced import Produced


def build(kind: str) -> Produced:
    """Builds the model of `kind` in tf_keras; `save` writes the classic export."""
    model, encoder = build_model(tf_keras, kind)
    if kind == "rich":
        # Tracked as an attribute, the sub-model is saved as the named callable `encoder`.
        model.encoder = encoder
    inputs = arch.inputs(kind)
    truth = keras_truth(model, encoder, kind, inputs, variable=lambda w: w)
    return Produced(
        in_process=model,
        save=lambda path: tf.saved_model.save(model, os.fspath(path)),
        truth=truth,
        inputs=inputs,
    )
