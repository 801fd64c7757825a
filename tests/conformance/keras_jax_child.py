"""The `from_keras[jax]` producer's child: `python -m conformance.keras_jax_child DIR`.

Keras fixes its backend at import and the matrix runs Keras on TensorFlow, so
`conformance.produce_keras_jax` starts this module with `KERAS_BACKEND=jax`
(`crosscheck.child.run_module`). For a request `{"kinds": [...]}` it builds each model with
Keras on JAX, saves its `from_keras` export to `DIR/<kind>` and answers `kind -> Truth`,
computed with Keras's own `stateless_call` under `jax.grad` (regularization by hand).
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any

import keras
import numpy as np

from conformance import architecture as arch
from conformance.keras_family import build_model
from conformance.produce_jax import jax_truth
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.crosscheck._child import require_keras_backend, serve
from reusable_savedmodel.adapters.crosscheck._compare import Truth
from reusable_savedmodel.adapters.keras import from_keras


def produce(kind: str, path: Path) -> Truth:
    """Builds the model of `kind` with Keras on JAX, saves its `from_keras` export at `path`.

    Returns:
      Its truth, from the model's own `stateless_call` (never the export).
    """
    model, encoder = build_model(keras, kind)
    rsm.save(from_keras(model, callables={arch.CALLABLE: encoder} if encoder is not None else None), path)
    params = [v.value for v in model.trainable_variables]
    state = [v.value for v in model.non_trainable_variables]
    dense = model.get_layer("dense") if encoder is None else encoder.get_layer("dense")
    regularization = arch.l2(np.asarray(dense.kernel), np.asarray(model.get_layer("head").kernel))

    def encode(x: Any, training: bool) -> Any:
        values = [v.value for v in encoder.trainable_variables], [v.value for v in encoder.non_trainable_variables]
        return encoder.stateless_call(*values, x, training=training)[0]

    return jax_truth(
        lambda p, s, x, training, rng: model.stateless_call(p, s, x, training=training),
        params,
        state,
        kind,
        arch.inputs(kind),
        regularization=regularization,
        callable_call=encode,
    )


def answer(directory: Path, request: dict[str, Any]) -> dict[str, Truth]:
    """Builds and saves every requested kind in `directory`; answers `kind -> Truth`.

    Raises:
      RuntimeError: if this interpreter runs Keras on another backend.
    """
    require_keras_backend("jax")
    return {kind: produce(kind, directory / kind) for kind in request["kinds"]}


if __name__ == "__main__":
    serve(Path(sys.argv[1]), functools.partial(answer, Path(sys.argv[1])))
