"""The matrix's Keras-on-JAX side, run as `python -m conformance.keras_jax_child COMMAND DIR`.

Keras fixes its backend at import and the matrix runs Keras on TensorFlow, so
`conformance.keras_jax` starts this module in a child interpreter with
`KERAS_BACKEND=jax`. It reads `DIR/request` and writes `DIR/response` (`conformance.wire`):

* `produce`: request `{"kinds": [...]}`; builds each model with Keras on JAX, exports it
  with `from_keras` and `rsm.save` to `DIR/<kind>`, and answers `kind -> Truth`, computed
  with Keras's own `stateless_call` under `jax.grad` (regularization by hand).
* `consume`: request `key -> job` (a saved model's path, its inputs, the named
  callables' inputs, the ways to wrap it); answers `key -> way -> figures`, the answers of
  `KerasLayer` on JAX to every question of the checks (`conformance.recorded.record`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import jax
import keras
import numpy as np

from conformance import architecture as arch
from conformance import wire
from conformance.keras_family import build_model
from conformance.produce_jax import jax_truth
from conformance.recorded import record
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.crosscheck.compare import Leaves, Truth, ValueGrad, leaves
from reusable_savedmodel.adapters.crosscheck.consumer import Wrapped, handle
from reusable_savedmodel.adapters.crosscheck.consumers_jax import weighted_sum
from reusable_savedmodel.adapters.keras import KerasLayer, from_keras


class KerasJaxWrapped(Wrapped):
    """`KerasLayer(source, trainable=..., callable=...)` on Keras's JAX backend.

    Gradients come from the layer's `stateless_call` under `jax.grad`, as Keras on JAX
    trains. The layer's state is its non-trainable weights (the piece's variables); its
    own dropout seed generator is a variable but no weight, and no variable of the piece.
    """

    def __init__(self, source: Any, *, trainable: bool, callable: str | None):
        self.layer = KerasLayer(handle(source), trainable=trainable, callable=callable)

    def outputs(self, inputs: Any, training: bool) -> Leaves:  # noqa: D102
        return leaves(self.layer(inputs, training=training))

    def value_grads(self, inputs: Any, training: bool) -> list[ValueGrad]:  # noqa: D102
        trainable = [v.value for v in self.layer.trainable_variables]
        others = [v.value for v in self.layer.non_trainable_variables]

        def loss(values: list[Any]) -> Any:
            return weighted_sum(self.layer.stateless_call(values, others, inputs, training=training)[0])

        grads = jax.grad(loss)(trainable)
        return [(np.asarray(v), np.asarray(g)) for v, g in zip(trainable, grads)]

    def regularization(self) -> float:  # noqa: D102
        return float(sum(self.layer.losses)) if self.layer.losses else 0.0

    def trainable_count(self) -> int:  # noqa: D102
        return len(self.layer.trainable_weights)

    def state_after_training(self, inputs: Any) -> list[Any]:  # noqa: D102
        self.layer(inputs, training=True)
        return [np.asarray(w) for w in self.layer.non_trainable_weights]

    def remember(self) -> None:  # noqa: D102
        self._values = [np.array(v) for v in self.layer.variables]

    def restore(self) -> None:  # noqa: D102
        for variable, value in zip(self.layer.variables, self._values):
            variable.assign(value)


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


def consume(job: dict[str, Any]) -> dict[Any, Any]:
    """Every answer of `KerasLayer` on JAX about one saved model, way by way."""
    return {
        tuple(way): record(
            KerasJaxWrapped,
            job["source"],
            job["inputs"] if way[1] is None else job["callable_inputs"][way[1]],
            tuple(way),
        )
        for way in job["ways"]
    }


def main(argv: list[str]) -> int:
    command, directory = argv[0], Path(argv[1])
    if keras.backend.backend() != "jax":
        raise SystemExit(f"Keras runs on {keras.backend.backend()!r}: set KERAS_BACKEND=jax")
    request = wire.read(directory, "request")
    if command == "produce":
        response = {kind: produce(kind, directory / kind) for kind in request["kinds"]}
    elif command == "consume":
        response = {key: consume(job) for key, job in request.items()}
    else:
        raise SystemExit(f"unknown command {command!r}")
    wire.write(directory, "response", response)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
