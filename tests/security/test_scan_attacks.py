"""Models that touch files at load time or when called are refused before TensorFlow runs them.

Each attack aims at `outside/` (the `outside` fixture fails the test if anything there
changed) and `no_load` fails it if `tf.saved_model.load` is even reached. That the attacks
really work without the scan is shown once, in a child process (`test_the_attacks_are_real`).
"""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import attacks
import pytest
import tensorflow as tf
from tensorflow.core.framework import attr_value_pb2

from fixtures import bounded
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters import cli
from reusable_savedmodel.interface.scanner import _allowlist_scan as allowlist_scan


def _refused(model: Path) -> allowlist_scan.ScanReport:
    """Scans `model`, requires strict loading to refuse it, returns the report."""
    report = rsm.scan(model)
    with pytest.raises(rsm.UnsafeModelError, match="refused by the strict scan"):
        rsm.load(model, scan="strict")
    return report


def test_tf1_saver_with_an_extra_save_on_the_restore_path(tmp_path, outside, no_load):
    model = attacks.tf1_forged_restore(tmp_path / "model", str(outside / "pwned"))
    report = _refused(model)
    [save] = [f for f in report.findings if f.category is allowlist_scan.Category.FILE_WRITE]
    assert (save.op, save.node) == ("SaveV2", "evil/SaveV2")
    assert "restore" in save.entries and "not only from the saver's save path" in save.reason
    [forged] = [f for f in report.findings if f.category is allowlist_scan.Category.SAVER]
    assert forged.node == "evil/SaveV2" and "which the saver did not create" in forged.reason
    # The saver's own ops stay exempt: only the attack is reported.
    assert {f.node for f in report.findings} == {"evil/SaveV2"}


def test_tf2_initializer_writing_a_checkpoint(tmp_path, outside, no_load):
    model = attacks.tf2_initializer_io(tmp_path / "model", str(outside / "pwned"))
    [finding] = _refused(model).findings
    assert (finding.op, finding.kind) == ("SaveV2", allowlist_scan.Kind.DANGEROUS)
    assert "initializer resource._initialize" in finding.entries


def test_tf2_restore_op_forged_to_claim_every_function(tmp_path, outside, no_load):
    model = attacks.tf2_forged_restore(tmp_path / "model", str(outside / "pwned"))
    report = _refused(model)
    [initializer] = [f for f in report.findings if "initializer resource._initialize" in f.entries]
    assert initializer.op == "SaveV2" and "restore" in initializer.entries


def test_function_shared_by_save_and_an_initializer(tmp_path, outside, no_load):
    target = str(outside / "pwned")

    @tf.function
    def dump():
        tf.raw_ops.SaveV2(prefix=target, tensor_names=["x"], shape_and_slices=[""], tensors=[tf.constant(1.0)])
        return tf.constant(1.0)

    class Shared(tf.saved_model.experimental.TrackableResource):
        def _create_resource(self):
            return tf.raw_ops.HashTableV2(key_dtype=tf.string, value_dtype=tf.int64)

        def _initialize(self):
            return dump()

        def _serialize_to_tensors(self):
            return {"x": dump()}

        def _restore_from_tensors(self, restored):
            return tf.no_op()

    model = tmp_path / "model"
    concrete = dump.get_concrete_function()  # traced before saving: no eager write
    tf.saved_model.save(attacks._Model(Shared()), str(model))
    (outside / "pwned.index").unlink(missing_ok=True)  # saving itself ran the dump eagerly
    for leftover in outside.glob("pwned*"):
        leftover.unlink()
    report = _refused(model)
    # The exporter calls `dump` from its save function, but `dump` is not that function
    # itself, so the saver's exemption does not extend to it.
    shared = [f for f in report.findings if f.op == "SaveV2"]
    assert any("outside the function the saver's save node calls" in f.reason for f in shared)
    assert concrete is not None


def test_graph_in_a_string_is_unknown(tmp_path, zoo_path, outside, no_load):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(zoo_path("mul"), model)
    graph = attr_value_pb2.AttrValue(s=attacks.dataset_graph_string(str(outside / "secret.txt")))
    attacks.with_op(model, "DatasetFromGraph", [], graph_def_const=graph)
    [finding] = _refused(model).findings
    assert (finding.op, finding.kind) == ("DatasetFromGraph", allowlist_scan.Kind.UNKNOWN)
    assert "__call__" in finding.entries
    assert "serialized inside a tensor" in finding.reason


@pytest.mark.parametrize(
    "op, kind",
    [
        ("CalibrationStatisticsSaver", "known-dangerous"),
        ("DumpTensor", "known-dangerous"),  # writes tensors to files
        ("DTensorRestoreV2", "known-dangerous"),
        ("SnapshotChunkDataset", "known-dangerous"),
        ("ListSnapshotChunksDataset", "known-dangerous"),
        ("MatchingFiles", "known-dangerous"),
        ("TextLineDataset", "known-dangerous"),
        ("Fact", "unknown"),  # registered, harmless, but nobody reviewed it: flagged anyway
        ("NotARealOp", "unknown"),
    ],
)
def test_ops_off_the_allowlist(tmp_path, zoo_path, outside, no_load, op, kind):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(zoo_path("mul"), model)
    attacks.with_op(model, op)
    [finding] = _refused(model).findings
    assert (finding.op, finding.kind.value) == (op, kind)
    assert set(finding.entries) == {"__call__", "signature serving_default"}


def test_asset_outside_the_model(tmp_path, outside, no_load):
    vocabulary = tmp_path / "vocab.txt"
    vocabulary.write_text("a\nb\n")

    class Text(tf.Module):
        def __init__(self):
            super().__init__()
            init = tf.lookup.TextFileInitializer(
                str(vocabulary), tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
                tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER,
            )
            self.table = tf.lookup.StaticHashTable(init, -1)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
        def __call__(self, words):
            return self.table.lookup(words)

    model = tmp_path / "model"
    tf.saved_model.save(Text(), str(model))
    assert rsm.scan(model).safe  # a vocabulary inside assets/ is legitimate
    proto = attacks.read_proto(model)
    proto.meta_graphs[0].asset_file_def[0].filename = "../../outside/secret.txt"
    attacks.write_proto(model, proto)
    [finding] = rsm.scan(model).findings
    assert (finding.op, finding.node) == ("<asset>", "../../outside/secret.txt")
    with pytest.raises(rsm.UnsafeModelError, match="asset paths must stay inside assets/"):
        rsm.load(model)


def test_save_never_copies_an_asset_from_outside(tmp_path, outside):
    class Leaky(tf.Module):
        def __init__(self):
            super().__init__()
            self.asset = tf.saved_model.Asset(str(tmp_path / "model" / "assets" / ".." / ".." / "outside" / "secret.txt"))
            self.v = tf.Variable(1.0)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
        def __call__(self, x):
            return x * self.v

    with pytest.raises(rsm.UnsafeModelError, match="assets must lie inside the model"):
        rsm.save(Leaky(), tmp_path / "export")
    assert not (tmp_path / "export").exists()


@pytest.mark.parametrize("content", [b"", b"\x08\x01"], ids=["0-byte", "2-byte"])
def test_empty_saved_model_pb_is_an_error_not_safe(tmp_path, capsys, content, no_load):
    model = tmp_path / "model"
    (model / "variables").mkdir(parents=True)
    (model / "saved_model.pb").write_bytes(content)
    with pytest.raises(rsm.HandleError, match="holds no meta graph"):
        rsm.scan(model)
    with pytest.raises(rsm.HandleError, match="holds no meta graph"):
        rsm.load(model, scan="strict")
    assert cli.main(["scan", "--strict", str(model)]) != 0
    out = capsys.readouterr()
    assert "SAFE" not in out.out and "holds no meta graph" in out.err


def test_the_attacks_are_real(tmp_path):
    """Without the scan, plain TensorFlow loading runs the TF1 attack (so the tests can fail)."""
    outside = tmp_path / "outside"
    outside.mkdir()
    models = {
        "tf1": attacks.tf1_forged_restore(tmp_path / "tf1", str(outside / "tf1")),
    }
    script = textwrap.dedent(
        f"""
        import json, os, tensorflow as tf
        for name, path in {json.dumps({k: str(v) for k, v in models.items()})}.items():
            tf.saved_model.load(path)
        print(json.dumps(sorted(os.listdir({str(outside)!r}))))
        """
    )
    done = bounded.run([sys.executable, "-c", script], capture_output=True, text=True, cpu_s=600)
    assert done.returncode == 0, done.stderr[-2000:]
    written = json.loads(done.stdout.strip().splitlines()[-1])
    assert any(n.startswith("tf1") for n in written), written


@pytest.mark.parametrize(
    "program, flagged",
    [(b"stablehlo.custom_call @xla_ffi_python_cpu_callback", True), (b"stablehlo.dot_general", False)],
    ids=["python-callback", "pure"],
)
def test_xla_programs_calling_back_into_python(tmp_path, zoo_path, program, flagged):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(zoo_path("mul"), model)
    attacks.with_op(model, "XlaCallModule", module=attr_value_pb2.AttrValue(s=program))
    report = rsm.scan(model)
    assert [(f.op, f.category) for f in report.findings] == (
        [("XlaCallModule", allowlist_scan.Category.PROCESS)] if flagged else []
    )
