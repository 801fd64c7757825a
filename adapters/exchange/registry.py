"""The rows and columns of the exchange matrix, imported only when used."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

from reusable_savedmodel.adapters.exchange.architecture import KINDS

_PACKAGE = "reusable_savedmodel.adapters.exchange"


@dataclasses.dataclass(frozen=True)
class Producer:
    """A way to make a model piece.

    Attributes:
      name: The row label (the exporting API).
      module: The module under `exchange` whose `build(kind)` makes the `Produced`.
      requires: Top-level packages it needs.
      kinds: The model kinds it builds.
    """

    name: str
    module: str
    requires: tuple[str, ...]
    kinds: tuple[str, ...] = KINDS

    def build(self, kind: str) -> Any:
        """Builds the `Produced` of `kind`."""
        return importlib.import_module(f"{_PACKAGE}.{self.module}").build(kind)


@dataclasses.dataclass(frozen=True)
class Consumer:
    """A way to use a model piece.

    Attributes:
      name: The column label.
      module: The module under `exchange` defining the `Wrapped` class.
      cls: That class's name; it is constructed as `cls(source, trainable=, callable=)`.
      requires: Top-level packages it needs.
      freezes: Whether it has a frozen mode (`trainable=False`) to check.
    """

    name: str
    module: str
    cls: str
    requires: tuple[str, ...]
    freezes: bool

    @property
    def wrap(self) -> Callable[..., Any]:
        """The `Wrapped` class."""
        return getattr(importlib.import_module(f"{_PACKAGE}.{self.module}"), self.cls)


PRODUCERS = (
    Producer("ReusableModule", "produce_tf", (), (*KINDS, "text")),
    Producer("tf_keras (classic)", "produce_tf_keras", ("tf_keras",)),
    Producer("from_keras", "produce_keras", ("keras",)),
    Producer("from_sonnet", "produce_sonnet", ("sonnet",)),
    Producer("from_jax", "produce_jax", ("jax", "tf2jax")),
    Producer("from_flax", "produce_flax", ("flax", "tf2jax")),
)

CONSUMERS = (
    Consumer("Piece", "consumers_tf", "PieceWrapped", (), freezes=False),
    Consumer("KerasLayer", "consumers_tf", "KerasWrapped", ("keras",), freezes=True),
    Consumer("SonnetModule", "consumers_tf", "SonnetWrapped", ("sonnet",), freezes=True),
    Consumer("to_jax", "consumers_jax", "JaxWrapped", ("jax", "flax", "tf2jax"), freezes=False),
    Consumer("FlaxModule", "consumers_jax", "FlaxWrapped", ("jax", "flax", "tf2jax"), freezes=False),
    Consumer("hub.KerasLayer", "consumers_tf", "HubWrapped", ("tensorflow_hub", "tf_keras"), freezes=True),
)

ROUTES = ("in process", "saved")


def missing(requires: tuple[str, ...]) -> list[str]:
    """The packages of `requires` that are not installed."""
    return [name for name in requires if importlib.util.find_spec(name) is None]
