"""Fine-tuning KerasLayer in Keras 3: fit, re-export, `.keras` files, safe mode.

MirroredStrategy is tested against one device in tests/conformance/test_scale_out.py.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from fixtures import models
from fixtures.tolerances import assert_close
from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.keras import KerasLayer

X = models.example_inputs("mlp", batch=32)
Y = np.arange(32) % 3


def classifier(layer):
    model = keras.Sequential([keras.Input((4,)), layer])
    model.compile(
        optimizer=keras.optimizers.Adam(0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


def moving_statistics(layer):
    return [np.array(w) for w in layer.non_trainable_weights if "moving" in w.value.name]


def test_sequential_fine_tunes_and_reexports(zoo_path, tmp_path):
    layer = KerasLayer(zoo_path("mlp"), trainable=True)
    model = classifier(layer)
    frozen_scale = np.array(layer.piece.obj.encoder.input_scale)
    stats = moving_statistics(layer)
    model.evaluate(X, Y, verbose=0)
    model.predict(X, verbose=0)
    for before, after in zip(stats, moving_statistics(layer), strict=True):
        np.testing.assert_array_equal(before, after)  # inference leaves them alone

    history = model.fit(X, Y, epochs=8, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert all(not np.array_equal(b, a) for b, a in zip(stats, moving_statistics(layer)))
    # Curated out of trainable_variables: untouched by the optimizer.
    np.testing.assert_array_equal(layer.piece.obj.encoder.input_scale, frozen_scale)

    tuned = model.predict(X, verbose=0)
    reloaded = rsm.save(layer.piece, tmp_path / "tuned")
    assert_close(reloaded(X), tuned)
    assert not np.allclose(tf.saved_model.load(zoo_path("mlp"))(X), tuned, atol=1e-3)


def test_dot_keras_round_trip_keeps_fine_tuned_weights(zoo_path, tmp_path):
    layer = KerasLayer(zoo_path("mlp"), trainable=True, arguments={"dropout_rate": 0.2})
    model = classifier(layer)
    model.fit(X, Y, epochs=2, batch_size=16, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe mode: local handle, clean scan
    (restored,) = loaded.layers
    assert isinstance(restored, KerasLayer)
    assert restored.trainable and restored.handle == zoo_path("mlp")
    assert restored.get_config()["arguments"] == {"dropout_rate": 0.2}
    assert_close(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    # The restored layer holds the fine-tuned values in the new piece's own variables.
    for ours, theirs in zip(restored.piece.variables, layer.piece.variables, strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_get_config_needs_a_handle(zoo_path):
    layer = KerasLayer(rsm.load(zoo_path("mul")))
    with pytest.raises(NotImplementedError, match="has a config only when built from a handle"):
        layer.get_config()


class _ReadsFiles(tf.Module):
    """Adds the number in a file: a graph that reads files, which safe mode refuses."""

    def __init__(self, filename):
        super().__init__()
        self.filename = filename

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def __call__(self, x):
        return x + tf.strings.to_number(tf.io.read_file(self.filename))


def test_safe_mode(tmp_path):
    (tmp_path / "one.txt").write_text("1")
    path = str(tmp_path / "reads_files")
    tf.saved_model.save(_ReadsFiles(str(tmp_path / "one.txt")), path)
    model = keras.Sequential([keras.Input((3,)), KerasLayer(path)])
    model.save(tmp_path / "unsafe.keras")
    with pytest.raises(rsm.UnsafeModelError, match="refused by the strict scan"):
        keras.saving.load_model(tmp_path / "unsafe.keras")
    loaded = keras.saving.load_model(tmp_path / "unsafe.keras", safe_mode=False)
    np.testing.assert_allclose(loaded(np.zeros([1, 3], np.float32)), [[1.0, 1.0, 1.0]])

    config = {**KerasLayer(path).get_config(), "handle": "https://example.com/m.tar.gz"}
    with pytest.raises(ValueError, match="Refusing to load the KerasLayer handle 'https://example.com/m.tar.gz' in Keras safe mode"):
        KerasLayer.from_config(config)
