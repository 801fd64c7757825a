"""Handles whose path segments climb out of where they are looked up: refused in every form."""

from __future__ import annotations

import shutil

import pytest

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.interface.handles import _huggingface as huggingface
from reusable_savedmodel.interface.handles import _kaggle as kaggle


@pytest.fixture
def mount(tmp_path, monkeypatch):
    """A Kaggle notebook mount at tmp/a/kaggle-input, and a model outside it at tmp/victim/1."""
    root = tmp_path / "a" / "kaggle-input"
    root.mkdir(parents=True)
    monkeypatch.setenv("KAGGLE_CACHE_MOUNT_FOLDER", str(root))
    monkeypatch.setenv("KAGGLEHUB_CACHE", str(tmp_path / "kagglehub"))
    monkeypatch.setenv("RSM_KAGGLE_ENDPOINT", "http://127.0.0.1:9")  # nothing is fetched
    monkeypatch.setenv("RSM_CACHE_DIR", str(tmp_path / "cache"))
    return root


@pytest.mark.parametrize(
    "handle",
    [
        "kaggle://acme/../../victim/1",
        "http://127.0.0.1:9/models/acme/../../victim/1",
        "http://127.0.0.1:9/models/acme/../frameworks/../variations/victim/versions/1",
    ],
)
def test_kaggle_segments_cannot_leave_the_notebook_mount(mount, tmp_path, zoo_path, handle):
    outside = tmp_path / "victim" / "1"
    shutil.copytree(zoo_path("mul"), outside)
    # The harm: looked up as the segments say, the model is the directory outside the mount.
    assert kaggle.local_copy(kaggle.KaggleModel("acme", "..", "..", "victim", 1)).resolve() == outside
    with pytest.raises(rsm.HandleError, match=r"each path segment a plain name .* got the segment '\.\.'"):
        rsm.resolve(handle)
    assert not (tmp_path / "cache").exists()


@pytest.mark.parametrize(
    "handle, segment",
    [
        ("kaggle://acme//tensorflow2/small/1", ""),
        ("kaggle://acme/./tensorflow2/small/1", "."),
        ("hf://../repo", ".."),
        ("hf://org/./x", "."),
        ("hf://org/repo@..%2F..%2F..%2Fescaped", ".."),
        ("hf://org/repo//sub", ""),
    ],
)
def test_empty_dot_and_dot_dot_segments_in_every_form(handle, segment):
    parse = kaggle.parse if handle.startswith("kaggle") else huggingface.parse
    with pytest.raises(rsm.HandleError, match=f"got the segment '{segment}'"):
        parse(handle)


def test_plain_segments_still_parse():
    assert huggingface.parse("hf://org/repo@refs%2Fpr%2F1/a/b").revision == "refs/pr/1"
    assert kaggle.parse("kaggle://acme/mul.v2/tensorflow2/small-1/3").model == "mul.v2"
