"""Fixtures for the adversarial tests: a directory the attacks aim at, and a loader that must not run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import tensorflow as tf


def snapshot(directory: Path) -> dict[str, tuple[int, int]]:
    """Every file under `directory` with its size and modification time."""
    return {
        str(p.relative_to(directory)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
    }


@pytest.fixture
def outside(tmp_path: Path) -> Iterator[Path]:
    """Stands for everything outside the model: attacks write and read here.

    It holds one secret file; the test fails if anything in it changed or appeared.
    """
    target = tmp_path / "outside"
    target.mkdir()
    (target / "secret.txt").write_text("the secret\n")
    before = snapshot(target)
    yield target
    assert snapshot(target) == before, "an attack wrote outside the model"


@pytest.fixture
def no_load(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fails the test if TensorFlow is asked to load (and so run) a model."""

    def refuse(*args, **kwargs):
        pytest.fail("tf.saved_model.load ran on a model the checks should have refused")

    monkeypatch.setattr(tf.saved_model, "load", refuse)
