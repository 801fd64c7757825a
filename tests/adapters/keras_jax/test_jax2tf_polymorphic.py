"""`KerasLayer` on `KERAS_BACKEND=jax` over jax2tf exports (Flax NNX and linen) with a
symbolic batch: Keras's symbolic build on `keras.Input((8, 8, 3))` keeps the batch unknown,
and predictions at two batch sizes match the raw `tf.saved_model.load` object."""

from __future__ import annotations

import importlib.util
import os
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from fixtures import bounded
from fixtures.tolerances import assert_close

# Child interpreters: left out of the quick loop (pytest -m "not slow").
pytestmark = pytest.mark.slow

_PRODUCERS = Path(__file__).parents[1] / "jax" / "gradient_producers.py"
_spec = importlib.util.spec_from_file_location("jax_gradient_producers", _PRODUCERS)
producers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(producers)

#: Builds the model on Keras's JAX backend, predicts, writes `output_shape` and predictions.
_CONSUMER = """
import json, sys
import keras
import numpy as np
from reusable_savedmodel.adapters.keras import KerasLayer

path, inputs, out = sys.argv[1:]
assert keras.backend.backend() == "jax"
model = keras.Sequential([keras.Input((8, 8, 3)), KerasLayer(path)])
with np.load(inputs) as xs:
    predictions = {k: model.predict(xs[k], verbose=0) for k in xs.files}
np.savez(out, **predictions)
print(json.dumps(list(model.output_shape)))
"""


@pytest.mark.parametrize(
    "model, script",
    [("nnx", producers.NNX_JAX2TF_POLYMORPHIC), ("linen", producers.LINEN_JAX2TF_POLYMORPHIC)],
)
def test_sequential_builds_on_a_symbolic_batch(tmp_path, model, script):
    path = producers.produce(tmp_path, model, script)
    xs = {f"b{b}": np.random.RandomState(b).rand(b, 8, 8, 3).astype(np.float32) for b in (1, 3)}
    np.savez(tmp_path / "inputs.npz", **xs)
    result = bounded.run(
        [
            sys.executable,
            "-c",
            textwrap.dedent(_CONSUMER),
            path,
            str(tmp_path / "inputs.npz"),
            str(tmp_path / "out.npz"),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "3"},
        cpu_s=1200,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert result.stdout.strip().splitlines()[-1] == "[null, 5]"
    raw = tf.saved_model.load(path)
    with np.load(tmp_path / "out.npz") as predictions:
        for name, x in xs.items():
            assert_close(predictions[name], raw(tf.constant(x)))
