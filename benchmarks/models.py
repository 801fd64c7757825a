"""The benchmark models, exported once into a work directory."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import tensorflow as tf

from reusable_savedmodel.interface import zoo


def _mobilenet(path: Path) -> None:
    # A real-sized network with random weights, saved the classic TF Hub way (tf_keras).
    import tf_keras

    model = tf_keras.applications.MobileNetV2(input_shape=(128, 128, 3), weights=None, classes=100)
    tf.saved_model.save(model, str(path))


#: name -> (exporter, input shape without the batch dimension)
MODELS: dict[str, tuple[Callable[[Path], None], tuple[int, ...]]] = {
    "tiny_mlp": (lambda p: zoo.export("mlp", p), (4,)),
    "mlp": (lambda p: zoo.export("mlp", p, features=256, hidden=1024, classes=10), (256,)),
    "mobilenet_v2": (_mobilenet, (128, 128, 3)),
}


def export(name: str, directory: Path) -> Path:
    """Exports model `name` into `directory` (once) and returns its path."""
    path = directory / name
    if not path.exists():
        MODELS[name][0](path)
    return path


def inputs(name: str, batch: int) -> np.ndarray:
    """Deterministic float32 inputs for model `name`."""
    shape = (batch, *MODELS[name][1])
    return np.random.default_rng(0).standard_normal(shape).astype(np.float32)
