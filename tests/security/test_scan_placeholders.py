"""Attribute placeholders: the scanner judges each attribute by the value the runtime will use.

An allowed op (`PrintV2`, `DecodeProtoV2`) is pure only with some attribute values. Inside a
function body the attribute can be a placeholder that the caller binds (the call node's
attributes, `f`'s or a branch's attribute map), so the node alone says nothing. The harm is
shown with plain TensorFlow first (the victim file is written, inside tmp_path only), then
the strict scan and Keras safe mode must refuse before anything runs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import scan_attack_models as hostile
import tensorflow as tf
from google.protobuf import descriptor_pb2

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.interface.scanner import _allowlist_scan as allowlist_scan
from reusable_savedmodel.interface.scanner import _call_graph as call_graph

_MODULES = {
    "call": hostile.Printer,
    "if-branch": hostile.BranchPrinter,
    "initializer": hostile.InitializerPrinter,
}


def _refused(model: Path) -> allowlist_scan.ScanReport:
    """Scans `model`, requires strict loading to refuse it, returns the report."""
    report = rsm.scan(model)
    with pytest.raises(rsm.UnsafeModelError, match="refused by the strict scan"):
        rsm.load(model, scan="strict")
    return report


@pytest.mark.parametrize("via", sorted(_MODULES))
def test_the_placeholder_attack_is_real(tmp_path, via):
    """Plain TensorFlow prints into the file the caller's binding names (the scan is needed)."""
    victim = tmp_path / "victim"
    model = hostile.placeholder_stream(tmp_path / "model", _MODULES[via](), [f"file://{victim}"])
    loaded = tf.saved_model.load(str(model))
    if via == "initializer":  # loading alone runs the initializer
        assert "attacker text" in victim.read_text()
    loaded(tf.ones([1, 3]))
    assert "attacker text" in victim.read_text()


@pytest.mark.parametrize("via", sorted(_MODULES))
def test_a_placeholder_bound_to_a_file_is_refused(tmp_path, outside, no_load, via):
    victim = outside / "victim"
    model = hostile.placeholder_stream(tmp_path / "model", _MODULES[via](), [f"file://{victim}"])
    [finding] = _refused(model).findings
    assert (finding.op, finding.category) == ("PrintV2", allowlist_scan.Category.FILE_WRITE)
    assert finding.reason == f"prints to file://{victim}"
    if via == "initializer":
        assert any(e.startswith("initializer") for e in finding.entries)
    else:
        assert "__call__" in finding.entries
    assert not victim.exists()


def test_a_placeholder_bound_to_stderr_is_safe(tmp_path):
    """Resolution is exact, not "any placeholder is bad": a terminal stream passes."""
    model = hostile.placeholder_stream(tmp_path / "model", hostile.Printer(), ["stderr"])
    assert rsm.scan(model).safe


def test_one_function_reached_with_two_bindings_is_judged_per_binding(tmp_path, outside, no_load):
    victim = outside / "victim"
    model = hostile.placeholder_stream(tmp_path / "model", hostile.Printer(), ["stderr", f"file://{victim}"])
    [finding] = _refused(model).findings
    assert finding.reason == f"prints to file://{victim}"


def test_more_bindings_than_are_judged_one_by_one_are_judged_unbound(tmp_path, outside, no_load):
    """Past MAX_BINDINGS distinct bindings, the hostile last one still cannot pass unseen."""
    sites = call_graph.MAX_BINDINGS + 4
    streams = ["stderr"] * (sites - 1) + [f"file://{outside / 'victim'}"]
    model = hostile.placeholder_stream(
        tmp_path / "model", hostile.ManyPrinter(sites), streams, ends=[f"\n{i}" for i in range(sites)]
    )
    report = _refused(model)
    [finding] = [f for f in report.findings if f.op == "PrintV2"]
    assert "placeholder no caller binds" in finding.reason
    # A binding not followed could name any callee: the saver's functions lose their exemption.
    assert {f.op for f in report.findings} == {"PrintV2", "SaveV2", "MergeV2Checkpoints", "RestoreV2"}
    assert all("__call__" in f.entries for f in report.findings)


def test_bindings_up_to_the_limit_are_judged_exactly(tmp_path):
    sites = call_graph.MAX_BINDINGS
    model = hostile.placeholder_stream(
        tmp_path / "model", hostile.ManyPrinter(sites), ["stderr"], ends=[f"\n{i}" for i in range(sites)]
    )
    assert rsm.scan(model).safe


def test_an_unbound_placeholder_is_unsafe(tmp_path, no_load):
    [finding] = _refused(hostile.unbound_stream(tmp_path / "model")).findings
    assert finding.op == "PrintV2"
    assert "output_stream attribute is a placeholder no caller binds" in finding.reason


def test_the_descriptor_source_attack_is_real(tmp_path):
    """Plain TensorFlow reads the file the caller's binding names: it decodes a message type
    that only that file describes."""
    descriptors = descriptor_pb2.FileDescriptorSet()
    secret = descriptors.file.add(name="attacker.proto", package="attacker").message_type.add(name="Secret")
    secret.field.add(name="features", number=1, type=descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
                     label=descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED)
    (tmp_path / "descriptors.bin").write_bytes(descriptors.SerializeToString())
    model = hostile.placeholder_descriptor_source(tmp_path / "model", str(tmp_path / "descriptors.bin"), "attacker.Secret")
    sizes = tf.saved_model.load(str(model))(tf.constant([b"\x0a\x01x\x0a\x01y"]))
    assert sizes.numpy().tolist() == [[2]]


def test_a_proto_descriptor_source_bound_by_the_caller(tmp_path, outside, no_load):
    source = str(outside / "secret.txt")
    report = _refused(hostile.placeholder_descriptor_source(tmp_path / "model", source))
    [finding] = [f for f in report.findings if f.op == "DecodeProtoV2"]
    assert finding.category is allowlist_scan.Category.FILE_READ
    assert finding.reason == f"reads proto descriptors from {source}"


def test_keras_safe_mode_refuses_the_placeholder_model(tmp_path, outside):
    """A `.keras` file whose KerasLayer names the hostile model: refused, nothing written."""
    keras = pytest.importorskip("keras")
    from reusable_savedmodel.adapters.keras import KerasLayer

    model = hostile.placeholder_stream(tmp_path / "model", hostile.InitializerPrinter(), ["stderr"])
    network = keras.Sequential([keras.Input((3,)), KerasLayer(str(model))])
    network.save(tmp_path / "wraps.keras")
    # The author swaps in the hostile graph once the file is written.
    victim = outside / "victim"
    hostile_copy = hostile.placeholder_stream(tmp_path / "hostile", hostile.InitializerPrinter(), [f"file://{victim}"])
    shutil.copy(hostile_copy / "saved_model.pb", model / "saved_model.pb")
    with pytest.raises(rsm.UnsafeModelError, match="prints to file://"):
        keras.saving.load_model(tmp_path / "wraps.keras")
    assert not victim.exists()


@pytest.mark.parametrize("suffix, flagged", [("_temp/part", False), ("/../../pwned", True)])
def test_the_saver_path_constant_is_judged_by_its_binding(tmp_path, zoo_path, suffix, flagged):
    shutil.copytree(zoo_path("mul"), tmp_path / "model")
    report = rsm.scan(hostile.saver_path_placeholder(tmp_path / "model", suffix))
    reasons = {f.op: f.reason for f in report.findings}
    if not flagged:
        assert report.safe, str(report)
    else:
        assert set(reasons) == {"SaveV2", "MergeV2Checkpoints"}
        assert all("does not come straight from the saver's filename input" in r for r in reasons.values())
