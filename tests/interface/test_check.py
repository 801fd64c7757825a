"""check: each rule fires on a model built to break it, and only there."""

import json
import re

import pytest
import tensorflow as tf

from fixtures import models
from reusable_savedmodel import interface as rsm

SPEC = tf.TensorSpec([None], tf.float32)


class _Base(tf.train.Checkpoint):
    """A conforming scalar model; subclasses break one rule each."""

    def __init__(self):
        super().__init__()
        self.v = tf.Variable(2.0)
        self.variables = [self.v]
        self.trainable_variables = [self.v]
        self.regularization_losses = [tf.function(input_signature=[])(lambda: 0.01 * self.v)]

    @tf.function
    def __call__(self, x, training=False):
        return x * self.v

    def trace(self, training_values=(False, True)):
        for t in training_values:
            self.__call__.get_concrete_function(SPEC, training=t)
        return self


def _saved(obj, tmp_path, name="m", signatures=None):
    path = tmp_path / name
    tf.saved_model.save(obj, str(path), signatures=signatures)
    return str(path)


@pytest.mark.parametrize("name", [n for n in models.NAMES])
def test_every_zoo_model_passes(zoo_path, name):
    report = rsm.check(zoo_path(name))
    assert report.ok, str(report)
    assert report.codes() <= {"RSM101"}


def test_conforming_base_has_no_findings(tmp_path):
    assert rsm.check(_saved(_Base().trace(), tmp_path)).findings == ()


def test_rsm100_call_missing():
    report = rsm.check(tf.train.Checkpoint(v=tf.Variable(1.0)))
    assert not report.ok and report.codes() == {"RSM100"}


def test_rsm101_signature_only_is_a_warning(zoo_path):
    report = rsm.check(zoo_path("signature_only"))
    assert report.ok and report.codes() == {"RSM101"}


def test_rsm102_python_call():
    class Plain:
        def __call__(self, x):
            return x

    assert rsm.check(Plain()).codes() == {"RSM102"}


def test_rsm103_no_traces():
    assert rsm.check(_Base()).codes() == {"RSM103"}


def _function_root(tmp_path):
    """A SavedModel whose root has only a bare tf.function `f` (as jax2tf exports do)."""
    root = tf.train.Checkpoint(v=tf.Variable(2.0))
    root.f = tf.function(input_signature=[SPEC])(lambda x: x * root.v)
    return _saved(root, tmp_path, signatures={})  # else `f` would be serving_default


def test_rsm104_root_not_callable(tmp_path):
    report = rsm.check(_function_root(tmp_path))
    assert report.ok and report.codes() == {"RSM104"}
    assert "tf.functions: f" in report.findings[0].message


def test_rsm105_bare_function(tmp_path):
    report = rsm.check(rsm.load(_function_root(tmp_path)).callable("f"))
    assert report.ok and report.codes() == {"RSM105"}


def test_rsm125_none_in_variables():
    obj = _Base().trace()
    obj.variables = [None, obj.v]
    report = rsm.check(obj)
    assert not report.ok and report.codes() == {"RSM125"}
    assert report.findings[0].where == "variables" and "positions [0]" in report.findings[0].message


def test_rsm110_training_trace_missing(tmp_path):
    report = rsm.check(_saved(_Base().trace(training_values=(False,)), tmp_path))
    assert report.codes() == {"RSM110"}
    assert "training=True has no trace" in report.errors[0].message


def test_rsm111_training_as_tensor(tmp_path):
    class TensorTraining(_Base):
        @tf.function(input_signature=[SPEC, tf.TensorSpec([], tf.bool)])
        def __call__(self, x, training):
            return tf.where(training, x, x * self.v)

    report = rsm.check(_saved(TensorTraining(), tmp_path))
    assert "RSM111" in report.codes() and not report.ok


def test_rsm120_list_not_a_sequence(tmp_path):
    obj = _Base().trace()
    obj.variables = obj.v  # a Variable, not a list
    report = rsm.check(_saved(obj, tmp_path))
    assert "RSM120" in report.codes()


def test_rsm121_and_rsm122_trainable_subset(tmp_path):
    obj = _Base().trace()
    frozen = tf.Variable(1.0, trainable=False)
    obj.trainable_variables = [obj.v, frozen]
    report = rsm.check(_saved(obj, tmp_path))
    assert {"RSM121", "RSM122"} <= report.codes()
    assert any(f.where == "trainable_variables[1]" for f in report.errors)


def test_rsm123_variable_not_listed(tmp_path):
    obj = _Base().trace()
    obj.variables = []
    obj.trainable_variables = []
    report = rsm.check(_saved(obj, tmp_path))
    assert report.codes() == {"RSM123"}
    assert "subclass rsm.ReusableModule" in report.errors[0].message  # says how to fix it


def test_rsm124_duplicate_variable(tmp_path):
    obj = _Base().trace()
    obj.variables = [obj.v, obj.v]
    report = rsm.check(_saved(obj, tmp_path))
    assert report.ok and report.codes() == {"RSM124"}


def test_rsm130_regularization_not_a_tf_function():
    obj = _Base().trace()
    obj.regularization_losses = [lambda: 0.1]
    assert rsm.check(obj).codes() == {"RSM130"}


def test_rsm131_regularization_takes_input(tmp_path):
    obj = _Base().trace()
    obj.regularization_losses = [tf.function(input_signature=[SPEC])(lambda x: tf.reduce_sum(x))]
    assert rsm.check(_saved(obj, tmp_path)).codes() == {"RSM131"}


@pytest.mark.parametrize(
    "loss", [lambda v: tf.stack([v, v]), lambda v: tf.constant(1, tf.int32)], ids=["vector", "int"]
)
def test_rsm132_regularization_not_scalar_float(tmp_path, loss):
    obj = _Base().trace()
    obj.regularization_losses = [tf.function(input_signature=[])(lambda: loss(obj.v))]
    assert rsm.check(_saved(obj, tmp_path)).codes() == {"RSM132"}


def test_rsm140_named_callable_nonconforming(tmp_path):
    obj = _Base().trace()
    obj.half = _Base().trace(training_values=(True,))
    report = rsm.check(_saved(obj, tmp_path))
    assert report.codes() == {"RSM110", "RSM140"}
    assert {f.where for f in report.errors} == {"half.__call__", "half"}


def test_rsm141_nested_callables_are_noted(tmp_path):
    obj = _Base().trace()
    obj.inner = _Base().trace()
    obj.inner.deeper = _Base().trace()
    report = rsm.check(_saved(obj, tmp_path))
    assert report.ok and report.codes() == {"RSM141"}


def test_rsm150_task_shapes(zoo_path):
    assert rsm.check(zoo_path("mlp"), task="image_feature_vector").codes() == {"RSM150"}
    assert rsm.check(zoo_path("text"), task="text_embedding").ok
    with pytest.raises(ValueError, match="unknown task 'nope'"):
        rsm.check(zoo_path("mlp"), task="nope")


def test_report_prints_as_table_and_json(tmp_path):
    report = rsm.check(_saved(_Base().trace(training_values=(False,)), tmp_path))
    text = str(report)
    assert text.startswith("check ") and "FAIL" in text
    assert "severity  code    rule" in text and "RSM110  training-trace-missing" in text
    data = json.loads(report.dumps())
    assert data["ok"] is False and data["findings"][0]["code"] == "RSM110"
    with pytest.raises(rsm.CheckFailedError, match="RSM110"):
        report.raise_if_failed()


def test_every_rule_has_a_test():
    tested = {code.upper() for name in list(globals()) for code in re.findall(r"rsm\d{3}", name)}
    assert tested == set(rsm.RULES)
