"""The core on SavedModels written by other exporters (built in a subprocess, see
tests/fixtures/real_producers.py), each compared with the raw `tf.saved_model.load` object."""

import logging
import os
import re
import shutil
import sys

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from fixtures import bert_standins, real_exporters
from fixtures.real_exporters import X2, X3, loss_gradients
from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.interface import _custom_ops as custom_ops
from reusable_savedmodel.interface.scanner import _saved_model_files as saved_model_files

# Child interpreters or large models: left out of the quick loop (pytest -m "not slow").
pytestmark = pytest.mark.slow

# -- item 4: roots without __call__ -------------------------------------------------


def test_function_root_loads_and_its_function_is_a_piece(real_model):
    path = real_model("function_root")
    piece, raw = rsm.load(path), tf.saved_model.load(path)
    assert piece.function is None and list(piece.functions) == ["f"]
    with pytest.raises(rsm.NonConformingError, match=r"signature-only.*piece.callable\(NAME\) for a named callable or tf.function \(f\)"):
        piece(X2)
    f = piece.callable("f")
    assert f.is_bare_function
    assert {v.name for v in f.variables} == {"w:0", "scale:0"}
    assert [v.name for v in f.trainable_variables] == ["w:0"]  # `scale` has trainable=False
    assert_close(f(X2), raw.f(tf.constant(X2)))
    # The variables are the loaded object's own: the piece's gradients are raw's.
    (grad,) = loss_gradients(f, f.trainable_variables, X2)
    (raw_grad,) = loss_gradients(raw.f, [raw.w], tf.constant(X2))
    assert_close(grad, raw_grad)
    assert rsm.check(path).codes() == {"RSM101"}
    assert rsm.check(f).codes() == {"RSM105"}


def test_callables_root_loads_and_each_callable_runs(real_model):
    path = real_model("callables_root")
    piece, raw = rsm.load(path), tf.saved_model.load(path)
    assert piece.function is None and set(piece.callables) == {"encoder", "decoder"}
    with pytest.raises(rsm.NonConformingError, match=r"has no `__call__`; pick what runs: piece.callable\(NAME\) for a named callable or tf.function \(decoder, encoder\)"):
        piece(X3)
    hidden = piece.callable("encoder")(X3)
    assert_close(hidden, raw.encoder(tf.constant(X3)))
    assert_close(piece.callable("decoder")(hidden), raw.decoder(raw.encoder(tf.constant(X3))))
    report = rsm.check(path)
    assert report.ok and report.codes() == {"RSM104"}


def test_jax2tf_export_runs_as_a_bare_function(real_model):
    path = real_model("jax2tf_export")
    piece, raw = rsm.load(path), tf.saved_model.load(path)
    f = piece.callable("f")
    assert len(f.trainable_variables) == 2  # jax2tf's params, captured by `f`
    assert_close(f(X3), raw.f(tf.constant(X3)))
    assert_close(f(X3), raw.signatures["serving_default"](inputs=tf.constant(X3))["output_0"])
    # Hand-computed: tanh(x @ w + b), as the JAX function says.
    w = np.arange(6, dtype=np.float32).reshape(3, 2) / 10
    b = np.array([0.1, -0.2], np.float32)
    assert_close(f(X3), np.tanh(X3 @ w + b))
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(f(tf.constant(X3)))
    grads = dict(zip([tuple(v.shape) for v in f.trainable_variables], tape.gradient(loss, f.trainable_variables)))
    slope = 1 - np.tanh(X3 @ w + b) ** 2
    assert_close(grads[(3, 2)], X3.T @ slope)
    assert_close(grads[(2,)], slope.sum(0))


# -- item 5: TF1 Hub modules ---------------------------------------------------------


def test_tf1_hub_module_loads_for_inference_through_its_signatures(real_model):
    path = real_model("tf1_hub_module")
    piece = rsm.load(path)
    raw = tf.saved_model.load(path, tags=[])
    assert piece.tf1_hub_module and piece.function is None and set(piece.signatures) == {"default"}
    out = piece.signatures["default"](inputs=tf.constant(X3))
    assert_close(out["default"], raw.signatures["default"](inputs=tf.constant(X3))["default"])
    # The inference graph (tags set()), not the "train" one, which doubles the output.
    w = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], np.float32)
    assert_close(out["default"], X3 @ w + [0.5, -0.5])
    assert_close(out["hidden"], X3 @ w)
    assert piece.spec.signatures["default"].outputs["default"].shape.as_list() == [None, 2]
    with pytest.raises(rsm.NonConformingError, match=r"signature-only.*TF1 Hub module.*'default'"):
        piece(X3)
    train = rsm.load(path, tags=["train"])
    assert_close(train.signatures["default"](inputs=tf.constant(X3))["default"], 2 * (X3 @ w + [0.5, -0.5]))


# -- item 6: ops not registered in this process -----------------------------------------


def _with_op_renamed(source: str, target, old: str, new: str, *, in_function: str = "__inference___call___"):
    """A copy of the SavedModel `source` whose first `old` node in `in_function*` is op `new`.

    The function is named because the library's order is not fixed: `Mul` also appears in
    other functions of the model (e.g. its regularization loss).
    """
    shutil.copytree(source, target)
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((target / "saved_model.pb").read_bytes())
    functions = [f for f in proto.meta_graphs[0].graph_def.library.function if f.signature.name.startswith(in_function)]
    nodes = [n for f in functions for n in f.node_def if n.op == old]
    nodes[0].op = new
    (target / "saved_model.pb").write_bytes(proto.SerializeToString())
    return target


def test_missing_tf_text_op_names_the_package_to_install(zoo_path, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "path", [p for p in sys.path if "tensorflow_text" not in p])
    path = _with_op_renamed(zoo_path("mul"), tmp_path / "m", "Mul", "TFText>RoundRobinTrim")
    assert "TFText>RoundRobinTrim" in custom_ops.unregistered_ops(saved_model_files.read_saved_model(path, str(path)))
    major_minor = ".".join(tf.__version__.split(".")[:2])
    with pytest.raises(rsm.ReusableError, match=rf'TFText>RoundRobinTrim.*pip install "tensorflow-text=={major_minor}\.\*"'):
        rsm.load(path)


def test_missing_custom_op_is_named_with_where_it_is_used(zoo_path, tmp_path):
    path = _with_op_renamed(zoo_path("mul"), tmp_path / "m", "Mul", "MyCompanyOp")
    with pytest.raises(rsm.HandleError, match=r"custom ops MyCompanyOp \(in __inference___call___\d+\)"):
        rsm.load(path)


def test_missing_ops_of_a_known_library_name_its_package_once(zoo_path, tmp_path):
    path = _with_op_renamed(zoo_path("mul"), tmp_path / "m", "Mul", "Addons>MyOp")
    with pytest.raises(rsm.HandleError) as raised:
        rsm.load(path)
    message = str(raised.value)
    assert re.search(r"TensorFlow Addons ops Addons>MyOp \(in __inference___call___\d+\): `pip install tensorflow-addons`", message)
    assert "custom ops" not in message  # a known library's op is not also an unknown one


def test_installed_tensorflow_text_is_imported_before_loading(zoo_path, tmp_path, monkeypatch):
    # A stand-in `tensorflow_text` that registers nothing: it must be imported, and the
    # op that stays unregistered still reported.
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "tensorflow_text.py").write_text("IMPORTED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    monkeypatch.delitem(sys.modules, "tensorflow_text", raising=False)
    path = _with_op_renamed(zoo_path("mul"), tmp_path / "m", "Mul", "TFText>RoundRobinTrim")
    with pytest.raises(rsm.ReusableError, match="TFText>RoundRobinTrim"):
        rsm.load(path)
    assert sys.modules["tensorflow_text"].IMPORTED


# -- item 7: None among the variables ---------------------------------------------------


def test_text_vectorization_model_none_variable_is_flagged_and_ignored(real_model, caplog):
    path = real_model("text_vectorization")
    raw = tf.saved_model.load(path)
    assert any(v is None for v in raw.variables)  # the exporter's own output
    report = rsm.check(path)
    assert not report.ok and "RSM125" in report.codes()
    with caplog.at_level(logging.WARNING, logger="reusable_savedmodel.interface._piece"):
        piece = rsm.load(path)
        assert len(piece.variables) == len(raw.variables) - 1
        assert piece.variables == piece.variables  # read twice, logged once
    assert sum("lists None" in r.getMessage() for r in caplog.records) == 1
    text = tf.constant(["the cat sat", "a dog"])
    assert_close(piece(text), raw(text))
    (grad,) = loss_gradients(piece, piece.trainable_variables, text)
    (raw_grad,) = loss_gradients(raw, [v for v in raw.trainable_variables if v is not None], text)
    assert_close(grad, raw_grad)


# -- item 10: the BERT text contracts ---------------------------------------------------


def test_bert_encoder_contract(tmp_path):
    encoder = bert_standins.BertEncoder()
    assert rsm.check(encoder, task="bert_encoder").ok
    saved = rsm.save(encoder, tmp_path / "encoder")
    report = rsm.check(saved, task="bert_encoder")
    assert report.ok and "RSM150" not in report.codes()
    broken = rsm.check(bert_standins.BertEncoder(broken=True), task="bert_encoder")
    assert not broken.ok and broken.codes() == {"RSM150"}
    assert "['pooled_output'] missing" in broken.findings[0].message
    assert "string[batch]" in rsm.check(encoder, task="bert_preprocessor").findings[0].message


def test_bert_preprocessor_contract_and_its_output_feeds_the_encoder(tmp_path):
    preprocessor = rsm.save(bert_standins.BertPreprocessor(), tmp_path / "preprocessor")
    assert rsm.check(preprocessor, task="bert_preprocessor").codes() == set()
    text = tf.constant(["hello world", "a b c"])
    inputs = preprocessor(text)
    assert inputs["input_word_ids"].shape == (2, bert_standins.SEQ)
    tokens = preprocessor.callable("tokenize")(text)
    packed = preprocessor.callable("bert_pack_inputs")([tokens], seq_length=bert_standins.SEQ)
    for key in ("input_word_ids", "input_mask", "input_type_ids"):
        np.testing.assert_array_equal(packed[key], inputs[key])
    assert rsm.check(bert_standins.BertEncoder(), task="bert_encoder").ok
    assert bert_standins.BertEncoder()(inputs)["pooled_output"].shape == (2, bert_standins.WIDTH)
    without = bert_standins.BertPreprocessor()
    del without.tokenize
    report = rsm.check(without, task="bert_preprocessor")
    assert "no named callable 'tokenize'" in report.findings[0].message


def test_tf_models_official_bert_encoder_export(tmp_path):
    site = os.environ.get(real_exporters.TF_MODELS_SITE)
    if not site:
        pytest.skip(
            f"tf-models-official is installed apart (it pins an older TensorFlow): run "
            f"`pip install --no-deps --target DIR tf-models-official gin-config` and set "
            f"{real_exporters.TF_MODELS_SITE}=DIR to test its BERT encoder export"
        )
    real_exporters.run_producers(tmp_path, ("tf_models_bert_encoder",), extra_path=site)
    path = str(tmp_path / "tf_models_bert_encoder")
    piece, raw = rsm.load(path), tf.saved_model.load(path)
    assert rsm.check(piece, task="bert_encoder").ok
    ids = tf.constant([[2, 7, 8, 3, 0, 0], [2, 9, 3, 10, 11, 3]], tf.int32)
    inputs = {"input_word_ids": ids, "input_mask": tf.cast(ids > 0, tf.int32), "input_type_ids": tf.zeros_like(ids)}
    for training in (False, True):
        got, expected = piece(inputs, training=training), raw(inputs, training=training)
        if not training:  # dropout draws differ between two training calls
            assert_close(got["pooled_output"], expected["pooled_output"])
        assert got["sequence_output"].shape == (2, 6, 8)
    positions = {**inputs, "masked_lm_positions": tf.constant([[1], [2]], tf.int32)}
    assert_close(piece.callable("mlm")(positions)["mlm_logits"], raw.mlm(positions)["mlm_logits"])
    grads = []
    for model, variables in ((piece, piece.trainable_variables), (raw, raw.trainable_variables)):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(model(inputs)["pooled_output"] ** 2)
        grads.append([tf.convert_to_tensor(g) for g in tape.gradient(loss, list(variables))])
    for got, expected in zip(*grads, strict=True):
        assert_close(got, expected)
