"""The Keras backends the adapter runs on, and the error for any other.

`reusable_savedmodel.adapters.keras` picks each public class for `keras.backend.backend()`:
the TensorFlow implementation (`consume`, `produce`) or the JAX one (`jax_consume`,
`jax_produce`). Gradients must flow between Keras and the piece, so a backend the piece
cannot run in (PyTorch, OpenVINO) is refused with this module's error.
"""

from __future__ import annotations

import keras

from reusable_savedmodel import interface as rsm

#: The Keras backends the adapter supports.
SUPPORTED = ("tensorflow", "jax")


class UnsupportedBackendError(rsm.ReusableError, RuntimeError):
    """Keras runs on a backend this implementation (or the whole adapter) does not support."""


def check(implemented: str, what: str) -> None:
    """Raises unless Keras runs on `implemented`, the backend `what` is written for.

    Args:
      implemented: The backend of the implementation being used ("tensorflow" or "jax").
      what: The public name in use, for the message (e.g. "KerasLayer").

    Raises:
      UnsupportedBackendError: for a backend outside `SUPPORTED` (the message names the
        supported ones), or the other supported backend's implementation.
    """
    current = keras.backend.backend()
    if current not in SUPPORTED:
        raise UnsupportedBackendError(
            f"{what} runs on the Keras backends {' and '.join(SUPPORTED)}; this process runs "
            f"Keras on {current!r}. Set KERAS_BACKEND=jax or KERAS_BACKEND=tensorflow before "
            f"Keras is imported."
        )
    if current != implemented:
        raise UnsupportedBackendError(
            f"This {what} is the {implemented}-backend implementation, but Keras runs on "
            f"{current!r}: use reusable_savedmodel.adapters.keras.{what}, which is the one for "
            f"the current backend."
        )
