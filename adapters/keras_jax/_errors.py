"""Every error Keras on JAX raises on purpose; each is an `rsm.ReusableError`."""

from __future__ import annotations

from reusable_savedmodel.interface import ReusableError


class StalePieceError(ReusableError, RuntimeError):
    """The layer's weights cannot be written into its piece (e.g. inside a traced call, or
    a converted variable that matches none of the piece's)."""
