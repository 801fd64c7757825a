"""The consumers a crosscheck runs, each imported only when used."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
from collections.abc import Callable
from typing import Any

_PACKAGE = "reusable_savedmodel.adapters.crosscheck"
ALL_EXTRA = "pip install 'reusable-savedmodel[all]'"


@dataclasses.dataclass(frozen=True)
class Consumer:
    """A way to use a model piece.

    Attributes:
      name: The consumer's name in reports.
      module: The module under `crosscheck` defining the `Wrapped` class.
      cls: That class's name; it is constructed as `cls(source, trainable=, callable=)`.
      requires: Top-level packages it needs.
      install: The command that installs them.
      freezes: Whether it has a frozen mode (`trainable=False`) to check.
    """

    name: str
    module: str
    cls: str
    requires: tuple[str, ...]
    install: str
    freezes: bool

    @property
    def wrap(self) -> Callable[..., Any]:
        """The `Wrapped` class."""
        return getattr(importlib.import_module(f"{_PACKAGE}.{self.module}"), self.cls)

    def missing(self) -> list[str]:
        """The packages it needs that are not installed."""
        return missing(self.requires)


CONSUMERS = (
    Consumer("Piece", "consumers_tf", "PieceWrapped", (), "", freezes=False),
    Consumer("KerasLayer", "consumers_tf", "KerasWrapped", ("keras",), ALL_EXTRA, freezes=True),
    Consumer("SonnetModule", "consumers_tf", "SonnetWrapped", ("sonnet",), ALL_EXTRA, freezes=True),
    Consumer("to_jax", "consumers_jax", "JaxWrapped", ("jax", "flax", "tf2jax"), ALL_EXTRA, freezes=False),
    Consumer("FlaxModule", "consumers_jax", "FlaxWrapped", ("jax", "flax", "tf2jax"), ALL_EXTRA, freezes=False),
    Consumer(
        "hub.KerasLayer",
        "consumers_tf",
        "HubWrapped",
        ("tensorflow_hub", "tf_keras"),
        "pip install tensorflow-hub tf-keras",
        freezes=True,
    ),
)


def missing(requires: tuple[str, ...]) -> list[str]:
    """The packages of `requires` that are not installed."""
    return [name for name in requires if importlib.util.find_spec(name) is None]
