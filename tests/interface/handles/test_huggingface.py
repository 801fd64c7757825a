"""`hf://` handles through huggingface_hub against a loopback stand-in for the Hub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from fixtures.hf_server import HfServer
from fixtures.remote_server import Server, ok
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.interface.handles import _huggingface as huggingface

pytest.importorskip("huggingface_hub")


def _files(directory: str, prefix: str = "") -> dict[str, bytes]:
    """A SavedModel directory's files keyed by their repository path."""
    root = Path(directory)
    return {prefix + p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.fixture
def hub(tmp_path, monkeypatch) -> Iterator[HfServer]:
    """The Hub at a loopback server (HF_ENDPOINT), with an empty cache (HF_HUB_CACHE)."""
    server = HfServer()
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    for name in ("RSM_OFFLINE", "HF_HUB_OFFLINE", "HF_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    yield server
    server.stop()


def test_parse():
    assert huggingface.parse("hf://org/repo") == huggingface.HfModel("org/repo", None, "")
    assert huggingface.parse("hf://org/repo@v1/models/mul") == huggingface.HfModel("org/repo", "v1", "models/mul")
    assert huggingface.parse("hf://org/repo@refs%2Fpr%2F1").revision == "refs/pr/1"
    for bad in ("hf://org", "hf://org/repo@", "hf://org/repo/../x"):
        with pytest.raises(rsm.HandleError, match="expected"):
            huggingface.parse(bad)


def test_loads_through_the_hub_and_its_cache_then_offline(hub, zoo_path, tmp_path, monkeypatch):
    sha = hub.add_repo("acme/mul", _files(zoo_path("mul")))
    piece = rsm.load("hf://acme/mul")
    expected = tf.saved_model.load(zoo_path("mul"))(tf.constant([3.0])).numpy()
    np.testing.assert_array_equal(piece(tf.constant([3.0])).numpy(), expected)
    path = rsm.resolve("hf://acme/mul")
    assert path == tmp_path / "hf-cache" / "models--acme--mul" / "snapshots" / sha
    # The snapshot's files are links to the repository's blobs/, which count as inside it.
    assert (path / "saved_model.pb").resolve().parent == path.parents[1] / "blobs"
    assert hub.requests["GET /acme/mul/resolve/" + sha + "/saved_model.pb"] == 1  # cached since
    hub.stop()
    monkeypatch.setenv("RSM_OFFLINE", "1")
    np.testing.assert_array_equal(rsm.load("hf://acme/mul")(tf.constant([3.0])).numpy(), expected)


def test_revision_and_subdirectory(hub, zoo_path):
    files = {**_files(zoo_path("mul"), "exports/mul/"), "README.md": b"not downloaded"}
    sha = hub.add_repo("acme/models", files, revision="v2")
    path = rsm.resolve("hf://acme/models@v2/exports/mul")
    assert path.name == "mul" and (path / "saved_model.pb").is_file()
    assert not (path.parent.parent / "README.md").exists()  # only the subdirectory came
    assert hub.requests[f"GET /acme/models/resolve/{sha}/README.md"] == 0


@pytest.mark.parametrize("status", [401, 403])
def test_gated_or_private_repo_says_how_to_authenticate(hub, status):
    hub.refuse("acme/gated", status, "GatedRepo")
    with pytest.raises(rsm.DownloadError, match=rf"HTTP {status}: acme/gated is private or gated .* Set HF_TOKEN"):
        rsm.resolve("hf://acme/gated")


def test_missing_repository_and_revision(hub, zoo_path):
    with pytest.raises(rsm.HandleError, match=r"no such repository acme/absent"):
        rsm.resolve("hf://acme/absent")
    hub.add_repo("acme/mul", _files(zoo_path("mul")))
    with pytest.raises(rsm.HandleError, match=r"acme/mul has no revision 'v9'"):
        rsm.resolve("hf://acme/mul@v9")


def test_offline_without_a_cached_copy_fails_clearly(hub):
    with pytest.raises(rsm.DownloadError, match=r"offline and not in the Hugging Face cache"):
        rsm.resolve("hf://acme/mul", offline=True)


def test_archive_options_are_refused(hub):
    with pytest.raises(rsm.HandleError, match=r"options \['sha256'\] do not apply to hf:// handles"):
        rsm.resolve("hf://acme/mul", sha256="0" * 64)


def test_token_does_not_follow_a_redirect_to_another_port(hub, zoo_path, monkeypatch):
    """A file kept elsewhere on the same host (another port): the token stays with the Hub."""
    monkeypatch.setenv("HF_TOKEN", "hf_secret")
    files = _files(zoo_path("mul"))
    storage = Server()
    try:
        url = storage.route("/blob/variables.index", ok(files["variables/variables.index"]))
        hub.add_repo("acme/mul", files)
        hub.redirect("acme/mul", "variables/variables.index", url)
        path = rsm.resolve("hf://acme/mul")
        assert (path / "variables/variables.index").read_bytes() == files["variables/variables.index"]
    finally:
        storage.stop()
    assert set(hub.authorization) == {"Bearer hf_secret"}  # sent to the Hub
    assert storage.authorization["/blob/variables.index"] == [None]
