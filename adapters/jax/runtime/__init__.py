"""The JAX adapter's TF-free half: what runs on a host with JAX and no TensorFlow.

`JaxPiece` (pure JAX functions over explicit params and state), its traces and their
selection, 64-bit handling, and the directory format a `JaxPiece` is saved in
(`save_jax_piece`) and loaded back from (`load_jax_piece`, with `jax.export`). Nothing
here imports TensorFlow or tf2jax (tests/test_layout.py and
tests/adapters/jax/test_runtime_without_tensorflow.py hold it to that); the converter
that makes a `JaxPiece` from a SavedModel is `adapters.jax.conversion`.
"""

from reusable_savedmodel.adapters.jax.runtime.jax_piece import JaxPiece
from reusable_savedmodel.adapters.jax.runtime.loading import load_jax_piece
from reusable_savedmodel.adapters.jax.runtime.saving import save_jax_piece

__all__ = ["JaxPiece", "load_jax_piece", "save_jax_piece"]
