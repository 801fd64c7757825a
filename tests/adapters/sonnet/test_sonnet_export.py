"""from_sonnet: traces, lists, regularizers, the round trip and its errors."""

import importlib

import numpy as np
import pytest
import sonnet as snt
import tensorflow as tf
from sonnet_models import INPUT_SIGNATURE, SonnetMLP

from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.sonnet import SonnetModule, from_sonnet

X = np.random.default_rng(2).standard_normal((16, 4)).astype(np.float32)
LABELS = np.arange(16) % 3
L2 = 1e-3


def ids(variables):
    return {id(v) for v in variables}


@pytest.fixture
def exported():
    module = SonnetMLP(name="mlp")
    piece = from_sonnet(
        module, input_signature=INPUT_SIGNATURE, regularizers={"*/w": snt.regularizers.L2(L2)}
    )
    return module, piece


def test_the_piece_has_both_traces_the_lists_and_the_regularizer(exported):
    module, piece = exported
    assert piece.obj.module is module
    assert piece.spec.call.training_values == (False, True)
    assert ids(piece.variables) == ids(module.variables)
    assert ids(piece.trainable_variables) == ids(module.trainable_variables)
    assert_close(piece(X), module(X, is_training=False))
    kernels = [module.hidden.w.numpy(), module.logits.w.numpy()]
    assert float(piece.regularization_loss()) == pytest.approx(
        L2 * sum(np.sum(k**2) for k in kernels), rel=1e-5
    )
    assert rsm.check(piece).ok


def test_the_round_trip_loads_back_with_identical_outputs(exported, tmp_path):
    hub = pytest.importorskip("tensorflow_hub")
    module, piece = exported
    module(X, is_training=True)  # non-trivial batch-norm statistics
    path = str(tmp_path / "snt_mlp")
    loaded = rsm.save(piece, path)
    assert rsm.check(path).ok
    expected = module(X, is_training=False)
    assert_close(loaded(X), expected)
    assert_close(SonnetModule(path)(X), expected)
    assert_close(hub.KerasLayer(path)(X), expected)
    assert float(loaded.regularization_loss()) == pytest.approx(float(piece.regularization_loss()))
    # The training trace updates the batch-norm statistics as the module itself does.
    reloaded = SonnetModule(path)
    module(X, is_training=True)
    reloaded(X, is_training=True)
    assert_close(reloaded(X), module(X, is_training=False))


def test_the_export_fine_tunes_in_tensorflow_hubs_keras_layer(exported, tmp_path):
    hub = pytest.importorskip("tensorflow_hub")
    tf_keras = pytest.importorskip("tf_keras")
    _, piece = exported
    path = str(tmp_path / "snt_mlp")
    rsm.save(piece, path)
    layer = hub.KerasLayer(path, trainable=True)
    model = tf_keras.Sequential([tf_keras.layers.InputLayer(input_shape=(4,)), layer])
    model.compile(
        tf_keras.optimizers.Adam(0.05),
        loss=tf_keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    history = model.fit(X, LABELS, epochs=25, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]
    assert len(layer.losses) == 1  # the exported regularizer


def test_the_export_fine_tunes_in_the_keras_3_adapter(exported, tmp_path):
    adapter = importlib.import_module("reusable_savedmodel.adapters.keras")
    if not hasattr(adapter, "KerasLayer"):
        pytest.skip("the Keras 3 adapter has not landed yet")
    keras = pytest.importorskip("keras")
    _, piece = exported
    path = str(tmp_path / "snt_mlp")
    rsm.save(piece, path)
    assert_close(np.asarray(adapter.KerasLayer(path)(X)), piece(X))
    model = keras.Sequential([keras.Input((4,)), adapter.KerasLayer(path, trainable=True)])
    model.compile(
        keras.optimizers.Adam(0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    history = model.fit(X, LABELS, epochs=25, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.8 * history.history["loss"][0]


def test_a_module_without_a_training_flag():
    linear = snt.Linear(2)
    piece = from_sonnet(
        linear, input_signature=tf.TensorSpec([None, 3], tf.float32), training_arg=None
    )
    x = np.ones([2, 3], np.float32)
    np.testing.assert_allclose(piece(x), linear(x))
    np.testing.assert_allclose(piece(x, training=True), linear(x))
    assert ids(piece.trainable_variables) == ids(linear.trainable_variables)
    assert piece.regularization_losses == ()


def test_declared_trainable_variables_and_extra_kwargs():
    class Scaled(snt.Module):
        def __init__(self):
            super().__init__()
            self.mlp = SonnetMLP()

        def __call__(self, x, is_training, scale=1.0, as_dict=False):
            y = self.mlp(x, is_training=is_training) * scale
            return {"y": y} if as_dict else y

    module = Scaled()
    snt.build(module, INPUT_SIGNATURE, is_training=False)
    piece = from_sonnet(
        module,
        input_signature=INPUT_SIGNATURE,
        trainable_variables=module.mlp.logits.trainable_variables,
        regularizers={"*/w": snt.regularizers.L1(0.5)},
        tensor_kwargs={"scale": tf.TensorSpec([], tf.float32)},
        python_kwargs={"as_dict": (False, True)},
    )
    assert ids(piece.trainable_variables) == ids(module.mlp.logits.trainable_variables)
    # Patterns match trainable variables only: here the logits' w alone.
    assert float(piece.regularization_loss()) == pytest.approx(
        0.5 * np.sum(np.abs(module.mlp.logits.w.numpy())), rel=1e-5
    )
    assert_close(piece(X, scale=3.0, as_dict=True)["y"], 3.0 * module(X, is_training=False))


def test_a_pattern_matching_no_trainable_variable_is_refused():
    with pytest.raises(
        ValueError,
        match=r"pattern 'nope/\*' matches no trainable variable; trainable variables: mlp/hidden/b, mlp/hidden/w, mlp/logits/b",
    ):
        from_sonnet(
            SonnetMLP(name="mlp"),
            input_signature=INPUT_SIGNATURE,
            regularizers={"nope/*": snt.regularizers.L2(1.0)},
        )


def test_a_regularizer_key_that_is_no_pattern_is_refused():
    with pytest.raises(TypeError, match=r"keys are variable name patterns \(str\) .* got int 3"):
        from_sonnet(
            SonnetMLP(), input_signature=INPUT_SIGNATURE, regularizers={3: snt.regularizers.L2(1.0)}
        )


def test_a_missing_training_argument_is_refused():
    with pytest.raises(
        ValueError, match=r"linear.__call__ has no parameter 'is_training'; pass training_arg="
    ):
        from_sonnet(snt.Linear(2), input_signature=tf.TensorSpec([None, 3], tf.float32))


def test_a_non_sonnet_module_is_refused():
    with pytest.raises(TypeError, match=r"expects an snt.Module, got function"):
        from_sonnet(lambda x, is_training: x, input_signature=INPUT_SIGNATURE)


def test_bad_declared_trainable_variables_are_refused():
    module = SonnetMLP(name="mlp")
    snt.build(module, INPUT_SIGNATURE, is_training=False)
    moving = [v for v in module.variables if not v.trainable][:1]
    with pytest.raises(ValueError, match=r"trainable_variables: mlp/norm/.* has trainable=False"):
        from_sonnet(module, input_signature=INPUT_SIGNATURE, trainable_variables=moving)
    with pytest.raises(
        ValueError, match=r"trainable_variables: stray is not used by the module's call"
    ):
        from_sonnet(
            module,
            input_signature=INPUT_SIGNATURE,
            trainable_variables=[tf.Variable(1.0, name="stray")],
        )
