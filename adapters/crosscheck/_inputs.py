"""Example inputs built from a model's own input spec, for a crosscheck.

Undefined dimensions get small sizes (the batch 2, others 3), an unknown rank a
vector; floats are standard normal, integers small non-negative (valid indices for most
lookups), booleans random, strings short words. The same spec always gives the same
inputs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import tensorflow as tf

from reusable_savedmodel.interface import CallSpec, NonConformingError

BATCH = 2
OTHER_DIMENSION = 3
_WORDS = np.array([b"the", b"quick", b"brown", b"fox", b"jumps"], dtype=object)


def example_inputs(call: CallSpec | None, *, where: str, seed: int = 0) -> Any:
    """Inputs for the first input structure `call` accepts.

    Args:
      call: The spec of `__call__` or of a named callable.
      where: What is called, for messages.
      seed: Seeds the random values.

    Returns:
      A nest (dict, list or single array) of numpy arrays matching the spec.

    Raises:
      NonConformingError: if there is no call to make, or an input is not a plain tensor.
    """
    return inputs_for(call.inputs[0] if call is not None and call.inputs else None, where=where, seed=seed)


def inputs_for(specs: Any, *, where: str, seed: int = 0) -> Any:
    """Inputs for a nest of `tf.TensorSpec` (e.g. a signature's dict of inputs by name).

    Args:
      specs: The nest, or None when there is nothing to call.
      where: What is called, for messages.
      seed: Seeds the random values.

    Returns:
      A nest of numpy arrays matching `specs`.

    Raises:
      NonConformingError: if `specs` is None, or an input is not a plain tensor.
    """
    if specs is None:
        raise NonConformingError(f"{where} has no traced `__call__` to feed inputs to.")
    rng = np.random.default_rng(seed)
    return tf.nest.map_structure(lambda spec: _array(spec, rng, where), specs)


def _array(spec: Any, rng: np.random.Generator, where: str) -> np.ndarray:
    if not isinstance(spec, tf.TensorSpec):
        raise NonConformingError(
            f"{where} takes a {type(spec).__name__} input; crosscheck builds plain tensors only."
        )
    shape = _shape(spec.shape)
    dtype = spec.dtype
    if dtype.is_floating:
        return rng.standard_normal(shape).astype(dtype.as_numpy_dtype)
    if dtype.is_integer:
        return rng.integers(0, 4, shape).astype(dtype.as_numpy_dtype)
    if dtype.is_bool:
        return rng.random(shape) < 0.5
    if dtype == tf.string:
        return rng.choice(_WORDS, shape)
    raise NonConformingError(f"{where} takes a {dtype.name} input; crosscheck cannot build one.")


def _shape(shape: tf.TensorShape) -> tuple[int, ...]:
    if shape.rank is None:
        return (BATCH,)
    return tuple(
        d if d is not None else (BATCH if i == 0 else OTHER_DIMENSION) for i, d in enumerate(shape.as_list())
    )


def callable_inputs(callables: Mapping[str, Any], *, seed: int = 0) -> dict[str, Any]:
    """Example inputs for each named callable (name -> `PieceSpec`)."""
    return {name: example_inputs(spec.call, where=f"named callable {name!r}", seed=seed) for name, spec in callables.items()}
