"""Keras 3 on the JAX backend in the matrix: a consumer column and a producer row, run in a child.

Keras fixes its backend at import and the matrix's interpreter runs Keras on TensorFlow,
so everything Keras-on-JAX happens in one child interpreter per row
(`conformance.keras_jax_child`, with `KERAS_BACKEND=jax`): the column's `KerasLayer`
answers the checks' questions there about every saved model of a row at once
(`conformance.recorded`), and the row's producer builds, exports and measures its models
there. Only saved models and figures cross between the interpreters.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance import wire
from conformance.produced import Produced
from conformance.recorded import Recording, ways

#: The directory holding the `conformance` package (put on the child's PYTHONPATH).
_TESTS = Path(__file__).resolve().parents[1]
TIMEOUT_S = 600


class ChildFailedError(RuntimeError):
    """The Keras-on-JAX child interpreter exited with an error (the message ends with its stderr)."""


def run_child(command: str, request: Any, directory: Path) -> Any:
    """Runs `conformance.keras_jax_child COMMAND directory` with Keras on JAX; returns its response.

    Args:
      command: `produce` or `consume`.
      request: What the child reads (`conformance.wire`).
      directory: Where the request and response are written (created if needed).

    Raises:
      ChildFailedError: if the child fails.
    """
    directory.mkdir(parents=True, exist_ok=True)
    wire.write(directory, "request", request)
    env = {
        **os.environ,
        "KERAS_BACKEND": "jax",
        "PYTHONPATH": os.pathsep.join([str(_TESTS), os.environ.get("PYTHONPATH", "")]),
    }
    process = subprocess.run(
        [sys.executable, "-m", "conformance.keras_jax_child", command, os.fspath(directory)],
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
    )
    if process.returncode != 0:
        raise ChildFailedError(f"the Keras-on-JAX child failed (rc {process.returncode}):\n{process.stderr[-6000:]}")
    return wire.read(directory, "response")


@dataclasses.dataclass(frozen=True)
class ChildConsumer:
    """A matrix column whose consumer runs in the Keras-on-JAX child, on saved models only.

    Attributes:
      name: The column label.
      requires: Top-level packages it needs.
      freezes: Whether it has a frozen mode (`trainable=False`) to check.
    """

    name: str
    requires: tuple[str, ...]
    freezes: bool

    def record(self, saved: Mapping[str, tuple[Path, Produced]], directory: Path) -> dict[str, Recording]:
        """Runs the consumer on every saved model in one child; returns what `run_checks` takes.

        Args:
          saved: Key (e.g. the model kind) -> the saved model's path and the producer's
            `Produced` (for its inputs and named callables).
          directory: Where the child's request and response are written.

        Returns:
          Key -> a `Recording`, to hand `run_checks` in place of the consumer (with the path).
        """
        request = {
            key: {
                "source": os.fspath(path),
                "inputs": produced.inputs,
                "callable_inputs": {n: c.inputs for n, c in produced.truth.callables.items()},
                "ways": [list(way) for way in ways(produced.truth.callables, freezes=self.freezes)],
            }
            for key, (path, produced) in saved.items()
        }
        figures = run_child("consume", request, directory)
        return {key: Recording(os.fspath(path), self.freezes, figures[key]) for key, (path, _) in saved.items()}


KERAS_LAYER = ChildConsumer("KerasLayer (JAX backend)", ("keras", "jax", "tf2jax"), freezes=True)
