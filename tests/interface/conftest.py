"""Fixtures for the remote-handle and cache tests: a local HTTP server, a cache, an archive."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from remote_server import Server, tar_bytes


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
