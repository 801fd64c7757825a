"""Keras-on-JAX scenarios, run in one interpreter with `KERAS_BACKEND=jax`.

Keras fixes its backend at import, so `test_keras_jax.py` runs this script in a
subprocess: `python scenarios.py WORK_DIR MUL_PATH MLP_PATH TF_KERAS_MLP_PATH NAME...`.
Each scenario is a function below; the script runs the named ones in turn and writes
`WORK_DIR/results.json`: name -> None (passed) or the failure's traceback. The truth in
every scenario is independent of the adapter: hand-computed numbers, the raw
`tf.saved_model.load` object's outputs, gradients and state updates, or the Keras
model's own `stateless_call` under `jax.grad`.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path

os.environ["KERAS_BACKEND"] = "jax"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from fixtures import models  # noqa: E402
from fixtures.tolerances import assert_close  # noqa: E402
from reusable_savedmodel import interface as rsm  # noqa: E402
from reusable_savedmodel.adapters.keras import (  # noqa: E402
    KerasLayer,
    UnsupportedBackendError,
    from_keras,
)
from reusable_savedmodel.adapters.keras_jax import _consume as jax_consume  # noqa: E402

X = models.example_inputs("tf_keras_mlp", batch=8)
#: What `from_keras_export` leaves for the TF-backend consumers in the parent test.
EXPORT_DIR, EXPECTED_FILE, KERAS_FILE = "from_keras_model", "from_keras_expected.npz", "layer.keras"


def _moving_mean(layer: KerasLayer) -> keras.Variable:
    (variable,) = [w for w in layer.non_trainable_weights if "moving_mean" in w.name]
    return variable


def _raw_moving_mean(obj) -> tf.Variable:
    (variable,) = [v for v in obj.variables if "moving_mean" in v.name]
    return variable


def _mlp_model(path: str, **kwargs) -> tuple[keras.Model, KerasLayer]:
    layer = KerasLayer(path, trainable=True, **kwargs)
    return keras.Sequential([keras.Input((4,)), layer]), layer


def seeds_example(paths) -> None:
    """The seeds' example: `[10, 20] * v` with `v = 2`, regularized by `0.001 * v**2`."""
    frozen = KerasLayer(paths["mul"])
    assert_close(frozen(np.array([10.0, 20.0], np.float32)), np.array([20.0, 40.0], np.float32))
    assert frozen.trainable_weights == [] and frozen.losses == []
    layer = KerasLayer(paths["mul"], trainable=True)
    assert isinstance(layer, jax_consume.KerasLayer)
    assert_close(layer(np.array([10.0, 20.0], np.float32)), np.array([20.0, 40.0], np.float32))
    assert [np.asarray(w) for w in layer.trainable_weights] == [np.float32(2.0)]
    assert_close(layer.losses, [np.float32(0.004)])
    layer.trainable = False
    assert layer.losses == [] and layer.trainable_weights == []


def mlp_matches_raw_tf(paths) -> None:
    """Inference outputs, gradients and regularization equal the raw TF object's."""
    raw = tf.saved_model.load(paths["tf_keras_mlp"])
    model, layer = _mlp_model(paths["tf_keras_mlp"])
    expected = raw(X, training=False)
    assert_close(model.predict(X, verbose=0), expected)
    assert_close(model(X), expected)
    assert len(layer.trainable_weights) == len(raw.trainable_variables) == 6
    assert len(layer.non_trainable_weights) == 2  # the moving statistics
    assert_close(sum(model.losses), sum(loss() for loss in raw.regularization_losses))

    with tf.GradientTape() as tape:
        tf_loss = tf.reduce_sum(raw(X, training=False) ** 2)
    tf_grads = tape.gradient(tf_loss, raw.trainable_variables)
    trainable = [v.value for v in model.trainable_variables]
    state = [v.value for v in model.non_trainable_variables]

    def loss(params):
        return jnp.sum(model.stateless_call(params, state, X, training=False)[0] ** 2)

    # The layer names its weights after the piece's variables ("/" -> "_").
    jax_grads = dict(zip((w.name for w in model.trainable_variables), jax.grad(loss)(trainable)))
    for variable, grad in zip(raw.trainable_variables, tf_grads, strict=True):
        assert_close(jax_grads[variable.name[:-2].replace("/", "_")], grad, err_msg=variable.name)


def mlp_fit_and_state(paths) -> None:
    """Training writes the state back (eager, stateless, jit-compiled fit); predict does not."""
    keras.utils.set_random_seed(1)
    raw = tf.saved_model.load(paths["tf_keras_mlp"])
    model, layer = _mlp_model(paths["tf_keras_mlp"])
    moving_mean = _moving_mean(layer)
    start = np.array(moving_mean)

    # One eager training call updates the moving mean as the raw object's training trace
    # does (batch norm comes before dropout, so the random draw cannot change it).
    first = model(X, training=True)
    raw(X, training=True)
    assert_close(moving_mean, _raw_moving_mean(raw))
    assert not np.allclose(np.asarray(moving_mean), start)
    second = model(X, training=True)
    assert not np.allclose(np.asarray(first), np.asarray(second)), (
        "dropout drew the same mask twice"
    )

    # A stateless training call returns the new state and leaves the variables alone.
    before = np.array(moving_mean)
    trainable = [v.value for v in model.trainable_variables]
    state = [v.value for v in model.non_trainable_variables]
    _, new_state = model.stateless_call(trainable, state, X, training=True)
    index = [id(v) for v in model.non_trainable_variables].index(id(moving_mean))
    assert not np.allclose(np.asarray(new_state[index]), before)
    np.testing.assert_array_equal(np.asarray(moving_mean), before)

    # predict runs the inference trace: no state change.
    model.predict(X, verbose=0)
    np.testing.assert_array_equal(np.asarray(moving_mean), before)

    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse", jit_compile=True)
    targets = np.ones((8, 3), np.float32)
    history = model.fit(X, targets, epochs=6, batch_size=8, verbose=0).history["loss"]
    assert history[-1] < 0.5 * history[0], history
    assert not np.allclose(np.asarray(moving_mean), before), "fit did not update the statistics"
    assert len(model.losses) == 1  # the piece's regularization, trainable


def fit_then_save_piece(paths) -> None:
    """After `fit`, `layer.piece` (even one taken before training) saves the trained weights.

    The truth: the trained model's own predictions, against a plain `tf.saved_model.load`
    of the export; and they must differ from the untrained model's.
    """
    keras.utils.set_random_seed(4)
    original = tf.saved_model.load(paths["tf_keras_mlp"])(X, training=False).numpy()
    model, layer = _mlp_model(paths["tf_keras_mlp"])
    held = layer.piece  # taken before training, used after it
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse", jit_compile=True)
    model.fit(X, np.ones((8, 3), np.float32), epochs=3, batch_size=8, verbose=0)
    trained = np.asarray(model.predict(X, verbose=0))
    assert not np.allclose(trained, original), "fit did not change the outputs"

    for name, piece in (("piece", layer.piece), ("held", held)):
        saved = tf.saved_model.load(str(_saved(piece, paths, name)))
        assert_close(saved(X, training=False), trained, err_msg=name)
        # The moving statistics the training calls assigned travel too.
        assert_close(_raw_moving_mean(saved), _moving_mean(layer), err_msg=name)
    assert_close(held(X), trained)

    # More training after a save: the same held piece follows again.
    model.fit(X, np.zeros((8, 3), np.float32), epochs=2, batch_size=8, verbose=0)
    retrained = np.asarray(model.predict(X, verbose=0))
    assert not np.allclose(retrained, trained)
    assert_close(held(X), retrained)
    assert_close(tf.saved_model.load(str(_saved(held, paths, "again")))(X), retrained)

    # The enclosing model exported with `from_keras` carries the training as well.
    exported = tf.saved_model.load(str(_saved(from_keras(model), paths, "from_keras")))
    assert_close(exported(X), retrained)

    # Named callables handed out by the piece are written back too.
    keras.utils.set_random_seed(5)
    x = models.example_inputs("mlp", batch=8)
    mlp = KerasLayer(paths["mlp"], trainable=True)
    encoder = mlp.piece.callables["encoder"]
    classifier = keras.Sequential([keras.Input((x.shape[1],)), mlp])
    classifier.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    classifier.fit(x, np.ones_like(np.asarray(mlp(x))), epochs=2, verbose=0)
    raw_encoder = tf.saved_model.load(paths["mlp"]).encoder
    assert not np.allclose(encoder(x), raw_encoder(x, training=False))
    weights = [np.asarray(w) for w in mlp.trainable_weights]
    for variable in encoder.trainable_variables:
        assert any(np.array_equal(variable.numpy(), w) for w in weights), variable.name


def _saved(piece, paths, name: str) -> Path:
    path = paths["work"] / f"fine_tuned_{name}"
    rsm.save(piece, path)
    return path


def frozen_layer(paths) -> None:
    """Frozen: no trainable weights, no losses, the inference trace even in training."""
    raw = tf.saved_model.load(paths["tf_keras_mlp"])
    layer = KerasLayer(paths["tf_keras_mlp"])
    model = keras.Sequential([keras.Input((4,)), layer])
    before = np.array(_moving_mean(layer))
    assert model.trainable_weights == [] and model.losses == []
    assert_close(model(X, training=True), raw(X, training=False))
    np.testing.assert_array_equal(np.asarray(_moving_mean(layer)), before)


def callables_arguments_signatures(paths) -> None:
    """`callable=`, `arguments=` (tensor and Python kwargs) and `signature=`/`output_key=`."""
    raw = tf.saved_model.load(paths["mlp"])
    x = models.example_inputs("mlp", batch=8)
    encoder = KerasLayer(paths["mlp"], callable="encoder", trainable=True)
    assert_close(encoder(x), raw.encoder(x, training=False))
    # The curated-out input scale stays non-trainable.
    assert len(encoder.trainable_weights) == len(raw.encoder.trainable_variables)
    hidden = KerasLayer(paths["mlp"], arguments={"return_hidden": True})
    outputs = hidden(x)
    assert set(outputs) == {"logits", "hidden"}
    assert_close(outputs, raw(x, training=False, return_hidden=True))
    # With no dropout the training trace is deterministic: compare it with the raw one's.
    no_dropout = KerasLayer(paths["mlp"], trainable=True, arguments={"dropout_rate": 0.0})
    assert_close(no_dropout(x, training=True), raw(x, training=True, dropout_rate=0.0))

    signature_path = paths["work"] / "signature_only"
    models.export("signature_only", signature_path)
    raw_signature = tf.saved_model.load(str(signature_path)).signatures["serving_default"]
    sx = np.arange(6, dtype=np.float32).reshape(3, 2)
    layer = KerasLayer(str(signature_path), signature="serving_default", output_key="y")
    assert_close(layer(sx), raw_signature(x=tf.constant(sx))["y"])
    model = keras.Sequential([keras.Input((2,)), layer])
    assert_close(model.predict(sx, verbose=0), raw_signature(x=tf.constant(sx))["y"])


def unconvertible_piece(paths) -> None:
    """A piece JAX cannot run (strings, lookup tables) fails at construction, saying why."""
    from reusable_savedmodel.adapters.jax import UnconvertibleError

    text_path = paths["work"] / "text"
    models.export("text", text_path)
    try:
        KerasLayer(str(text_path))
    except UnconvertibleError as error:
        assert "LookupTableFindV2" in str(error) and "KERAS_BACKEND=tensorflow" in str(error), error
    else:
        raise AssertionError("a string model was accepted on the JAX backend")


def keras_file_round_trip(paths) -> None:
    """A fine-tuned model saves to `.keras` and loads back (safe mode: scanned, local only)."""
    keras.utils.set_random_seed(2)
    model, layer = _mlp_model(paths["tf_keras_mlp"])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(X, np.ones((8, 3), np.float32), epochs=2, verbose=0)
    path = paths["work"] / KERAS_FILE
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe mode
    (loaded_layer,) = loaded.layers
    assert isinstance(loaded_layer, jax_consume.KerasLayer) and loaded_layer.trainable
    for saved, restored in zip(model.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(np.asarray(restored), np.asarray(saved))
    fine_tuned = layer.trainable_weights[0]
    raw = tf.saved_model.load(paths["tf_keras_mlp"])
    assert not np.allclose(np.asarray(fine_tuned), raw.trainable_variables[0].numpy())
    assert_close(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    np.save(paths["work"] / "keras_file_outputs.npy", np.asarray(model.predict(X, verbose=0)))

    config = {**layer.get_config(), "handle": "https://example.invalid/model.tar.gz"}
    try:
        jax_consume.KerasLayer.from_config(config)
    except ValueError as error:
        assert "safe mode" in str(error), error
    else:
        raise AssertionError("a remote handle loaded in safe mode")


def _keras_model() -> keras.Model:
    keras.utils.set_random_seed(3)
    inputs = keras.Input((4,))
    h = keras.layers.Dense(8, kernel_regularizer=keras.regularizers.L2(0.01), name="hidden")(inputs)
    h = keras.layers.BatchNormalization(name="norm")(h)
    h = keras.layers.Dropout(0.3)(keras.layers.ReLU()(h))
    outputs = keras.layers.Dense(3, kernel_regularizer=keras.regularizers.L1(0.001), name="logits")(
        h
    )
    return keras.Model(inputs, outputs)


def from_keras_export(paths) -> None:
    """`from_keras` on JAX: plain TF loads, runs, trains and differentiates the export."""
    model = _keras_model()
    model(X, training=True)  # moves the statistics and the seed away from their initial values
    path = paths["work"] / EXPORT_DIR
    rsm.save(from_keras(model, callables={"hidden": model.get_layer("hidden")}), path)
    obj = tf.saved_model.load(str(path))
    expected = model(X, training=False)
    assert_close(obj(X), expected)
    assert_close(obj.hidden(X), model.get_layer("hidden")(X))
    assert len(obj.trainable_variables) == len(model.trainable_variables) == 6
    assert len(obj.variables) == len(model.trainable_variables) + len(model.non_trainable_variables)
    assert_close(sum(loss() for loss in obj.regularization_losses), sum(model.losses))

    # Gradients: plain TF on the export against jax.grad of the Keras model's stateless call.
    with tf.GradientTape() as tape:
        tf_loss = tf.reduce_sum(obj(X) ** 2)
    tf_grads = tape.gradient(tf_loss, obj.trainable_variables)
    trainable = [v.value for v in model.trainable_variables]
    state = [v.value for v in model.non_trainable_variables]
    jax_grads = jax.grad(
        lambda params: jnp.sum(model.stateless_call(params, state, X, training=False)[0] ** 2)
    )(trainable)
    by_path = {v.path: g for v, g in zip(model.trainable_variables, jax_grads)}
    for variable, grad in zip(obj.trainable_variables, tf_grads):
        assert_close(
            grad, by_path[variable.name.removeprefix("params/")[:-2]], err_msg=variable.name
        )

    # The training trace assigns the statistics Keras's own stateless training call computes.
    _, new_state = model.stateless_call(trainable, state, X, training=True)
    expected_mean = new_state[
        [v.path for v in model.non_trainable_variables].index("norm/moving_mean")
    ]
    first = obj(X, training=True)
    (moving_mean,) = [v for v in obj.variables if v.name == "state/norm/moving_mean:0"]
    assert_close(moving_mean, expected_mean)
    assert not np.allclose(first.numpy(), obj(X, training=True).numpy()), "dropout repeated"

    # Back into Keras on JAX (the embedded JAX functions run again), in process and saved;
    # the saved one fine-tunes with a jit-compiled fit.
    assert_close(KerasLayer(from_keras(model))(X), expected)
    layer = KerasLayer(str(path), trainable=True)
    assert_close(layer(X), expected)
    assert_close(layer.losses[0], sum(model.losses))
    classifier = keras.Sequential([keras.Input((4,)), layer])
    classifier.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse", jit_compile=True)
    history = classifier.fit(X, np.ones((8, 3), np.float32), epochs=4, verbose=0).history["loss"]
    assert history[-1] < history[0], history
    np.savez(
        paths["work"] / EXPECTED_FILE,
        outputs=np.asarray(expected),
        regularization=np.asarray(sum(model.losses)),
    )


def other_implementations_refuse(paths) -> None:
    """The TF-backend classes say which one to use on JAX."""
    from reusable_savedmodel.adapters.keras import _consume as consume
    from reusable_savedmodel.adapters.keras import _produce as produce

    for build in (
        lambda: consume.KerasLayer(paths["mul"]),
        lambda: produce.from_keras(_keras_model()),
    ):
        try:
            build()
        except UnsupportedBackendError as error:
            assert "reusable_savedmodel.adapters.keras." in str(error) and "'jax'" in str(error), (
                error
            )
        else:
            raise AssertionError("the TensorFlow-backend implementation ran on JAX")


SCENARIOS = {
    f.__name__: f
    for f in (
        seeds_example,
        mlp_matches_raw_tf,
        mlp_fit_and_state,
        fit_then_save_piece,
        frozen_layer,
        callables_arguments_signatures,
        unconvertible_piece,
        keras_file_round_trip,
        from_keras_export,
        other_implementations_refuse,
    )
}


def main(argv: list[str]) -> int:
    work, mul, mlp, tf_keras_mlp, *names = argv
    paths = {"work": Path(work), "mul": mul, "mlp": mlp, "tf_keras_mlp": tf_keras_mlp}
    assert keras.backend.backend() == "jax"
    results: dict[str, str | None] = {}
    for name in names:
        try:
            SCENARIOS[name](paths)
            results[name] = None
        except Exception:  # reported per scenario: the parent test fails with the traceback
            results[name] = traceback.format_exc()
    (Path(work) / "results.json").write_text(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
