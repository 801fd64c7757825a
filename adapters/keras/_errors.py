"""Every error the Keras adapter raises on purpose; each is an `rsm.ReusableError`."""

from __future__ import annotations

from reusable_savedmodel.interface import ReusableError


class UnsupportedBackendError(ReusableError, RuntimeError):
    """Keras runs on a backend this implementation (or the whole adapter) does not support."""
