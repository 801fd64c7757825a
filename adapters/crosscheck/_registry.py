"""The consumers a crosscheck runs, each imported only when used (or run in a child interpreter)."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Any

from reusable_savedmodel.adapters.crosscheck._child import ChildConsumer
from reusable_savedmodel.adapters.crosscheck._installed import ALL_EXTRA, missing


@dataclasses.dataclass(frozen=True)
class Consumer:
    """A way to use a model piece.

    Attributes:
      name: The consumer's name in reports.
      module: The module defining the `Wrapped` class (its absolute name).
      cls: That class's name; it is constructed as `cls(source, trainable=, callable=)`.
      requires: Top-level packages it needs.
      install: The command that installs them.
      freezes: Whether it has a frozen mode (`trainable=False`) to check.
      keras_backend: The Keras backend it needs this interpreter to run, or None.
    """

    name: str
    module: str
    cls: str
    requires: tuple[str, ...]
    install: str
    freezes: bool
    keras_backend: str | None = None

    @property
    def wrap(self) -> Callable[..., Any]:
        """The `Wrapped` class."""
        return getattr(importlib.import_module(self.module), self.cls)

    def missing(self) -> list[str]:
        """The packages it needs that are not installed."""
        return missing(self.requires)

    def wrong_backend(self) -> str | None:
        """The Keras backend this interpreter runs, if it is not the one needed; else None."""
        if self.keras_backend is None:
            return None
        import keras  # the consumer imports it anyway; Keras fixes its backend here

        running = keras.backend.backend()
        return None if running == self.keras_backend else running


_TF = "reusable_savedmodel.adapters.crosscheck._consumers_tf"
_JAX = "reusable_savedmodel.adapters.crosscheck._consumers_jax"
CONSUMERS = (
    Consumer("Piece", _TF, "PieceWrapped", (), "", freezes=False),
    Consumer("KerasLayer", _TF, "KerasWrapped", ("keras",), ALL_EXTRA, freezes=True, keras_backend="tensorflow"),
    Consumer("SonnetModule", _TF, "SonnetWrapped", ("sonnet",), ALL_EXTRA, freezes=True),
    Consumer("to_jax", _JAX, "JaxWrapped", ("jax", "flax", "tf2jax"), ALL_EXTRA, freezes=False),
    Consumer("FlaxModule", _JAX, "FlaxWrapped", ("jax", "flax", "tf2jax"), ALL_EXTRA, freezes=False),
    Consumer(
        "hub.KerasLayer",
        _TF,
        "HubWrapped",
        ("tensorflow_hub", "tf_keras"),
        "pip install tensorflow-hub tf-keras",
        freezes=True,
    ),
    # Keras fixes its backend at import: this one runs in a child interpreter.
    ChildConsumer(
        "KerasLayer[jax]",
        "reusable_savedmodel.adapters.crosscheck._keras_jax_child",
        ("keras", "jax", "tf2jax"),
        ALL_EXTRA,
        freezes=True,
        env=(("KERAS_BACKEND", "jax"),),
    ),
)
