"""Producer: Keras 3, exported with `from_keras`."""

from __future__ import annotations

import keras

from conformance import architecture as arch
from conformance.keras_family import build_model, keras_truth
from conformance.produced import Produced
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.keras import from_keras


def build(kind: str) -> Produced:
    """Builds the model of `kind` in Keras 3 and exports it in process."""
    model, encoder = build_model(keras, kind)
    callables = {arch.CALLABLE: encoder} if kind == "rich" else None
    piece = from_keras(model, callables=callables)
    inputs = arch.inputs(kind)
    truth = keras_truth(model, encoder, kind, inputs, variable=lambda w: w.value)
    return Produced(in_process=piece, save=lambda path: rsm.save(piece, path), truth=truth, inputs=inputs)
