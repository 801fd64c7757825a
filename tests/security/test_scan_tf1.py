"""TF1 load-time paths: local-variable initializers, the saver's filename default, asset tensors.

Each attack is shown to work with plain TensorFlow first (writing or reading only inside
tmp_path), then the strict scan must refuse it before `tf.saved_model.load` runs.
"""

from __future__ import annotations

import pytest
import scan_attack_models as hostile
import tensorflow as tf

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.interface.scanner import _allowlist_scan as allowlist_scan


def test_the_local_variable_attack_is_real(tmp_path):
    target = tmp_path / "written"
    target.mkdir()
    model = hostile.tf1_local_variable_saves(tmp_path / "model", str(target / "pwned"))
    tf.saved_model.load(str(model))  # no init op: the loader runs the local initializers
    assert sorted(p.name for p in target.iterdir()) == ["pwned.data-00000-of-00001", "pwned.index"]


def test_a_local_variable_initializer_running_the_save_op_is_refused(tmp_path, outside, no_load):
    model = hostile.tf1_local_variable_saves(tmp_path / "model", str(outside / "pwned"))
    report = rsm.scan(model)
    with pytest.raises(rsm.UnsafeModelError, match="refused by the strict scan"):
        rsm.load(model, scan="strict")
    writes = {f.op: f for f in report.findings if f.category is allowlist_scan.Category.FILE_WRITE}
    assert set(writes) == {"SaveV2", "MergeV2Checkpoints"}
    assert all("initializer local_variables" in f.entries for f in writes.values())
    # The filename's default (what an unfed run writes to) is itself flagged, on every saver op.
    [restore] = [f for f in report.findings if f.op == "RestoreV2"]
    assert "filename placeholder defaults to an absolute path" in restore.reason


def test_the_asset_tensor_attack_is_real(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the secret\n")
    vocabulary = tmp_path / "vocab.txt"
    vocabulary.write_text("a\nb\n")
    model = hostile.tf1_asset_read_by_a_signature(tmp_path / "model", vocabulary, secret)
    leak = tf.saved_model.load(str(model)).signatures["leak"]
    assert leak(x=tf.constant([1.0]))["lines"].numpy().tolist() == [b"the secret"]


def test_an_asset_tensor_read_outside_the_init_op_is_refused(tmp_path, outside, no_load):
    vocabulary = tmp_path / "vocab.txt"
    vocabulary.write_text("a\nb\n")
    model = hostile.tf1_asset_read_by_a_signature(tmp_path / "model", vocabulary, outside / "secret.txt")
    report = rsm.scan(model)
    with pytest.raises(rsm.UnsafeModelError, match="refused by the strict scan"):
        rsm.load(model, scan="strict")
    [finding] = report.findings
    assert (finding.op, finding.node, finding.entries) == ("InitializeTableFromTextFileV2", "fill", ("signature leak",))
    assert "read where the loader does not feed the asset's path" in finding.reason
