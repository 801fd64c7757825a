"""One model's SavedModel, loaded once and shared by every call path that can share it.

Wrappers built on the loaded object call it exactly as they would after loading the
handle themselves; sharing saves minutes of loading and converting on the large model.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any


class Source:
    """A SavedModel path and, made on first use, what the paths build on.

    Args:
      path: The SavedModel directory.
    """

    def __init__(self, path: Path):
        self.path = path

    @functools.cached_property
    def obj(self) -> Any:
        """`tf.saved_model.load(path)`."""
        import tensorflow as tf

        return tf.saved_model.load(str(self.path))

    @functools.cached_property
    def piece(self) -> Any:
        """The loaded object as a `rsm.Piece`."""
        from reusable_savedmodel import interface as rsm

        return rsm.as_piece(self.obj)

    @functools.cached_property
    def jax_piece(self) -> Any:
        """`to_jax(piece)`: converted once, shared by the JAX and Flax paths."""
        from reusable_savedmodel.adapters.jax import to_jax

        return to_jax(self.piece)
