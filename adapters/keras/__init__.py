"""Keras 3 adapter: `KerasLayer` (consume) and `from_keras` (produce).

`from reusable_savedmodel.adapters import keras as rsm_keras`, then
`rsm_keras.KerasLayer(handle, trainable=True)` to use a Reusable SavedModel as a Keras 3
layer, and `rsm.save(rsm_keras.from_keras(model), path)` to publish a Keras model as one.
Runs on the TensorFlow backend (`KERAS_BACKEND=tensorflow`, Keras' default: this package's
`consume` and `produce`) and on the JAX backend (`KERAS_BACKEND=jax`: the piece runs as
JAX, implemented by `reusable_savedmodel.adapters.keras_jax`, found through
`backends.implementation`); the names below are the implementations for
`keras.backend.backend()`. Other backends raise `UnsupportedBackendError`.

The names below are this package's public surface; its modules are internal. Besides the
user's names, a backend plug-in (such as `keras_jax`) builds on `TensorFlowKerasLayer` (the
TensorFlow backend's layer, whatever the backend), the export helpers and `require_backend`.
"""

from typing import Any

from reusable_savedmodel.interface.kit import missing_extra

try:
    import keras
except ImportError as error:  # the extra is not installed
    raise missing_extra(__name__, "Keras 3", "keras", error) from error

from reusable_savedmodel.adapters.keras import _backends as backends
from reusable_savedmodel.adapters.keras._backends import require_backend
from reusable_savedmodel.adapters.keras._consume import KerasLayer as TensorFlowKerasLayer
from reusable_savedmodel.adapters.keras._errors import UnsupportedBackendError
from reusable_savedmodel.adapters.keras._produce import (
    KerasCallable,
    KerasExport,
    callable_layer,
    input_signature_of,
    require_built_layer,
)

_BACKEND = keras.backend.backend()
if _BACKEND != "tensorflow" and _BACKEND in backends.supported():
    # Imported now (after the names it builds on, above), so that it registers its
    # KerasLayer for `.keras` files. Its names are read on first use: when the plugin is
    # imported first, it imports this package before it has defined them.
    backends.implementation(_BACKEND)

    def __getattr__(name: str) -> Any:
        if name in ("KerasLayer", "from_keras"):
            return getattr(backends.implementation(_BACKEND), name)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

else:
    # TensorFlow's; on a backend without an implementation, using them raises the error.
    from reusable_savedmodel.adapters.keras._consume import KerasLayer
    from reusable_savedmodel.adapters.keras._produce import from_keras

__all__ = [
    "KerasCallable",
    "KerasExport",
    "KerasLayer",
    "TensorFlowKerasLayer",
    "UnsupportedBackendError",
    "callable_layer",
    "from_keras",
    "input_signature_of",
    "require_backend",
    "require_built_layer",
]
