"""`scan`: an allowlist over every function, saver ops exempt only where the saver puts them."""

import json
import logging
import re

import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2
from tensorflow.python.framework import op_def_registry

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters import cli
from reusable_savedmodel.interface.scanner import _allowlist_scan as allowlist_scan
from reusable_savedmodel.interface.scanner import _op_allowlist as op_allowlist
from reusable_savedmodel.interface.scanner import _op_dangerous as op_dangerous


class Risky(tf.Module):
    """Reads a file inside a tf.cond branch, so the op sits in a nested function."""

    def __init__(self):
        super().__init__()
        self.v = tf.Variable(1.0)

    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def __call__(self, path):
        return tf.cond(
            tf.strings.length(path) > 0, lambda: tf.io.read_file(path), lambda: tf.constant("")
        )

    @tf.function(input_signature=[tf.TensorSpec([], tf.string)])
    def dump(self, path):
        tf.io.write_file(path, "x")
        tf.raw_ops.SaveV2(prefix=path, tensor_names=["v"], shape_and_slices=[""], tensors=[self.v])
        tf.print("to a file", output_stream="file:///tmp/rsm-scan-test.log")
        tf.print("to stderr")
        return tf.io.matching_files(path)

    @tf.function(input_signature=[tf.TensorSpec([], tf.float32)])
    def python(self, x):
        return tf.py_function(lambda v: v * 2, [x], tf.float32)


@pytest.fixture(scope="module")
def risky_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("risky") / "model"
    tf.saved_model.save(Risky(), str(path))
    return path


def test_every_listed_op_is_a_registered_op():
    listed = [*op_allowlist.ALLOWED_OPS, *op_dangerous.DANGEROUS_OPS]
    assert [op for op in listed if op_def_registry.get(op) is None] == []


def test_no_op_is_both_pure_and_dangerous():
    assert op_allowlist.ALLOWED_OPS.isdisjoint(op_dangerous.DANGEROUS_OPS)
    # Names that suggest files, processes or the network never slip onto the allowlist.
    suspicious = re.compile(r"File|Save|Restore|Dataset|Writer|Reader|Rpc|PyFunc|Remote|Collective|Send|Recv|Debug")
    reviewed = ["BoostedTreesExampleDebugOutputs", "ShardedFilename", "ShardedFilespec"]  # pure
    assert sorted(op for op in op_allowlist.ALLOWED_OPS if suspicious.search(op)) == reviewed


@pytest.mark.parametrize("name", ["mul", "mlp", "text", "tf_keras_mlp"])
def test_zoo_models_are_safe_despite_their_saver_functions(zoo_path, name):
    report = rsm.scan(zoo_path(name))
    assert report.safe, str(report)
    assert report.functions > 1 and "SAFE" in str(report)


def test_risky_ops_are_found_in_nested_functions(risky_path):
    report = rsm.scan(risky_path)
    found = {(f.op, f.category.value, f.risk.value) for f in report.findings}
    assert found == {
        ("EagerPyFunc", "process", "critical"),
        ("WriteFile", "file-write", "high"),
        ("SaveV2", "file-write", "high"),  # outside the saver: flagged
        ("PrintV2", "file-write", "high"),  # only the print to a file
        ("ReadFile", "file-read", "medium"),
        ("MatchingFiles", "file-read", "medium"),
    }
    [read] = [f for f in report.findings if f.op == "ReadFile"]
    assert "cond_true" in read.function  # a tf.cond branch, not the top-level __call__
    assert [f.risk for f in report.findings] == sorted(
        (f.risk for f in report.findings), key=list(allowlist_scan.Risk).index
    )
    assert set(report.by_function()) == {f.function for f in report.findings}
    assert read.entries == ("__call__",) and read.kind is allowlist_scan.Kind.DANGEROUS
    [save] = [f for f in report.findings if f.op == "SaveV2"]
    assert save.entries == ("function dump",) and "not only from the saver's save path" in save.reason
    assert report.dangerous_ops == {op for op, _, _ in found} and report.unknown_ops == set()
    text = str(report)
    assert text.startswith(f"scan {risky_path}: RISKY (6 flagged in ") and "EagerPyFunc" in text
    assert json.loads(report.dumps())["findings"][0]["op"] == "EagerPyFunc"


def test_unregistered_op_is_flagged(tmp_path, zoo_path):
    import shutil

    copy = tmp_path / "custom"
    shutil.copytree(zoo_path("mul"), copy)
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((copy / "saved_model.pb").read_bytes())
    [call] = [f for f in proto.meta_graphs[0].graph_def.library.function if "__call__" in f.signature.name]
    [mul] = [n for n in call.node_def if n.op == "Mul"]
    mul.op = "MyCustomMul"
    (copy / "saved_model.pb").write_bytes(proto.SerializeToString())
    [finding] = rsm.scan(copy).findings
    assert (finding.op, finding.category.value, finding.function) == ("MyCustomMul", "unknown-op", call.signature.name)


def test_strict_load_refuses_and_warn_load_logs(risky_path, zoo_path, caplog):
    with pytest.raises(rsm.UnsafeModelError, match=r"refused by the strict scan: expected only reviewed pure-computation ops, found 6 flagged:(.|\n)*EagerPyFunc"):
        rsm.load(risky_path, scan="strict")
    with caplog.at_level(logging.WARNING):
        piece = rsm.load(risky_path, scan="warn")
    assert "RISKY (6 flagged" in caplog.text and piece.obj is not None
    assert rsm.load(zoo_path("mul"), scan="strict")([1.0]).numpy()[0] == 2.0
    with pytest.raises(ValueError, match="scan: expected 'warn', 'strict' or None, got 'loud'"):
        rsm.load(zoo_path("mul"), scan="loud")


def test_scan_of_pieces_and_in_process_objects(zoo_path):
    assert rsm.scan(rsm.load(zoo_path("mul"))).target == zoo_path("mul")
    in_process = rsm.scan(Risky())
    assert in_process.target == "in-process Risky" and len(in_process.findings) == 6


def test_corrupt_and_missing_saved_model(tmp_path):
    with pytest.raises(rsm.HandleError, match="expected saved_model.pb"):
        allowlist_scan.scan_directory(tmp_path)
    (tmp_path / "saved_model.pb").write_bytes(b"\x0a\xff\xff\xff garbage")
    with pytest.raises(rsm.HandleError, match="saved_model.pb is corrupt"):
        allowlist_scan.scan_directory(tmp_path)


def test_cli_scan(risky_path, zoo_path, capsys):
    assert cli.main(["scan", zoo_path("mul")]) == 0
    assert "SAFE" in capsys.readouterr().out
    assert cli.main(["scan", "--json", "--strict", str(risky_path)]) == 1
    assert json.loads(capsys.readouterr().out)["safe"] is False
    assert cli.main(["scan", str(risky_path)]) == 0  # without --strict, findings are only listed


def _exports():
    from conformance.producers import PRODUCERS

    return [(p, kind) for p in PRODUCERS for kind in p.kinds if kind != "mlp"]


@pytest.mark.parametrize("producer, kind", _exports(), ids=lambda x: getattr(x, "module", x))
def test_conformance_exports_scan_clean(tmp_path, producer, kind):
    """No false alarms on what every producer exports (Keras 3, Sonnet, JAX's XlaCallModule, ...)."""
    producer.build(kind).save(tmp_path / "model")
    report = rsm.scan(tmp_path / "model")
    assert report.safe, str(report)
