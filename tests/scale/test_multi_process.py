"""Multi-process runs on localhost, each equal to the same training in one process.

- `tf.distribute.MultiWorkerMirroredStrategy`: 2 worker processes (`TF_CONFIG`) train a Keras
  model around a trainable `KerasLayer` (a custom loop: see keras_worker.py), against
  `model.fit` in one process;
- `jax.distributed.initialize`: 2 CPU processes run a data-parallel `to_jax` training step.

Workers listen on 127.0.0.1 only, on ports picked free; every process has a timeout.
"""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import jax
import multi_process_training as training
import numpy as np
import pytest

from fixtures import bounded
from fixtures.tolerances import assert_close

# Child interpreters or large models: left out of the quick loop (pytest -m "not slow").
pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
#: CPU seconds a worker may use (`bounded`: its work, however busy the machine is).
CPU_S = 480


def free_ports(count: int) -> list[int]:
    """Ports on 127.0.0.1 that were free a moment ago (bound, then released)."""
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def worker_environment(**extra: str) -> dict[str, str]:
    """The test's environment without its two virtual devices (one device per process)."""
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "TF_CONFIG")}
    env.update(TF_CPP_MIN_LOG_LEVEL="2", **extra)
    return env


def run_workers(commands: list[list[str]], environments: list[dict[str, str]]) -> None:
    """Starts every worker at once and waits for all; kills them all on a timeout or a failure."""
    processes = [
        bounded.popen(c, cpu_s=CPU_S, cwd=HERE, env=e, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for c, e in zip(commands, environments)
    ]
    try:
        outputs = [p.communicate(timeout=bounded.HANG_GUARD_S)[0] for p in processes]
    finally:
        for p in processes:
            if p.poll() is None:
                p.kill()
                p.wait()
    for p, output in zip(processes, outputs):
        assert p.returncode == 0, output[-4000:]


@pytest.fixture(scope="module")
def mlp(zoo_path):
    return zoo_path("mlp")


def test_multi_worker_mirrored_fit_equals_one_process_fit(mlp, tmp_path):
    ports = free_ports(training.WORKERS)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    outs = [tmp_path / f"worker{i}.npz" for i in range(training.WORKERS)]
    run_workers(
        [[sys.executable, "keras_worker.py", mlp, str(out)] for out in outs],
        [
            worker_environment(TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}))
            for i in range(training.WORKERS)
        ],
    )

    model = training.keras_classifier(mlp)
    initial = [np.array(w) for w in model.trainable_weights]
    history = model.fit(
        training.X, training.LABELS, batch_size=training.GLOBAL_BATCH, epochs=training.EPOCHS,
        shuffle=False, verbose=0,
    ).history["loss"]
    assert len(initial) == 4  # Dense kernel and bias, decoder kernel and bias
    for out in outs:
        saved = np.load(out)
        # fit logs each epoch's mean of the step losses the workers returned.
        assert_close(saved["loss"].reshape(training.EPOCHS, training.STEPS).mean(axis=1), np.asarray(history))
        for i, (weight, old) in enumerate(zip(model.trainable_weights, initial, strict=True)):
            assert_close(saved[f"arr_{i}"], np.asarray(weight))
            assert not np.allclose(saved[f"arr_{i}"], old)  # it trained


def test_jax_distributed_step_equals_one_process_step(mlp, tmp_path):
    from reusable_savedmodel.adapters.jax import to_jax

    (port,) = free_ports(1)
    outs = [tmp_path / f"process{i}.npz" for i in range(training.WORKERS)]
    run_workers(
        [[sys.executable, "jax_worker.py", mlp, str(out), f"127.0.0.1:{port}", str(i)] for i, out in enumerate(outs)],
        [worker_environment(JAX_PLATFORMS="cpu") for _ in outs],
    )

    piece = to_jax(mlp)
    x, labels = training.X[: training.GLOBAL_BATCH], training.LABELS[: training.GLOBAL_BATCH]
    params, state, loss = jax.jit(training.jax_train_step(piece))(piece.params, piece.state, x, labels)
    for out in outs:
        saved = np.load(out)
        assert_close(saved["loss"], np.asarray(loss))
        for name, value in params.items():
            assert_close(saved[f"params/{name}"], np.asarray(value))
        # It trained (the dense bias ahead of batch norm has no gradient, the rest has).
        trained = [n for n in params if not np.allclose(saved[f"params/{n}"], np.asarray(piece.params[n]))]
        assert len(trained) >= len(params) - 1, trained
        for name, value in state.items():  # batch norm over the global batch, in both runs
            assert_close(saved[f"state/{name}"], np.asarray(value))
