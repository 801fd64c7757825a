"""The model every producer builds, in its own framework, from the same numbers.

Two kinds:

* ``mlp`` (the default model): ``x[B,4] -> Dense(8) -> BatchNorm -> relu -> Dense(3)``,
  L2 on both kernels. Deterministic in both `training` modes; training updates the
  batch-norm statistics.
* ``rich``: a dict input ``{"features": [B,4], "scale": [B,1]}``;
  ``encoder(features) * scale -> Dropout(0.5) -> Dense(3)``, where ``encoder`` (exported
  as a named callable) is the ``mlp``'s first half (Dense, BatchNorm, relu). Its
  training trace is random.

A framework that cannot set a value (e.g. Sonnet's moving averages) keeps its own, so
producers agree on the architecture, not necessarily on every number; each cell
compares a consumer with its own producer only.
"""

from __future__ import annotations

from typing import Any

import numpy as np

FEATURES = 4
HIDDEN = 8
CLASSES = 3
BATCH = 4
EPSILON = 1e-3
MOMENTUM = 0.9
L2 = 1e-3
DROPOUT = 0.5

KINDS = ("mlp", "rich")
DEFAULT_KIND = "mlp"
CALLABLE = "encoder"


def weights(seed: int = 0) -> dict[str, np.ndarray]:
    """The initial values: kernels, biases, batch-norm scale/offset/mean/variance."""
    rng = np.random.default_rng(seed)
    normal = lambda *shape: (0.5 * rng.standard_normal(shape)).astype(np.float32)  # noqa: E731
    return {
        "dense_kernel": normal(FEATURES, HIDDEN),
        "dense_bias": normal(HIDDEN),
        "gamma": 1.0 + normal(HIDDEN),
        "beta": normal(HIDDEN),
        "moving_mean": normal(HIDDEN),
        "moving_variance": (0.5 + rng.random(HIDDEN)).astype(np.float32),
        "head_kernel": normal(HIDDEN, CLASSES),
        "head_bias": normal(CLASSES),
    }


def inputs(kind: str, seed: int = 1) -> Any:
    """The inputs a cell feeds the model of `kind` (numpy)."""
    rng = np.random.default_rng(seed)
    features = rng.standard_normal((BATCH, FEATURES)).astype(np.float32)
    if kind == "mlp":
        return features
    if kind == "rich":
        return {"features": features, "scale": (0.5 + rng.random((BATCH, 1))).astype(np.float32)}
    raise KeyError(f"unknown model kind {kind!r}; known: {', '.join(KINDS)}")


def l2(*kernels: Any) -> float:
    """The L2 regularization of kernels, computed by hand."""
    return float(sum(L2 * np.sum(np.square(np.asarray(k, np.float64))) for k in kernels))
