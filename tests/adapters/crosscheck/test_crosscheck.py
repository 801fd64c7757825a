"""`crosscheck` and `rsm crosscheck`: every consumer against the raw `tf.saved_model.load` object."""

from __future__ import annotations

import dataclasses
import json
import sys

import numpy as np
import pytest
import tensorflow as tf

from fixtures import bounded, models
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters import cli
from reusable_savedmodel.adapters.crosscheck import (
    CONSUMERS,
    UnknownConsumerError,
    crosscheck,
)
from reusable_savedmodel.adapters.crosscheck import (
    _consumers_tf as consumers_tf,
)
from reusable_savedmodel.adapters.crosscheck import _run as run_lib
from reusable_savedmodel.adapters.crosscheck._inputs import example_inputs
from reusable_savedmodel.adapters.crosscheck._report import WIDTH
from reusable_savedmodel.interface import CallSpec, NonConformingError

# Child interpreters or large models: left out of the quick loop (pytest -m "not slow").
pytestmark = pytest.mark.slow

TF_CONSUMERS = ["Piece", "KerasLayer", "SonnetModule", "hub.KerasLayer"]


def _lines(report) -> list[str]:
    text = str(report)
    assert all(len(line) <= WIDTH for line in text.splitlines()), text
    return text.splitlines()


def _row(lines: list[str], consumer: str) -> str:
    rows = [line for line in lines if line.split()[:1] == [consumer]]
    assert len(rows) == 1, lines
    return rows[0]


def test_rsm_crosscheck_on_a_tf_keras_mlp_exits_0_with_one_row_per_consumer(tmp_path):
    """The classic TF Hub export (tf_keras, batch norm, dropout) agrees in every consumer."""
    path = models.export(models.TF_KERAS_MLP, tmp_path / "tf_keras_mlp")
    done = bounded.run(
        [sys.executable, "-c", "import sys; from reusable_savedmodel.adapters.cli import main; sys.exit(main())",
         "crosscheck", str(path)],
        capture_output=True, text=True, cpu_s=1700,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert all(len(line) <= WIDTH for line in lines), done.stdout
    for consumer in CONSUMERS:
        row = _row(lines, consumer.name)
        assert row.split()[-1] == "agrees", row
    assert "random (dropout)" in done.stdout


@pytest.fixture(scope="module")
def tf_keras_report(zoo_path):
    return crosscheck(zoo_path(models.TF_KERAS_MLP), consumers=TF_CONSUMERS)


def test_the_python_function_checks_every_figure(tf_keras_report):
    report = tf_keras_report
    assert report.ok and report.stochastic_training and report.callables == ()
    assert [r.consumer for r in report.results] == TF_CONSUMERS
    keras_checks = report.results[1].checks
    assert keras_checks == {
        "outputs (training=False)": "ok",
        "training trace": "ok",
        "gradients": "ok",
        "state updates": "ok",
        "regularization": "ok",
        "frozen": "ok",
        "named callables": "n/a",
    }
    data = json.loads(report.dumps())
    assert data["ok"] and [c["verdict"] for c in data["consumers"]] == ["agrees"] * len(TF_CONSUMERS)
    for consumer in TF_CONSUMERS:
        _row(_lines(report), consumer)


def test_a_consumer_that_deviates_fails_its_checks_and_the_command(zoo_path, monkeypatch, capsys):
    """Outputs shifted by 1e-3 in the Piece consumer: outputs and gradients disagree; exit 1."""
    original = consumers_tf.PieceWrapped.call
    monkeypatch.setattr(consumers_tf.PieceWrapped, "call", lambda self, x, training: original(self, x, training) + 1e-3)

    report = crosscheck(zoo_path("mul"), consumers=["Piece", "KerasLayer"])

    piece, keras_layer = report.results
    assert piece.verdict == "disagrees" and keras_layer.verdict == "agrees" and not report.ok
    assert set(piece.failed_checks) == {"outputs (training=False)", "outputs (training=True)"}
    lines = _lines(report)
    assert "FAIL [1]" in _row(lines, "Piece") and any(line.startswith("[1] outputs (training=False)") for line in lines)
    monkeypatch.setattr(run_lib, "CONSUMERS", tuple(c for c in CONSUMERS if c.name == "Piece"))
    assert cli.main(["crosscheck", zoo_path("mul")]) == 1
    assert "FAILED" in capsys.readouterr().out


def test_strings_in_jax_are_a_typed_reason_not_a_failure(zoo_path):
    report = crosscheck(zoo_path("text"), consumers=["Piece", "to_jax", "KerasLayer"])

    piece, jax_consumer, keras_layer = report.results
    assert piece.verdict == keras_layer.verdict == "agrees" and jax_consumer.verdict == "cannot run"
    assert report.ok
    assert type(jax_consumer.error).__name__ == "UnconvertibleError"
    lines = _lines(report)
    assert "cannot run: UnconvertibleError [1]" in _row(lines, "to_jax")
    assert any(line.startswith("[1] UnconvertibleError:") for line in lines)
    assert "OK: 2 consumers agree with tf.saved_model.load's object; 1 cannot run (see the notes)" in lines


def test_no_verdict_without_evidence(zoo_path):
    """Only the bare Piece ran the model: nothing was compared across frameworks, so not OK."""
    report = crosscheck(zoo_path("text"), consumers=["Piece", "to_jax"])

    assert [r.verdict for r in report.results] == ["agrees", "cannot run"] and not report.ok
    assert report.reason == "no consumer but the bare Piece ran the model (1 cannot run): nothing was compared"
    assert f"FAILED: {report.reason}" in " ".join(str(report).split())
    assert json.loads(report.dumps())["reason"] == report.reason


class _UnlistedVariable(tf.Module):
    """Its `__call__` reads a variable it does not list: fails check's RSM123."""

    def __init__(self):
        super().__init__()
        self.w = tf.Variable(2.0)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def __call__(self, x):
        return x * self.w


def test_rsm_crosscheck_agrees_with_rsm_check(tmp_path, capsys):
    """A model that fails `rsm check` is not OK, whatever the consumers say: exit 1, one line."""
    path = str(tmp_path / "unlisted")
    tf.saved_model.save(_UnlistedVariable(), path)
    assert not rsm.check(path).ok

    assert cli.main(["crosscheck", path, "--consumers", "Piece", "KerasLayer"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert _row(lines, "KerasLayer").split()[-1] == "agrees"  # agreement does not count here
    (verdict,) = [line for line in lines if line.startswith(("OK", "FAILED"))]
    assert verdict.startswith("FAILED: the model fails rsm check (1 error: RSM123;"), lines
    assert any(line.startswith("[1] rsm check: RSM123") for line in lines)


def test_named_callables_and_in_process_objects(zoo_path):
    """The example MLP (named callables encoder/decoder), given as an in-process Piece."""
    report = crosscheck(rsm.load(zoo_path("mlp")), consumers=["Piece", "KerasLayer"])

    assert report.ok and set(report.callables) == {"encoder", "decoder"}
    assert all(r.checks["named callables"] == "ok" for r in report.results)


def test_a_missing_consumer_says_what_to_install(zoo_path, monkeypatch):
    absent = dataclasses.replace(CONSUMERS[1], name="Imaginary", requires=("no_such_framework_xyz",))
    monkeypatch.setattr(run_lib, "CONSUMERS", (CONSUMERS[0], absent))

    report = crosscheck(zoo_path("mul"))

    assert report.results[1].verdict == "not installed" and not report.ok  # nothing compared
    assert "no_such_framework_xyz: pip install 'reusable-savedmodel[all]'" in str(report)
    with pytest.raises(UnknownConsumerError, match="known: Piece, Imaginary"):
        crosscheck(zoo_path("mul"), consumers=["Piece", "Nope"])


def _call_spec(inputs) -> CallSpec:
    return CallSpec(inputs=(inputs,), outputs=(), accepts_training=False, training_values=(), kwargs=(), traces=())


def test_inputs_follow_the_spec():
    spec = {
        "ids": tf.TensorSpec([None, None], tf.int32),
        "words": tf.TensorSpec([None], tf.string),
        "pair": [tf.TensorSpec([None, 5], tf.float32), tf.TensorSpec(None, tf.float64)],
        "flag": tf.TensorSpec([], tf.bool),
    }
    inputs = example_inputs(_call_spec(spec), where="m")

    assert inputs["ids"].shape == (2, 3) and inputs["ids"].dtype == np.int32 and inputs["ids"].min() >= 0
    assert inputs["words"].shape == (2,) and all(isinstance(w, bytes) for w in inputs["words"])
    assert inputs["pair"][0].shape == (2, 5) and inputs["pair"][0].dtype == np.float32
    assert inputs["pair"][1].shape == (2,) and inputs["pair"][1].dtype == np.float64
    assert inputs["flag"].shape == () and inputs["flag"].dtype == bool
    np.testing.assert_array_equal(example_inputs(_call_spec(spec), where="m")["ids"], inputs["ids"])
    with pytest.raises(NonConformingError, match="m takes a RaggedTensorSpec"):
        example_inputs(_call_spec(tf.RaggedTensorSpec([None, None], tf.float32)), where="m")


class _DropoutThenStatistics(rsm.ReusableModule):
    """Dropout before a running mean: training outputs and state updates are random."""

    def __init__(self):
        super().__init__(tf.TensorSpec([None, 3], tf.float32))
        self.w = tf.Variable(tf.ones([3, 2]))
        self.mean = tf.Variable(tf.zeros([3]), trainable=False)

    def call(self, inputs, training=False):
        if training:
            inputs = tf.nn.dropout(inputs, rate=0.5)
            self.mean.assign(0.9 * self.mean + 0.1 * tf.reduce_mean(inputs, axis=0))
        return (inputs - self.mean) @ self.w


def test_random_state_updates_are_not_compared():
    """No framework reproduces another's random stream: the state check is n/a, not a failure."""
    report = crosscheck(_DropoutThenStatistics(), consumers=["Piece"])

    (piece,) = report.results
    assert report.ok and report.stochastic_training
    assert piece.checks["state updates"] == "n/a" and piece.checks["gradients"] == "ok"


KERAS_JAX = next(c for c in CONSUMERS if c.name == "KerasLayer[jax]")


def test_keras_on_jax_takes_saved_models_only(zoo_path):
    """In-process objects cannot reach the child interpreter: a typed reason, not a failure."""
    report = crosscheck(rsm.load(zoo_path("mul")), consumers=["Piece", KERAS_JAX.name])

    piece, keras_jax = report.results
    assert piece.verdict == "agrees" and keras_jax.verdict == "cannot run" and not report.ok
    assert "crosscheck the model's path" in str(keras_jax.error)


def test_a_child_that_fails_fails_the_crosscheck(zoo_path, monkeypatch):
    broken = dataclasses.replace(KERAS_JAX, module="reusable_savedmodel.no_such_child_module")
    monkeypatch.setattr(run_lib, "CONSUMERS", (CONSUMERS[0], broken))

    report = crosscheck(zoo_path("mul"))

    assert report.results[1].verdict == "failed" and not report.ok
    assert "No module named reusable_savedmodel.no_such_child_module" in str(report.results[1].error)


def test_a_keras_consumer_on_the_wrong_backend_is_a_typed_reason(zoo_path, monkeypatch):
    """Keras fixes its backend at import: a consumer needing the other one says how to run it."""
    on_jax = dataclasses.replace(next(c for c in CONSUMERS if c.name == "KerasLayer"), keras_backend="jax")
    monkeypatch.setattr(run_lib, "CONSUMERS", (CONSUMERS[0], on_jax))

    report = crosscheck(zoo_path("mul"))

    assert report.results[1].verdict == "cannot run"
    assert "run crosscheck with KERAS_BACKEND=jax" in str(report.results[1].error)


def test_rsm_crosscheck_runs_the_consumers_named(zoo_path, capsys):
    assert cli.main(["crosscheck", zoo_path("mul"), "--consumers", "Piece", "KerasLayer[jax]"]) == 0
    printed = capsys.readouterr()
    lines = printed.out.splitlines()
    assert _row(lines, "Piece").split()[-1] == "agrees" and _row(lines, "KerasLayer[jax]").split()[-1] == "agrees"
    assert not any(line.startswith("SonnetModule") for line in lines)
    # A line per consumer as it finishes, on stderr (stdout is the report alone).
    assert printed.err.splitlines()[-2:] == ["[1/2] Piece: agrees", "[2/2] KerasLayer[jax]: agrees"]

    assert cli.main(["crosscheck", zoo_path("mul"), "--consumers", "Nope"]) == 2
    assert "unknown consumers ['Nope']; known: Piece, KerasLayer" in capsys.readouterr().err


def _keras3_model():
    import keras

    keras.utils.set_random_seed(0)
    return keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.BatchNormalization(),
         keras.layers.Dense(3)]
    )


@pytest.fixture(scope="module")
def keras3_saved_models(tmp_path_factory):
    """A Keras 3 model written by `model.export()` and one by `tf.saved_model.save`."""
    root = tmp_path_factory.mktemp("keras3")
    _keras3_model().export(str(root / "export"), verbose=False)
    tf.saved_model.save(_keras3_model(), str(root / "saved"))
    return {"export": str(root / "export"), "saved": str(root / "saved")}


@pytest.mark.parametrize("kind", ["export", "saved"])
def test_keras3_saved_models_run_through_serving_default(keras3_saved_models, kind):
    """No `__call__`, only signatures: crosscheck picks serving_default and compares outputs."""
    path = keras3_saved_models[kind]
    report = crosscheck(path, consumers=["Piece", "KerasLayer", "to_jax"])

    assert report.ok, str(report)
    assert report.entry == "signature 'serving_default' (inference only)"
    for result in report.results:
        assert result.checks["outputs (training=False)"] == "ok" and result.checks["gradients"] == "n/a"
    assert "through its signature 'serving_default'" in " ".join(str(report).split())


def test_rsm_crosscheck_takes_signature_and_callable(keras3_saved_models, zoo_path, capsys):
    path = keras3_saved_models["export"]
    assert cli.main(["crosscheck", path, "--consumers", "Piece", "KerasLayer", "--signature", "serve"]) == 0
    assert "through its signature 'serve'" in " ".join(capsys.readouterr().out.split())
    assert cli.main(["crosscheck", path, "--consumers", "Piece", "KerasLayer", "--signature", "nope"]) == 2
    assert "has no signature 'nope'; available: serve, serving_default" in capsys.readouterr().err

    report = crosscheck(zoo_path("mlp"), consumers=["Piece", "KerasLayer"], callable="encoder")
    assert report.ok and report.entry == "callable 'encoder'" and report.callables == ()
    assert report.results[1].checks["gradients"] == "ok"


def test_mixed_precision_is_compared_at_its_compute_dtype(tmp_path):
    """A mixed_float16 model: JAX differs from TF by float16 rounding, which is agreement."""
    import tf_keras

    layers = tf_keras.layers
    tf_keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        tf.random.set_seed(0)
        model = tf_keras.Sequential([
            tf_keras.Input((8, 8, 3)), layers.Conv2D(16, 3, activation="relu"), layers.BatchNormalization(),
            layers.Conv2D(32, 3, activation="swish"), layers.GlobalAveragePooling2D(),
            layers.Dense(64, activation="relu"), layers.Dense(10, dtype="float32"),
        ])
    finally:
        tf_keras.mixed_precision.set_global_policy("float32")
    path = str(tmp_path / "mixed")
    tf.saved_model.save(model, path)

    report = crosscheck(path, consumers=["Piece", "to_jax"])
    assert report.ok and report.tolerance.dtype == "float16", str(report)
    assert "the model computes in float16" in str(report)


def test_a_float32_model_keeps_float32_tolerance(zoo_path):
    from reusable_savedmodel.adapters.crosscheck._precision import compute_dtype

    piece = rsm.load(zoo_path("mlp"))
    assert compute_dtype(piece.function.concrete_functions) == "float32"
    half = tf.function(lambda x: tf.cast(tf.cast(x, tf.bfloat16) * 2, tf.float32))
    assert compute_dtype([half.get_concrete_function(tf.TensorSpec([None], tf.float32))]) == "bfloat16"


def test_the_table_is_aligned_ordered_and_free_of_escape_codes_and_keras_boilerplate():
    from reusable_savedmodel.adapters.crosscheck import CrosscheckReport
    from reusable_savedmodel.adapters.crosscheck._agreement import ConsumerResult

    keras_error = rsm.InputMismatchError(
        "Exception encountered when calling KerasLayer.call().\n\n\x1b[1mthe inputs match no trace\x1b[0m\n\n"
        "Arguments received by KerasLayer.call():\n  • inputs=tf.Tensor(shape=(2, 4), dtype=float32)\n"
    )
    checks = dict.fromkeys(
        ["outputs (training=False)", "gradients", "state updates", "regularization", "frozen", "named callables"], "ok"
    )
    results = (
        ConsumerResult("Piece", checks=dict(checks)),
        ConsumerResult("KerasLayer[jax]", error=keras_error),
        ConsumerResult("to_jax", checks=dict(checks)),
        ConsumerResult("hub.KerasLayer", unavailable="needs tensorflow_hub: pip install tensorflow-hub"),
    )
    report = CrosscheckReport(model="m", results=results, stochastic_training=False)
    lines = _lines(report)

    text = "\n".join(lines)
    assert "\x1b" not in text and "Arguments received" not in text and "Exception encountered" not in text
    assert "[1] InputMismatchError: the inputs match no trace" in text
    assert "\x1b" not in report.dumps() and "Arguments received" not in report.dumps()
    rows = [line for line in lines if line.split()[:1] in (["consumer"], *([r.consumer] for r in results))]
    assert [row.split()[0] for row in rows] == ["consumer", "Piece", "KerasLayer[jax]", "to_jax", "hub.KerasLayer"]
    second_column = {len(row) - len(row[len(row.split()[0]):].lstrip()) for row in rows}
    assert len(second_column) == 1, rows  # every row's second column starts at one place
    assert report.ok  # cannot run / not installed are reasons, and two consumers agree
