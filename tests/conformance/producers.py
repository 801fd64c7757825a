"""The rows of the conformance matrix (its columns are crosscheck's consumers)."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Sequence
from typing import Any

from conformance.architecture import KINDS
from reusable_savedmodel.adapters.crosscheck import CONSUMERS

__all__ = ["CONSUMERS", "PRODUCERS", "ROUTES", "Producer"]


@dataclasses.dataclass(frozen=True)
class Producer:
    """A way to make a model piece.

    Attributes:
      name: The row label (the exporting API).
      module: The module of this package that makes the `Produced`s: with
        `build_kinds(kinds) -> {kind: Produced}` where it builds several at once (in one
        child interpreter), else with `build(kind)`.
      requires: Top-level packages it needs.
      kinds: The model kinds it builds.
    """

    name: str
    module: str
    requires: tuple[str, ...]
    kinds: tuple[str, ...] = KINDS

    def build(self, kind: str) -> Any:
        """Builds the `Produced` of `kind`."""
        return self.build_kinds((kind,))[kind]

    def build_kinds(self, kinds: Sequence[str]) -> dict[str, Any]:
        """Builds the `Produced` of each of `kinds`, all at once where the module can."""
        module = importlib.import_module(f"{__package__}.{self.module}")
        if hasattr(module, "build_kinds"):
            return module.build_kinds(kinds)
        return {kind: module.build(kind) for kind in kinds}


PRODUCERS = (
    Producer("ReusableModule", "produce_tf", (), (*KINDS, "text")),
    Producer("tf_keras (classic)", "produce_tf_keras", ("tf_keras",)),
    Producer("from_keras", "produce_keras", ("keras",)),
    Producer("from_keras[jax]", "produce_keras_jax", ("keras", "jax", "tf2jax")),
    Producer("from_sonnet", "produce_sonnet", ("sonnet",)),
    Producer("from_jax", "produce_jax", ("jax", "tf2jax")),
    Producer("from_flax", "produce_flax", ("flax", "tf2jax")),
)

ROUTES = ("in process", "saved")
