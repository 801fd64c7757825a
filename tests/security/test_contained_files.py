"""Assets and checkpoint shards linked to files outside the model: refused by scan, load and save.

Each test first shows the harm with plain TensorFlow (the model reads, and re-exporting
copies, the outside file), then that the library refuses before TensorFlow reads anything.
"""

from __future__ import annotations

import shutil

import pytest
import tensorflow as tf
from file_attacks import SHARD, relink, vocabulary_model

from reusable_savedmodel import interface as rsm

ASSET = "assets/vocab.txt"
_SECRET_LINE = "the secret"  # the first line of outside/secret.txt


def _refused_everywhere(model, monkeypatch, match):
    """`rsm.scan`, `rsm.load` and `rsm.save` of the handle refuse it; TensorFlow never loads it."""
    monkeypatch.setattr(tf.saved_model, "load", lambda *a, **k: pytest.fail("TensorFlow loaded the model"))
    with pytest.raises(rsm.UnsafeModelError, match=match):
        rsm.scan(model)
    with pytest.raises(rsm.UnsafeModelError, match=match):
        rsm.load(model)
    with pytest.raises(rsm.UnsafeModelError, match=match):
        rsm.save(model, model.parent / "copy")
    assert not (model.parent / "copy").exists()


@pytest.mark.parametrize("hard", [False, True], ids=["symlink", "hardlink"])
def test_asset_linked_to_a_file_outside(tmp_path, monkeypatch, outside, hard):
    model = relink(vocabulary_model(tmp_path / "model", tmp_path), ASSET, outside / "secret.txt", hard=hard)
    # The harm: the table is the secret's lines, and a re-export carries the secret file.
    raw = tf.saved_model.load(str(model))
    assert raw(tf.constant([_SECRET_LINE, "a"])).numpy().tolist() == [0, -1]
    tf.saved_model.save(raw, str(tmp_path / "export"))
    assert (tmp_path / "export" / ASSET).read_text() == (outside / "secret.txt").read_text()
    match = "must lie inside its directory" + (".*hard link to a file elsewhere" if hard else f".*{ASSET} -> {outside}")
    _refused_everywhere(model, monkeypatch, match)


def test_save_refuses_an_object_loaded_from_a_linked_model(tmp_path, outside):
    """An object TensorFlow loaded itself: `rsm.save` would copy the secret into the export."""
    model = relink(vocabulary_model(tmp_path / "model", tmp_path), ASSET, outside / "secret.txt")
    raw = tf.saved_model.load(str(model))
    with pytest.raises(rsm.UnsafeModelError, match=f"refusing to save .*{ASSET} -> {outside}"):
        rsm.save(raw, tmp_path / "export", check=False)
    assert not (tmp_path / "export").exists()


def test_assets_directory_linked_outside(tmp_path, monkeypatch, outside):
    model = vocabulary_model(tmp_path / "model", tmp_path)
    shutil.move(model / "assets", outside / "assets")
    (model / "assets").symlink_to(outside / "assets")
    try:
        _refused_everywhere(model, monkeypatch, f"assets -> {outside / 'assets'}")
    finally:
        (model / "assets").unlink()
        shutil.rmtree(outside / "assets")  # the fixture checks that nothing else changed


def test_checkpoint_linked_outside(tmp_path, monkeypatch, outside):
    """Index and shard come from another model (scale 7): loading would take its values."""
    model = vocabulary_model(tmp_path / "model", tmp_path)
    other = vocabulary_model(tmp_path / "other", tmp_path, scale=7)
    elsewhere = tmp_path / "elsewhere"
    shutil.copytree(other / "variables", elsewhere)
    for name in ("variables.index", SHARD.split("/")[1]):
        relink(model, f"variables/{name}", elsewhere / name)
    assert int(tf.saved_model.load(str(model)).scale.numpy()) == 7  # the harm
    _refused_everywhere(model, monkeypatch, f"{SHARD} -> {elsewhere}")


def test_dangling_link(tmp_path, monkeypatch):
    model = relink(vocabulary_model(tmp_path / "model", tmp_path), ASSET, tmp_path / "gone")
    _refused_everywhere(model, monkeypatch, f"{ASSET} is a link that leads nowhere")


def test_links_inside_the_model_are_fine(tmp_path):
    """A link to another file of the same model, and a model directory reached through a link."""
    model = vocabulary_model(tmp_path / "model", tmp_path)
    (model / "extra").mkdir()
    shutil.move(model / ASSET, model / "extra" / "vocab.txt")
    (model / ASSET).symlink_to("../extra/vocab.txt")
    (model / "extra" / "same.txt").hardlink_to(model / "extra" / "vocab.txt")
    (tmp_path / "alias").symlink_to(model)
    assert rsm.scan(tmp_path / "alias").safe
    piece = rsm.load(tmp_path / "alias")
    assert piece(tf.constant(["b", "a", "z"])).numpy().tolist() == [1, 0, -1]
    saved = rsm.save(piece, tmp_path / "export")
    assert saved(tf.constant(["b"])).numpy().tolist() == [1]


def test_hugging_face_snapshot_links_only_into_its_blobs(tmp_path, monkeypatch, outside):
    """A cache snapshot's files link to blobs/ beside snapshots/; anywhere else is outside."""
    repo = tmp_path / "models--acme--vocab"
    model = vocabulary_model(repo / "snapshots" / "rev", tmp_path)
    (repo / "blobs").mkdir()
    for path in [p for p in model.rglob("*") if p.is_file()]:
        blob = repo / "blobs" / path.relative_to(model).as_posix().replace("/", "-")
        shutil.move(path, blob)
        path.symlink_to(blob)
    assert rsm.load(model)(tf.constant(["b"])).numpy().tolist() == [1]
    relink(model, ASSET, outside / "secret.txt")
    _refused_everywhere(model, monkeypatch, f"{ASSET} -> {outside}")
