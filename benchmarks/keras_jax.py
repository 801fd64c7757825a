"""Keras on the JAX backend: `KerasLayer` against the same network written in Keras itself.

Keras fixes its backend when it is imported, so these paths run in a child interpreter
started with `KERAS_BACKEND=jax` (`rows` starts it; it runs this module), which times
them with the harness's own machinery and prints its rows as JSON.

Each `KerasLayer` path pairs with a native path doing the same work on the same weights:
a `Sequential` of `keras.Input` and a trainable `KerasLayer` over `keras_mlp`, against a
`Sequential` of its two `Dense` layers (see `benchmarks.native`), the two checked to
compute the same outputs before anything is timed. Per pair: the eager call `model(x)`
(a JAX array), `model.predict(x)` (one batch), and one training step. The step is
`train_on_batch` of the model compiled alike (SGD, sparse cross entropy on logits,
Keras's jit-compiled train function on JAX), timed after the first call has compiled it:
the same jitted update for both models, without the per-epoch set-up (data adapter,
callbacks) that `fit` adds on a single batch and that would dilute the ratio. Each pair
is timed interleaved on its own, so its row ratios are the native path's same call.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks import models, native, suite, timing
from benchmarks.binding import Bind
from benchmarks.source import Source

#: The model the native network is written for.
MODEL = models.NATIVE_MODEL
#: The paths' names end so: the JAX-backend table shares path names with no other.
SUFFIX = " (JAX)"
#: (KerasLayer path, native path) per kind of call, in report order.
PAIRS = tuple((f"KerasLayer {kind}{SUFFIX}", f"native Keras {kind}{SUFFIX}") for kind in ("eager", "predict", "step"))


def _native_model(source: Source) -> Any:
    return native.keras_model(source.obj)


def _layer_model(source: Source) -> Any:
    """A `Sequential` around a trainable `KerasLayer`, checked against the native network.

    Raises:
      AssertionError: if it and the native network differ on a batch (reported in the row).
    """
    import keras

    from reusable_savedmodel.adapters.keras import KerasLayer

    # Each layer owns Keras variables initialized from the piece: one training does not
    # move another's weights.
    model = keras.Sequential([keras.Input(models.SHAPES[MODEL]), KerasLayer(source.piece, trainable=True)])
    x = models.inputs(MODEL, 2)
    np.testing.assert_allclose(
        np.asarray(model(x)), np.asarray(_native_model(source)(x)), rtol=1e-5, atol=1e-6,
        err_msg="KerasLayer and the native network compute different outputs",
    )
    return model


def _eager(model: Any) -> Bind:
    import jax.numpy as jnp

    def bind(x: np.ndarray) -> Callable[[], Any]:
        xs = jnp.asarray(x)
        return lambda: model(xs)

    return bind


def _builders(make: Callable[[Source], Any]) -> tuple[Callable[[Source], Bind], ...]:
    """Eager, predict and step builders over models made by `make`, each its own model."""
    from benchmarks.paths import predict

    return (lambda s: _eager(make(s)), lambda s: predict(make(s)), lambda s: native.keras_step(make(s)))


def _measure(path: Path, batches: list[int], settings: timing.Settings) -> list[dict[str, Any]]:
    """Times every pair on `path` (this process must run Keras on JAX)."""
    from reusable_savedmodel.adapters.crosscheck._child import require_keras_backend

    require_keras_backend("jax")
    rows = []
    for (layer, own), layer_build, own_build in zip(PAIRS, _builders(_layer_model), _builders(_native_model)):
        rows += suite.call_overhead(
            [MODEL], lambda _: Source(path), {layer: layer_build, own: own_build}, [own], batches, settings
        )
    return rows


def rows(path: Path, batches: list[int], settings: timing.Settings) -> list[dict[str, Any]]:
    """Times the pairs in a child interpreter running Keras on JAX.

    Args:
      path: The `keras_mlp` SavedModel.
      batches: Batch sizes.
      settings: How long to time (per pair and batch).

    Returns:
      Rows as `suite.call_overhead` makes them, a pair's native path its rows' baseline.

    Raises:
      subprocess.CalledProcessError: if the child fails (its errors went to stderr).
    """
    done = subprocess.run(
        [sys.executable, "-m", __name__, str(path), json.dumps(batches), json.dumps(dataclasses.asdict(settings))],
        stdout=subprocess.PIPE, text=True, check=True, cwd=Path(__file__).parents[1],
        env={**os.environ, "KERAS_BACKEND": "jax"},
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    rows_measured = _measure(Path(sys.argv[1]), json.loads(sys.argv[2]), timing.Settings(**json.loads(sys.argv[3])))
    print(json.dumps(rows_measured))
