"""Keras 3 on the JAX backend: `KerasLayer` and `from_keras` built on the JAX adapter.

Use them through `reusable_savedmodel.adapters.keras`, which hands out these when
`keras.backend.backend()` is "jax". This package is the Keras adapter's "jax" backend
plugin (entry-point group `reusable_savedmodel.keras_backends`, see
`reusable_savedmodel.adapters.keras._backends`): it builds on both the Keras adapter and
the JAX adapter (`to_jax`, `from_jax`), so it sits on the floor above them, and neither
framework adapter imports the other.

The names below are this package's public surface; its modules are internal.
"""

from reusable_savedmodel.interface.kit import missing_extra

try:
    import jax  # noqa: F401  (first: a missing extra is named, not failed on deep inside)
    import keras  # noqa: F401
except ImportError as error:  # the extras are not installed
    raise missing_extra(__name__, "Keras 3 and JAX", "keras,jax", error) from error

from reusable_savedmodel.adapters.keras_jax._consume import KerasLayer
from reusable_savedmodel.adapters.keras_jax._errors import StalePieceError
from reusable_savedmodel.adapters.keras_jax._produce import from_keras

__all__ = ["KerasLayer", "StalePieceError", "from_keras"]
