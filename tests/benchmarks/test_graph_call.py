"""Inside `tf.function` the adapters vanish: the traced graph is the raw object's, op for op.

The deterministic side of the benchmark's `tf.function` rows (`KerasLayer tf.function`,
`SonnetModule tf.function` against `raw in tf.function`): a graph with the same ops, calling
the same restored trace, runs the same work, so any timing gap there is noise.
"""

import pytest
import tensorflow as tf

from fixtures import models
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.keras import KerasLayer
from reusable_savedmodel.adapters.sonnet import SonnetModule


def graph_ops(fn, spec):
    """The traced graph's ops as (type, called function) pairs, in a canonical order."""
    graph = tf.function(fn).get_concrete_function(spec).graph
    return sorted(
        (op.type, op.get_attr("f").name if op.type.endswith("PartitionedCall") else "")
        for op in graph.get_operations()
    )


@pytest.fixture(scope="module")
def raw(zoo_path):
    return tf.saved_model.load(zoo_path("mlp"))


@pytest.fixture(scope="module")
def spec():
    x = models.example_inputs("mlp", batch=2)
    return tf.TensorSpec([None, *x.shape[1:]], tf.as_dtype(x.dtype))


@pytest.mark.parametrize("trainable", [False, True])
@pytest.mark.parametrize("training", [None, False, True])
def test_keras_layer_traces_the_raw_call_and_nothing_else(raw, spec, trainable, training):
    layer = KerasLayer(rsm.as_piece(raw), trainable=trainable, arguments={"dropout_rate": 0.25})
    kwargs = {} if training is None else {"training": training}
    runs_training = bool(training) and trainable  # a frozen layer runs the inference trace
    want = graph_ops(lambda x: raw(x, training=runs_training, dropout_rate=tf.constant(0.25)), spec)
    got = graph_ops(lambda x: layer(x, **kwargs), spec)
    assert any(t.endswith("PartitionedCall") and f for t, f in want)
    assert got == want


@pytest.mark.parametrize("is_training", [False, True])
def test_sonnet_module_traces_the_raw_call_and_nothing_else(raw, spec, is_training):
    module = SonnetModule(rsm.as_piece(raw))
    want = graph_ops(lambda x: raw(x, training=is_training), spec)
    assert graph_ops(lambda x: module(x, is_training=is_training), spec) == want
