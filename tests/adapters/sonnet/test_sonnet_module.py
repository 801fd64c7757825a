"""SonnetModule against the raw loaded object: outputs, variables, gradients, errors."""

import numpy as np
import pytest
import sonnet as snt
import tensorflow as tf

from fixtures import models
from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.sonnet import SonnetModule

X = models.example_inputs("mlp", batch=8)


def ids(variables):
    return [id(v) for v in variables]


@pytest.fixture
def mlp(zoo_path):
    return zoo_path("mlp")


def test_outputs_match_the_raw_object(mlp):
    raw = tf.saved_model.load(mlp)
    module = SonnetModule(mlp)
    assert_close(module(X), raw(X))
    hidden, raw_hidden = module(X, return_hidden=True), raw(X, return_hidden=True)
    assert set(hidden) == set(raw_hidden) == {"logits", "hidden"}
    assert_close(hidden["hidden"], raw_hidden["hidden"])
    # Training trace without dropout: batch statistics, deterministic.
    assert_close(module(X, is_training=True, dropout_rate=0.0), raw(X, training=True, dropout_rate=0.0))
    with_arguments = SonnetModule(mlp, arguments={"dropout_rate": 0.0})
    assert_close(with_arguments(X, is_training=True), raw(X, training=True, dropout_rate=0.0))


def test_variables_are_the_pieces_own(mlp):
    piece = rsm.load(mlp)
    module = SonnetModule(piece)
    assert module.piece is piece
    assert ids(module.variables) == ids(piece.variables) == ids(piece.obj.variables)
    assert ids(module.trainable_variables) == ids(piece.trainable_variables)
    assert len(module.variables) == 9 and len(module.trainable_variables) == 6
    # The author curated `input_scale` out of trainable_variables although its flag is True.
    assert not any("input_scale" in v.name for v in module.trainable_variables)
    module.trainable_variables[0].assign_add(tf.ones_like(module.trainable_variables[0]))
    np.testing.assert_array_equal(piece.obj.trainable_variables[0], module.trainable_variables[0])


class Classifier(snt.Module):
    def __init__(self, handle, trainable):
        super().__init__()
        self.encoder = SonnetModule(handle, callable="encoder", trainable=trainable)
        self.head = snt.Linear(2)

    def __call__(self, x, is_training):
        return self.head(self.encoder(x, is_training=is_training))


def test_an_enclosing_module_tracks_exactly_the_trainable_subset(mlp):
    tuned = Classifier(mlp, trainable=True)
    tuned(X, is_training=False)
    assert set(ids(tuned.trainable_variables)) == set(
        ids(tuned.encoder.piece.trainable_variables) + ids(tuned.head.trainable_variables)
    )
    frozen = Classifier(mlp, trainable=False)
    frozen(X, is_training=False)
    assert ids(frozen.trainable_variables) == ids(frozen.head.trainable_variables)
    assert frozen.encoder.trainable_variables == ()
    assert ids(frozen.encoder.variables) == ids(frozen.encoder.piece.variables)
    # Variables whose flag is False (moving statistics) stay visible to the parent.
    moving = [v for v in frozen.encoder.piece.variables if not v.trainable]
    assert len(moving) == 2 and set(ids(moving)) <= set(ids(frozen.variables))


def test_gradients_match_the_raw_object(mlp):
    raw = tf.saved_model.load(mlp)
    module = SonnetModule(mlp)

    def gradients(call, variables):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(call() ** 2)
        return tape.gradient(loss, variables)

    expected = gradients(lambda: raw(X, training=True, dropout_rate=0.0), raw.trainable_variables)
    got = gradients(
        lambda: module(X, is_training=True, dropout_rate=0.0), module.trainable_variables
    )
    assert len(got) == len(expected) == 6
    for g, e in zip(got, expected, strict=True):
        assert g is not None
        assert_close(g, e, deep=True)


def test_an_adam_step_matches_the_same_step_on_the_raw_object(mlp):
    raw = tf.saved_model.load(mlp)
    module = SonnetModule(mlp)
    before = [v.numpy() for v in module.variables]
    for call, variables in (
        (lambda: raw(X, training=True, dropout_rate=0.0), raw.trainable_variables),
        (lambda: module(X, is_training=True, dropout_rate=0.0), module.trainable_variables),
    ):
        optimizer = snt.optimizers.Adam(0.01)
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(call() ** 2)
        optimizer.apply(tape.gradient(loss, variables), variables)
    for got, expected in zip(module.variables, raw.variables, strict=True):
        assert_close(got, expected)
    changed = {
        id(v) for v, old in zip(module.variables, before, strict=True) if not np.array_equal(v, old)
    }
    moving = {id(v) for v in module.variables if not v.trainable}
    assert changed == set(ids(module.trainable_variables)) | moving
    # Batch-norm statistics, from the weights before the step: momentum 0.9, from zero.
    names = [v.name for v in module.variables]
    assert names == [v.name for v in raw.variables]  # the SavedModel's names, kept
    old = dict(zip(names, before, strict=True))
    pre_norm = (X * old["encoder/input_scale:0"]) @ old["encoder/dense/kernel:0"] + old[
        "encoder/dense/bias:0"
    ]
    new = {n: v.numpy() for n, v in zip(names, module.variables, strict=True)}
    assert_close(new["encoder/batch_norm/moving_mean:0"], 0.1 * pre_norm.mean(0), deep=True)


def test_a_frozen_module_runs_the_inference_trace(mlp):
    raw = tf.saved_model.load(mlp)
    frozen = SonnetModule(mlp, trainable=False)
    before = [v.numpy() for v in frozen.variables]
    assert_close(frozen(X, is_training=True), raw(X))
    for v, old in zip(frozen.variables, before, strict=True):
        np.testing.assert_array_equal(v, old)
    assert frozen.trainable_variables == ()
    assert float(frozen.regularization_loss()) == 0.0
    kernels = [v.numpy() for v in raw.variables if v.name.endswith("dense/kernel:0")]
    expected = sum(0.001 * np.sum(k**2) for k in kernels)
    assert float(SonnetModule(mlp).regularization_loss()) == pytest.approx(expected, rel=1e-5)


def test_a_tensor_is_training_dispatches_between_the_traces(mlp):
    raw = tf.saved_model.load(mlp)
    module = SonnetModule(mlp, arguments={"dropout_rate": 0.0})
    call = tf.function(
        lambda flag: module(X, is_training=flag), input_signature=[tf.TensorSpec([], tf.bool)]
    )
    assert_close(call(tf.constant(False)), raw(X))
    assert_close(module(X, is_training=tf.constant(False)), raw(X))
    assert_close(call(tf.constant(True)), raw(X, training=True, dropout_rate=0.0))


def test_named_callables_by_name_and_as_sub_modules(mlp):
    raw = tf.saved_model.load(mlp)
    encoder = SonnetModule(mlp, callable="encoder")
    assert_close(encoder(X), raw.encoder(X))
    assert encoder.name == "encoder"
    assert ids(encoder.trainable_variables) == ids(encoder.piece.trainable_variables)
    module = SonnetModule(mlp)
    assert sorted(module.callables) == ["decoder", "encoder"]
    assert module.encoder is module.callables["encoder"]
    assert module.encoder.name_scope.name == "sonnet_module/encoder/"
    assert_close(module.decoder(module.encoder(X)), module(X))
    assert set(ids(module.encoder.variables)) <= set(ids(module.variables))
    assert SonnetModule(mlp, trainable=False).encoder.trainable_variables == ()


def test_name_scopes_follow_sonnet_conventions(mlp):
    module = SonnetModule(mlp, name="features")
    assert module.name == "features" and SonnetModule(mlp).name == "sonnet_module"
    # Loaded outside the module's name scope: the SavedModel's names are kept (so that
    # re-exporting and to_jax see the same names).
    assert [v.name for v in module.variables] == [v.name for v in tf.saved_model.load(mlp).variables]
    graph = tf.function(module).get_concrete_function(tf.TensorSpec([None, 4], tf.float32)).graph
    calls = [op.name for op in graph.get_operations() if "PartitionedCall" in op.type]
    assert calls and all(name.startswith("features/") for name in calls)


def test_the_module_prints_usefully(mlp):
    text = repr(SonnetModule(mlp, arguments={"dropout_rate": 0.0}))
    for part in (
        "name='sonnet_module'",
        repr(mlp),
        "trainable=True",
        "variables=9",
        "trainable_variables=6",
        "regularization_losses=2",
        "['decoder', 'encoder']",
        "arguments=['dropout_rate']",
    ):
        assert part in text
    assert "trainable_variables=0, regularization_losses=0" in repr(
        SonnetModule(mlp, trainable=False)
    )


def test_an_unknown_callable_is_refused(mlp):
    with pytest.raises(
        rsm.NonConformingError, match=r"no named callable 'nope'; available: decoder, encoder"
    ):
        SonnetModule(mlp, callable="nope")
    with pytest.raises(
        AttributeError, match=r"no attribute 'nope'; named callables: decoder, encoder"
    ):
        SonnetModule(mlp).nope  # noqa: B018


@pytest.mark.parametrize(
    "flag, shown",
    [
        ("yes", "str 'yes'"),
        (1, "int 1"),
        (tf.constant(1.0), "float32[]"),
        (tf.constant([True, False]), "bool[2]"),
    ],
)
@pytest.mark.parametrize("trainable", [True, False])
def test_a_bad_is_training_is_refused(mlp, flag, shown, trainable):
    module = SonnetModule(mlp, trainable=trainable)
    expected = r"is_training must be a Python bool or a scalar tf.bool tensor, got " + shown
    with pytest.raises(
        rsm.InputMismatchError, match=expected.replace("[", r"\[").replace("]", r"\]")
    ):
        module(X, is_training=flag)


def test_training_instead_of_is_training_is_refused(mlp):
    with pytest.raises(
        rsm.InputMismatchError, match=r"takes Sonnet's `is_training`, not `training`"
    ):
        SonnetModule(mlp)(X, training=True)


def test_an_input_matching_no_trace_is_refused(mlp):
    module = SonnetModule(mlp)
    with pytest.raises(rsm.InputMismatchError) as error:
        module(np.zeros([2, 5], np.float32))
    message = str(error.value)
    assert "matches none of the" in message
    assert "Got inputs float32[2,5], training=False" in message
    assert "Accepted inputs:\n  - float32[?,4]" in message


def test_a_signature_only_model_is_refused_on_call(zoo_path):
    module = SonnetModule(zoo_path("signature_only"))
    assert module.variables == () and module.trainable_variables == ()  # it lists none
    with pytest.raises(rsm.NonConformingError, match=r"signature-only: it has no `__call__`; pick what runs: piece.callable\(NAME\)"):
        module(np.zeros([1, 2], np.float32))


def test_a_bad_handle_is_refused(tmp_path):
    with pytest.raises(rsm.HandleError, match=r"no such file or directory"):
        SonnetModule(str(tmp_path / "missing"))
