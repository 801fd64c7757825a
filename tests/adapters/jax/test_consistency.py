"""`to_jax` / `FlaxModule` behave as the TF consumers do: one-input signatures take a plain
tensor; errors name what converts instead, where the offending ops sit, and what to install."""

from __future__ import annotations

import shutil

import jax
import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.jax import UnconvertibleError, to_jax

X = np.random.RandomState(0).rand(3, 2).astype(np.float32)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """`__call__` lower-cases strings (unconvertible); a bare tf.function `score` and the
    one-input signature `serving_default` are numeric; the signature `words` uses strings."""
    w = tf.Variable([[1.0, -2.0], [0.5, 3.0]], name="w")

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def call(text):
        return tf.strings.length(tf.strings.lower(text))

    @tf.function(input_signature=[tf.TensorSpec([None, 2], tf.float32, name="features")])
    def score(features):
        return tf.matmul(features, w)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
    def words(text):
        return {"upper": tf.strings.length(tf.strings.upper(text))}

    root = tf.train.Checkpoint(variables=[w], trainable_variables=[w])
    root.__call__ = call
    root.score = score
    path = str(tmp_path_factory.mktemp("consistency") / "model")
    tf.saved_model.save(root, path, signatures={"serving_default": score, "words": words})
    return path


def test_one_input_signature_takes_a_plain_tensor(model):
    from reusable_savedmodel.adapters.flax import FlaxModule

    signature = tf.saved_model.load(model).signatures["serving_default"]
    expected = signature(features=tf.constant(X))
    jp = to_jax(model, signature="serving_default")
    assert_close(jp(X), expected)
    assert_close(jp({"features": X}), expected)  # the keyword form still works
    (key,) = expected
    assert_close(to_jax(model, signature="serving_default", output_key=key)(X), expected[key])
    assert_close(FlaxModule(model, signature="serving_default")(X), expected)


def test_error_suggests_root_functions_that_convert(model):
    with pytest.raises(UnconvertibleError) as info:
        to_jax(model)
    message = str(info.value)
    assert "StringLower" in message and "no named callable" not in message
    assert "callable='score'" in message
    raw = tf.saved_model.load(model)
    assert_close(to_jax(model, callable="score")(X), raw.score(tf.constant(X)))


def test_signature_ops_are_placed_at_the_signature(model):
    with pytest.raises(UnconvertibleError) as info:
        to_jax(model, signature="words")
    message = str(info.value)
    assert "cannot convert signature 'words'" in message and "StringUpper" in message
    assert "`__call__`" not in message and "StringLower" not in message


def test_missing_decision_forests_op_names_its_package(model, tmp_path):
    # A YDF / TF-DF export needs their op library: loading names the package to install.
    target = tmp_path / "ydf_like"
    shutil.copytree(model, target)
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((target / "saved_model.pb").read_bytes())
    node = next(
        n for f in proto.meta_graphs[0].graph_def.library.function for n in f.node_def if n.op == "MatMul"
    )
    node.op = "SimpleMLInferenceOpWithHandle"
    (target / "saved_model.pb").write_bytes(proto.SerializeToString())
    with pytest.raises(rsm.MissingOpError, match=r"Decision Forests.*SimpleMLInferenceOpWithHandle.*pip install tensorflow_decision_forests"):
        to_jax(str(target))


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """A Keras 3 `ExportArchive` with three endpoints (each also a signature)."""
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(2)])
    export = keras.export.ExportArchive()
    export.track(model)
    spec = [tf.TensorSpec([None, 3], tf.float32, name="x")]
    export.add_endpoint("serve", model.call, input_signature=spec)
    export.add_endpoint("hidden", lambda x: model.layers[0](x), input_signature=spec)
    export.add_endpoint("doubled", lambda x: 2.0 * model(x), input_signature=spec)
    path = str(tmp_path_factory.mktemp("archive") / "model")
    export.write_out(path, verbose=False)
    return path


@pytest.mark.parametrize("endpoint", ["serve", "hidden", "doubled"])
def test_export_archive_endpoints_take_a_plain_tensor(archive, endpoint):
    raw = tf.saved_model.load(archive)
    x = np.random.RandomState(1).rand(4, 3).astype(np.float32)
    expected = raw.signatures[endpoint](x=tf.constant(x))
    (key,) = expected
    assert_close(to_jax(archive, signature=endpoint)(x), expected)
    assert_close(to_jax(archive, signature=endpoint, output_key=key)(x), expected[key])
    # The endpoint is also a bare tf.function at the root: a callable, with its variables.
    jp = to_jax(archive, callable=endpoint)
    assert_close(jp(x), getattr(raw, endpoint)(tf.constant(x)))


class Checked(rsm.ReusableModule):
    """`tf.debugging.assert_*` inside the trace, as TFP's `validate_args=True` adds them."""

    def __init__(self):
        super().__init__(tf.TensorSpec([None, 2], tf.float32))
        self.w = tf.Variable([[1.0], [2.0]], name="w")

    def call(self, x, training=False):
        tf.debugging.assert_non_negative(x, message="x must be >= 0")
        y = tf.matmul(x, self.w)
        tf.debugging.assert_less(y, 100.0)
        return tf.math.log1p(y)


def test_assertions_are_dropped_with_a_log_line(tmp_path, caplog):
    path = str(tmp_path / "checked")
    rsm.save(Checked(), path)
    raw = tf.saved_model.load(path)
    x = np.array([[1.0, 2.0], [0.5, 0.0]], np.float32)
    jp = to_jax(path)
    with caplog.at_level("WARNING"):
        assert_close(jp(x), raw(tf.constant(x)))  # converts the trace
    assert "Assert has no effect" in caplog.text  # tf2jax says so for each one it drops
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(raw(tf.constant(x)))
    (expected,) = tape.gradient(loss, raw.trainable_variables)
    assert_close(jax.grad(lambda p: jp.apply(p, jp.state, x)[0].sum())(jp.params)["w"], expected)
    # As documented: JAX does not check them (TF refuses this input; JAX computes log1p(-5)).
    with pytest.raises(tf.errors.InvalidArgumentError, match="x must be >= 0"):
        raw(tf.constant(-x))
    assert np.isnan(np.asarray(jp(-x))).any()
