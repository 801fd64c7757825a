"""The rows of the conformance matrix (its columns are crosscheck's consumers)."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

from conformance.architecture import KINDS
from reusable_savedmodel.adapters.crosscheck import CONSUMERS

__all__ = ["CONSUMERS", "PRODUCERS", "ROUTES", "Producer"]


@dataclasses.dataclass(frozen=True)
class Producer:
    """A way to make a model piece.

    Attributes:
      name: The row label (the exporting API).
      module: The module of this package whose `build(kind)` makes the `Produced`.
      requires: Top-level packages it needs.
      kinds: The model kinds it builds.
    """

    name: str
    module: str
    requires: tuple[str, ...]
    kinds: tuple[str, ...] = KINDS

    def build(self, kind: str) -> Any:
        """Builds the `Produced` of `kind`."""
        return importlib.import_module(f"{__package__}.{self.module}").build(kind)


PRODUCERS = (
    Producer("ReusableModule", "produce_tf", (), (*KINDS, "text")),
    Producer("tf_keras (classic)", "produce_tf_keras", ("tf_keras",)),
    Producer("from_keras", "produce_keras", ("keras",)),
    Producer("from_sonnet", "produce_sonnet", ("sonnet",)),
    Producer("from_jax", "produce_jax", ("jax", "tf2jax")),
    Producer("from_flax", "produce_flax", ("flax", "tf2jax")),
)

ROUTES = ("in process", "saved")
