"""Shared fixtures: zoo SavedModels exported once per test session (per xdist worker)."""

from __future__ import annotations

import os

# Two logical CPU devices for the distribution tests; must be set before JAX starts.
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from collections.abc import Callable, Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

from fixtures import models  # noqa: E402
from fixtures.real_exporters import RealModels  # noqa: E402
from fixtures.remote_server import Server, tar_bytes  # noqa: E402

# Split the CPU into two logical devices before anything initializes the TF runtime.
tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()],
)


@pytest.fixture(scope="session")
def zoo_dir(tmp_path_factory) -> Path:
    """A directory the example models are exported into, once per session."""
    return tmp_path_factory.mktemp("zoo")


@pytest.fixture(scope="session")
def zoo_path(zoo_dir):
    """`zoo_path(name)` returns the path of the example model `name`, exported on first use.

    Tests that change weights must load their own copy (`rsm.load(zoo_path(name))` gives a
    fresh object each time, so loading is enough).
    """

    def get(name: str) -> str:
        path = zoo_dir / name
        if not path.exists():
            models.export(name, path)
        return str(path)

    return get


@pytest.fixture(scope="session")
def real_model(tmp_path_factory) -> RealModels:
    """`real_model(name)`: a SavedModel written by a real exporter (tf_keras, Keras 3, jax2tf,
    TF1 hub layout...) in a subprocess; see tests/fixtures/real_producers.py."""
    return RealModels(tmp_path_factory.mktemp("real"))


@pytest.fixture
def server() -> Iterator[Server]:
    """A scriptable HTTP server on 127.0.0.1, stopped after the test."""
    s = Server()
    yield s
    s.stop()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty download cache (`RSM_CACHE_DIR`) for this test, with downloads allowed."""
    root = tmp_path / "cache"
    monkeypatch.setenv("RSM_CACHE_DIR", str(root))
    monkeypatch.delenv("RSM_OFFLINE", raising=False)
    return root


@pytest.fixture(scope="session")
def mul_tgz(zoo_path: Callable[[str], str]) -> bytes:
    """The example model "mul" as a .tar.gz whose one top-level directory holds the SavedModel."""
    return tar_bytes(zoo_path("mul"), arcname="mul")
