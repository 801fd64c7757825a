"""load/resolve on local handles, and the error for each kind of bad handle."""

import pathlib
import shutil

import numpy as np
import pytest
import tensorflow as tf

from reusable_savedmodel import interface as rsm


def test_directory_and_file_url_resolve_to_the_same_place(zoo_path):
    path = zoo_path("mul")
    assert rsm.resolve(path) == rsm.resolve(f"file://{path}")
    np.testing.assert_allclose(rsm.load(f"file://{path}")([1.0]).numpy(), [2.0])


def test_missing_path(tmp_path):
    with pytest.raises(rsm.HandleError, match="no such file or directory"):
        rsm.load(tmp_path / "absent")


def test_plain_file_is_not_a_saved_model(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(rsm.HandleError, match=r"expected a SavedModel directory or an archive of one") as error:
        rsm.load(tmp_path / "notes.txt")
    assert "file://" not in str(error.value)  # a bare archive path works too: say nothing else


def test_directory_without_saved_model_pb(tmp_path):
    (tmp_path / "variables").mkdir()
    with pytest.raises(rsm.HandleError, match=r"is not a SavedModel directory: expected saved_model.pb, found variables"):
        rsm.load(tmp_path)


def test_corrupt_saved_model_pb(tmp_path, zoo_path):
    copy = tmp_path / "corrupt"
    shutil.copytree(zoo_path("mul"), copy)
    (copy / "saved_model.pb").write_bytes(b"\x0a\xff\xff\xff garbage")
    with pytest.raises(rsm.HandleError, match="saved_model.pb is corrupt") as info:
        rsm.load(copy)
    assert info.value.__cause__ is not None


def test_tfhub_module_pb_beside_a_tf2_graph_loads_it(tmp_path, zoo_path):
    # TF1 Hub modules load with tags=set() (tests/interface/test_real_exporters.py); a
    # directory without such a graph keeps TensorFlow's default tags.
    copy = tmp_path / "tf1"
    shutil.copytree(zoo_path("mul"), copy)
    (copy / "tfhub_module.pb").write_bytes(b"\x08\x03")
    piece = rsm.load(copy)
    assert piece.tf1_hub_module
    np.testing.assert_allclose(piece(tf.constant([1.0, 2.0])).numpy(), [2.0, 4.0])


def test_load_gives_a_fresh_object_each_time(zoo_path):
    a, b = rsm.load(zoo_path("mul")), rsm.load(zoo_path("mul"))
    a.variables[0].assign(5.0)
    assert float(b.variables[0]) == 2.0
    assert a.handle == zoo_path("mul")


def test_saved_model_pb_is_read_once_per_strict_load(zoo_path, monkeypatch):
    """The scan, the TF1 tag choice and the op check share one parse of saved_model.pb.

    Counted at the file: every read of `saved_model.pb` the library makes goes through
    `Path.read_bytes` (TensorFlow's own loader reads it with its C++ file system instead).
    """
    reads = []
    read_bytes = pathlib.Path.read_bytes

    def counting(self: pathlib.Path) -> bytes:
        if self.name == "saved_model.pb":
            reads.append(self)
        return read_bytes(self)

    monkeypatch.setattr(pathlib.Path, "read_bytes", counting)
    piece = rsm.load(zoo_path("mul"), scan="strict")
    np.testing.assert_allclose(piece([1.0]).numpy(), [2.0])
    assert len(reads) == 1
