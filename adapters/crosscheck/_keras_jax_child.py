"""`KerasLayer` on Keras's JAX backend, answering the checks in a child interpreter.

Started by `child.ChildConsumer.record` as `python -m
reusable_savedmodel.adapters.crosscheck._keras_jax_child DIR` with `KERAS_BACKEND=jax`: it
reads `key -> job` requests (a saved model's path, the ways to wrap it, each with the
inputs to call it on) and answers `key -> way -> figures`, every answer of
`KerasLayer` on JAX to the checks' questions (`recorded.record`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import jax
import numpy as np

from reusable_savedmodel.adapters.crosscheck._child import require_keras_backend, serve
from reusable_savedmodel.adapters.crosscheck._compare import Leaves, ValueGrad, leaves
from reusable_savedmodel.adapters.crosscheck._consumer import Wrapped, handle
from reusable_savedmodel.adapters.crosscheck._consumers_jax import weighted_sum
from reusable_savedmodel.adapters.crosscheck._recorded import record
from reusable_savedmodel.adapters.keras import KerasLayer


class KerasJaxWrapped(Wrapped):
    """`KerasLayer(source, trainable=..., callable=...)` on Keras's JAX backend.

    Gradients come from the layer's `stateless_call` under `jax.grad`, as Keras on JAX
    trains. The layer's state is its non-trainable weights (the piece's variables); its
    own dropout seed generator is a variable but no weight, and no variable of the piece.
    """

    def __init__(self, source: Any, *, trainable: bool, callable: str | None, signature: str | None = None):
        self.layer = KerasLayer(handle(source), trainable=trainable, callable=callable, signature=signature)

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


def answer(request: dict[str, Any]) -> dict[str, Any]:
    """Every answer of `KerasLayer` on JAX about each requested saved model, way by way.

    Raises:
      KerasBackendError: if this interpreter runs Keras on another backend.
    """
    require_keras_backend("jax")
    return {
        key: {tuple(way): record(KerasJaxWrapped, job["source"], inputs, tuple(way)) for way, inputs in job["ways"]}
        for key, job in request.items()
    }


if __name__ == "__main__":
    serve(Path(sys.argv[1]), answer)
