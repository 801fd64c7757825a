"""The truth a consumer is compared with, and how its figures are compared.

Everything is numpy: outputs are flattened to a list of arrays (the order of
`tf.nest.flatten`, which JAX's tree flattening shares for dicts, lists and tuples), so
one comparison serves every framework and every output structure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import tensorflow as tf


@dataclasses.dataclass(frozen=True)
class Tolerance:
    """How far two float results may be apart and still agree (`np.allclose`'s terms).

    Attributes:
      dtype: The lowest float precision the model computes in, which sets the tolerance.
      rtol: Relative tolerance.
      atol: Absolute tolerance (a relative one alone fails near zero).
    """

    dtype: str
    rtol: float
    atol: float


#: By the model's compute dtype: two frameworks (TF, XLA, tf2jax) run the same graph in
#: different operation orders, so results agree to a few rounding steps of that dtype
#: (float16's is 1e-3, bfloat16's 8e-3: a mixed-precision model differs by that much).
TOLERANCES = {
    "float32": Tolerance("float32", rtol=1e-4, atol=1e-5),
    "float16": Tolerance("float16", rtol=1e-2, atol=1e-3),
    "bfloat16": Tolerance("bfloat16", rtol=5e-2, atol=1e-2),
}
FLOAT32 = TOLERANCES["float32"]

#: A trainable variable's value and the gradient of the check's loss with respect to it.
ValueGrad = tuple[np.ndarray, np.ndarray]

#: Outputs as compared: the leaves of the output structure, as numpy arrays.
Leaves = list[np.ndarray]


@dataclasses.dataclass(frozen=True)
class CallableTruth:
    """A named callable's reference outputs.

    Attributes:
      inputs: The inputs it is called with (numpy nest).
      outputs: `training -> output leaves` for each deterministic `training` value.
    """

    inputs: Any
    outputs: Mapping[bool, Leaves]


@dataclasses.dataclass(frozen=True)
class Truth:
    """The reference figures for one model, computed without this project's adapters.

    Attributes:
      outputs: `training -> output leaves` for each deterministic `training` value.
      stochastic_training: Whether the training trace draws random numbers (dropout):
        its outputs are then only checked to differ from inference.
      gradient_training: The `training` value the gradients are taken at.
      gradients: `(value, gradient)` of every trainable variable, for the loss
        `weighted_sum(outputs)`; order does not matter.
      regularization: The sum of the regularization losses.
      state_after_training: Every non-trainable variable's value after one training
        call (e.g. batch-norm moving statistics), or None when the model has none or
        they change at random (not comparable: the check is then "n/a").
      callables: Named callable -> its reference outputs.
      tolerance: How closely a consumer's figures must match (set by the model's
        compute dtype: see `TOLERANCES`).
    """

    outputs: Mapping[bool, Leaves]
    stochastic_training: bool
    gradient_training: bool
    gradients: list[ValueGrad]
    regularization: float
    state_after_training: list[np.ndarray] | None
    callables: Mapping[str, CallableTruth] = dataclasses.field(default_factory=dict)
    tolerance: Tolerance = FLOAT32


def leaves(outputs: Any) -> Leaves:
    """The leaves of an output structure (Tensors, JAX or numpy arrays) as numpy arrays."""
    return [np.asarray(leaf) for leaf in tf.nest.flatten(outputs)]


def cotangent(shape: Sequence[int]) -> np.ndarray:
    """A fixed, non-uniform weighting of the outputs, so every output element counts."""
    size = int(np.prod(shape))
    return np.linspace(-1.0, 1.0, size, dtype=np.float32).reshape(tuple(shape))


def is_float(value: Any) -> bool:
    """Whether an output leaf is floating point (only those carry gradients)."""
    return np.dtype(getattr(value.dtype, "as_numpy_dtype", value.dtype)).kind == "f"


def close(got: Any, want: Any, tolerance: Tolerance = FLOAT32) -> bool:
    """Whether two arrays, scalars or lists of leaves agree (floats within `tolerance`)."""
    if isinstance(want, list):
        return (
            isinstance(got, list)
            and len(got) == len(want)
            and all(close(g, w, tolerance) for g, w in zip(got, want))
        )
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return False
    if want.dtype.kind in "fc":
        return bool(np.allclose(got, want, rtol=tolerance.rtol, atol=tolerance.atol))
    return bool(np.array_equal(got, want))


def mismatch(got: Any, want: Any, tolerance: Tolerance = FLOAT32) -> str:
    """Describes how `got` differs from `want`, for a failed check."""
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return f"{len(got) if isinstance(got, list) else 1} outputs, expected {len(want)}"
        index = next(i for i, (g, w) in enumerate(zip(got, want)) if not close(g, w, tolerance))
        prefix = f"output #{index}: " if len(want) > 1 else ""
        return prefix + mismatch(got[index], want[index], tolerance)
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return f"shape {got.shape} != expected {want.shape}"
    if want.dtype.kind not in "fc":
        return "values differ"
    return f"max abs difference {float(np.max(np.abs(got - want))):.3g}"


def compare(got: Any, want: Any, tolerance: Tolerance = FLOAT32) -> str | None:
    """None when `got` agrees with `want`, else how it differs."""
    return None if close(got, want, tolerance) else mismatch(got, want, tolerance)


def unmatched(
    got: Sequence[Any], want: Sequence[Any], *, key: str, tolerance: Tolerance = FLOAT32
) -> str | None:
    """Pairs two unordered collections element by element; describes what does not pair.

    Variables are paired by content rather than by name or position, because each
    framework names and orders them its own way. Elements are arrays, or
    `(value, gradient)` pairs that must both agree.

    Args:
      got: The consumer's elements.
      want: The reference elements.
      key: What the elements are, for the message (e.g. "trainable variables").
      tolerance: How closely floats must agree.

    Returns:
      None when every element of `want` pairs with a distinct element of `got` and the
      counts are equal; otherwise a description of the mismatch.
    """
    if len(got) != len(want):
        shapes = lambda items: sorted(str(np.shape(_first(i))) for i in items)  # noqa: E731
        return f"{len(got)} {key} {shapes(got)}, expected {len(want)} {shapes(want)}"
    free = list(range(len(got)))
    for index, expected in enumerate(want):
        match = next((j for j in free if _agrees(got[j], expected, tolerance)), None)
        if match is None:
            singular = key[:-1] if key.endswith("s") else key
            return f"no {singular} agrees with expected #{index} of shape {np.shape(_first(expected))}"
        free.remove(match)
    return None


def _first(item: Any) -> Any:
    return item[0] if isinstance(item, tuple) else item


def _agrees(got: Any, want: Any, tolerance: Tolerance) -> bool:
    if isinstance(want, tuple):
        return all(close(g, w, tolerance) for g, w in zip(got, want))
    return close(got, want, tolerance)
