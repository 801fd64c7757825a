"""What a producer says its model computes, and how a consumer's figures are compared to it.

Every figure here is computed by the producer's own framework on its native object
(a Keras model, a Sonnet module, a JAX function, ...), never through this project's
adapters, so a cell of the matrix compares an adapter against an independent truth.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Tolerances for float32 results that went through different graphs (TF, XLA, tf2jax).
RTOL = 1e-4
ATOL = 1e-5

#: A trainable variable's value and the gradient of the cell's loss with respect to it.
ValueGrad = tuple[np.ndarray, np.ndarray]


@dataclasses.dataclass(frozen=True)
class Truth:
    """The producer's own figures for one model.

    Attributes:
      outputs: `training -> outputs` for each deterministic `training` value.
      stochastic_training: Whether the training trace draws random numbers (dropout):
        its outputs are then only checked to differ from inference.
      gradient_training: The `training` value the gradients are taken at.
      gradients: `(value, gradient)` of every trainable variable, for the loss
        `sum(outputs * cotangent(outputs.shape))`; order does not matter.
      regularization: The sum of the regularization losses.
      state_after_training: Every non-trainable variable's value after one training
        call (e.g. batch-norm moving statistics), or None when the model has none.
      callable_name: The named callable the model exports, or None.
      callable_inputs: The inputs for the named callable.
      callable_outputs: `training -> outputs` of the named callable.
    """

    outputs: dict[bool, np.ndarray]
    stochastic_training: bool
    gradient_training: bool
    gradients: list[ValueGrad]
    regularization: float
    state_after_training: list[np.ndarray] | None
    callable_name: str | None = None
    callable_inputs: Any = None
    callable_outputs: dict[bool, np.ndarray] = dataclasses.field(default_factory=dict)


def cotangent(shape: Sequence[int]) -> np.ndarray:
    """A fixed, non-uniform weighting of the outputs, so every output element counts."""
    size = int(np.prod(shape))
    return np.linspace(-1.0, 1.0, size, dtype=np.float32).reshape(tuple(shape))


def close(got: Any, want: Any) -> bool:
    """Whether two arrays (or scalars) agree within the float32 tolerances."""
    got, want = np.asarray(got), np.asarray(want)
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=RTOL, atol=ATOL))


def mismatch(got: Any, want: Any) -> str:
    """Describes how `got` differs from `want`, for a failed check."""
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return f"shape {got.shape} != expected {want.shape}"
    return f"max abs difference {float(np.max(np.abs(got - want))):.3g}"


def unmatched(got: Sequence[Any], want: Sequence[Any], *, key: str) -> str | None:
    """Pairs two unordered collections element by element; describes what does not pair.

    Variables are paired by content rather than by name or position, because each
    framework names and orders them its own way. Elements are arrays, or
    `(value, gradient)` pairs that must both agree.

    Args:
      got: The consumer's elements.
      want: The producer's elements.
      key: What the elements are, for the message (e.g. "trainable variables").

    Returns:
      None when every element of `want` pairs with a distinct element of `got` and the
      counts are equal; otherwise a description of the mismatch.
    """
    if len(got) != len(want):
        shapes = lambda items: sorted(str(np.shape(_first(i))) for i in items)  # noqa: E731
        return f"{len(got)} {key} {shapes(got)}, expected {len(want)} {shapes(want)}"
    free = list(range(len(got)))
    for index, expected in enumerate(want):
        match = next((j for j in free if _agrees(got[j], expected)), None)
        if match is None:
            return f"no {key[:-1] if key.endswith('s') else key} agrees with expected #{index} of shape {np.shape(_first(expected))}"
        free.remove(match)
    return None


def _first(item: Any) -> Any:
    return item[0] if isinstance(item, tuple) else item


def _agrees(got: Any, want: Any) -> bool:
    if isinstance(want, tuple):
        return all(close(g, w) for g, w in zip(got, want))
    return close(got, want)
