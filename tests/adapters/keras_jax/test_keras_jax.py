"""Keras 3 on the JAX backend: `KerasLayer` and `from_keras`, each scenario in a JAX interpreter.

Keras fixes its backend at import and this process runs it on TensorFlow, so the scenarios
(`scenarios.py`) run in one subprocess with `KERAS_BACKEND=jax`; each test here reports one
of them. What that process exports is then loaded here, on the TensorFlow side: plain TF,
Keras on TensorFlow, tensorflow_hub's KerasLayer and Sonnet.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest
import tensorflow_hub as hub

import reusable_savedmodel.adapters.keras as rsm_keras
from fixtures import bounded, models
from fixtures.tolerances import assert_close
from reusable_savedmodel.adapters.keras import _consume as consume
from reusable_savedmodel.adapters.keras import _produce as produce
from reusable_savedmodel.adapters.sonnet import SonnetModule

# Child interpreters or large models: left out of the quick loop (pytest -m "not slow").
pytestmark = pytest.mark.slow

HERE = Path(__file__).parent
SCRIPT = HERE / "scenarios.py"
#: The scenario functions of `scenarios.py`, run in this order in one subprocess.
SCENARIOS = (
    "seeds_example",
    "mlp_matches_raw_tf",
    "mlp_fit_and_state",
    "fit_then_save_piece",
    "frozen_layer",
    "callables_arguments_signatures",
    "unconvertible_piece",
    "keras_file_round_trip",
    "from_keras_export",
    "other_implementations_refuse",
)
CPU_S = 1200


@pytest.fixture(scope="module")
def jax_run(tmp_path_factory, zoo_path):
    """Runs every scenario in one `KERAS_BACKEND=jax` interpreter; returns (work dir, results)."""
    work = tmp_path_factory.mktemp("keras_jax")
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "PYTHONPATH": os.pathsep.join([str(HERE.parents[1]), os.environ.get("PYTHONPATH", "")]),
    }
    paths = [zoo_path(name) for name in ("mul", "mlp", "tf_keras_mlp")]
    process = bounded.run(
        [sys.executable, str(SCRIPT), str(work), *paths, *SCENARIOS],
        env=env,
        capture_output=True,
        text=True,
        cpu_s=CPU_S,
    )
    results_file = work / "results.json"
    if process.returncode != 0 or not results_file.exists():
        pytest.fail(
            f"the JAX interpreter failed (rc {process.returncode}):\n{process.stderr[-6000:]}"
        )
    return work, json.loads(results_file.read_text())


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_scenario_on_jax_backend(jax_run, scenario):
    _, results = jax_run
    assert scenario in results, f"{scenario} did not run"
    if results[scenario] is not None:
        pytest.fail(f"{scenario} failed on the JAX backend:\n{results[scenario]}")


def test_jax_backend_export_loads_in_tensorflow_consumers(jax_run):
    work, results = jax_run
    assert results["from_keras_export"] is None
    path = str(work / "from_keras_model")
    expected = np.load(work / "from_keras_expected.npz")
    x = models.example_inputs("tf_keras_mlp", batch=8)

    layer = consume.KerasLayer(path, trainable=True)  # Keras 3 on TensorFlow
    assert_close(layer(x), expected["outputs"])
    assert_close(sum(layer.losses), expected["regularization"])
    oracle = hub.KerasLayer(path, trainable=True)  # tf_keras
    assert_close(oracle(x), expected["outputs"])
    assert_close(sum(oracle.losses), expected["regularization"])
    module = SonnetModule(path)
    assert_close(module(x), expected["outputs"])


def test_jax_backend_keras_file_loads_on_tensorflow(jax_run):
    work, results = jax_run
    assert results["keras_file_round_trip"] is None
    loaded = keras.saving.load_model(work / "layer.keras")
    (layer,) = loaded.layers
    assert type(layer) is consume.KerasLayer
    x = models.example_inputs("tf_keras_mlp", batch=8)
    assert_close(loaded.predict(x, verbose=0), np.load(work / "keras_file_outputs.npy"))


def test_backends_outside_tensorflow_and_jax_are_refused(monkeypatch, zoo_path):
    assert rsm_keras.KerasLayer is consume.KerasLayer  # this process runs Keras on TensorFlow
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    with pytest.raises(rsm_keras.UnsupportedBackendError, match="tensorflow and jax.*'torch'"):
        consume.KerasLayer(zoo_path("mul"))
    with pytest.raises(rsm_keras.UnsupportedBackendError, match="tensorflow and jax.*'torch'"):
        produce.from_keras(keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]))


def test_export_names_variables_by_keras_path_and_numbers_shared_paths():
    from reusable_savedmodel.adapters.keras_jax._produce import _variable_paths  # no Keras classes

    variables = [SimpleNamespace(path=p) for p in ("a/kernel", "b/kernel", "a/kernel")]
    assert _variable_paths(variables) == ["a/kernel_0", "b/kernel", "a/kernel_2"]


def test_the_jax_implementation_imports_first_or_second():
    # The Keras adapter loads its JAX-backend plugin while being imported, and the plugin
    # imports the adapter: both import orders must give the one class.
    script = (
        "from reusable_savedmodel.adapters.keras_jax import KerasLayer\n"
        "import reusable_savedmodel.adapters.keras as rsm_keras\n"
        "import reusable_savedmodel.adapters.keras_jax._produce as produce\n"
        "assert rsm_keras.KerasLayer is KerasLayer, rsm_keras.KerasLayer\n"
        "assert rsm_keras.from_keras is produce.from_keras, rsm_keras.from_keras\n"
        "assert 'KerasLayer' in rsm_keras.__all__ and not hasattr(rsm_keras, 'missing')\n"
    )
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    process = bounded.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, cpu_s=CPU_S
    )
    assert process.returncode == 0, process.stderr[-3000:]
