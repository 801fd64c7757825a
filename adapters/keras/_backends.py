"""The Keras backends the adapter runs on, and how each one's implementation is found.

The TensorFlow backend's implementation is this package's own (`consume`, `produce`).
Any other backend's implementation is a plugin: a module registered under the entry-point
group `reusable_savedmodel.keras_backends`, named after the backend, that defines
`KerasLayer` and `from_keras`. This distribution registers one, for "jax":
`reusable_savedmodel.adapters.keras_jax` (it runs pieces through the JAX adapter, so it
sits above both adapters; the Keras adapter names no other adapter). Gradients must flow
between Keras and the piece, so a backend without an implementation (PyTorch, OpenVINO) is
refused with `UnsupportedBackendError`.
"""

from __future__ import annotations

import functools
import importlib.metadata
from types import ModuleType

import keras

from reusable_savedmodel.adapters.keras._errors import UnsupportedBackendError

#: The entry-point group of Keras backend implementations other than TensorFlow.
ENTRY_POINT_GROUP = "reusable_savedmodel.keras_backends"


@functools.cache
def _plugins() -> dict[str, importlib.metadata.EntryPoint]:
    return {ep.name: ep for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)}


def supported() -> tuple[str, ...]:
    """The Keras backends with an implementation: TensorFlow, then the registered ones."""
    return ("tensorflow", *sorted(name for name in _plugins() if name != "tensorflow"))


def _refuse(current: str, what: str) -> UnsupportedBackendError:
    return UnsupportedBackendError(
        f"{what} runs on the Keras backends {' and '.join(supported())}; this process runs "
        f"Keras on {current!r}. Set KERAS_BACKEND to one of them before Keras is imported."
    )


def implementation(backend: str) -> ModuleType:
    """The module that implements `KerasLayer` and `from_keras` on a non-TensorFlow backend.

    Args:
      backend: A Keras backend name, as `keras.backend.backend()` returns it.

    Returns:
      The registered plugin module (imported on first use).

    Raises:
      UnsupportedBackendError: if no implementation is registered for `backend` (the
        message names the supported backends).
    """
    plugin = _plugins().get(backend)
    if plugin is None:
        raise _refuse(backend, "reusable_savedmodel.adapters.keras")
    return plugin.load()


def require_backend(implemented: str, what: str) -> None:
    """Raises unless Keras runs on `implemented`, the backend `what` is written for.

    Args:
      implemented: The backend of the implementation being used ("tensorflow" or "jax").
      what: The public name in use, for the message (e.g. "KerasLayer").

    Raises:
      UnsupportedBackendError: for a backend without an implementation (the message names
        the supported ones), or another supported backend's implementation.
    """
    current = keras.backend.backend()
    if current not in supported():
        raise _refuse(current, what)
    if current != implemented:
        raise UnsupportedBackendError(
            f"This {what} is the {implemented}-backend implementation, but Keras runs on "
            f"{current!r}: use reusable_savedmodel.adapters.keras.{what}, which is the one for "
            f"the current backend."
        )
