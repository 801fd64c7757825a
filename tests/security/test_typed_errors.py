"""Broken or mismatched files and bad inputs raise typed errors that say what was expected."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from reusable_savedmodel import interface as rsm


@pytest.fixture
def mlp_copy(tmp_path, zoo_path):
    model = tmp_path / "model"
    shutil.copytree(zoo_path("mlp"), model)
    return model


def test_corrupt_variables_index(mlp_copy):
    (mlp_copy / "variables" / "variables.index").write_bytes(b"not an sstable" * 8)
    with pytest.raises(rsm.HandleError, match="checkpoint in .* is corrupt or unreadable"):
        rsm.load(mlp_copy)


def test_missing_variables_directory(mlp_copy):
    shutil.rmtree(mlp_copy / "variables")
    with pytest.raises(rsm.HandleError, match=r"expected the checkpoint .*variables.index holding its 9 variables"):
        rsm.load(mlp_copy)


def test_another_models_checkpoint(mlp_copy, zoo_path):
    shutil.rmtree(mlp_copy / "variables")
    shutil.copytree(f"{zoo_path('mul')}/variables", mlp_copy / "variables")
    with pytest.raises(rsm.HandleError, match="holds a checkpoint that does not belong to this model"):
        rsm.load(mlp_copy)


@pytest.mark.parametrize(
    "inputs, message",
    [(None, "got None"), (np.array([object(), 1.0], dtype=object), "dtype=object")],
    ids=["None", "object-array"],
)
def test_bad_inputs(zoo_path, inputs, message):
    piece = rsm.load(zoo_path("mul"))
    with pytest.raises(rsm.InputMismatchError, match=message):
        piece(inputs)


def test_deeply_nested_call_input(zoo_path):
    piece = rsm.load(zoo_path("mul"))
    deep = [1.0]
    for _ in range(5000):  # deeper than Python's recursion limit
        deep = [deep]
    with pytest.raises(rsm.InputMismatchError, match=r"expected input convertible to .*got \[\[\[.*\.\.\.\]\]\]"):
        piece(deep)


@pytest.mark.parametrize(
    "handle, message",
    [
        ("", "expected a handle .* got an empty or blank string"),
        ("file://", r"expected a local file URL with a path \(file:///abs/path\), got none"),
        ("http://[::1/m.tar.gz", r"expected a path or a well-formed URL \(Invalid IPv6 URL\)"),
        ("x" * 5000, r"expected a path to a SavedModel directory or archive, got one the file system refuses \(File name too long\)"),
    ],
    ids=["empty", "file-url-without-path", "unclosed-ipv6", "too-long"],
)
def test_bad_handles(tmp_path, zoo_path, monkeypatch, handle, message):
    shutil.copytree(zoo_path("mul"), tmp_path, dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path)  # a SavedModel in the current directory must not be loaded by ""
    for call in (rsm.resolve, rsm.load, rsm.scan):
        with pytest.raises(rsm.HandleError, match=message):
            call(handle)
