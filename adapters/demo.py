"""`rsm demo`: the main job on the default example model, each installed framework, then the matrix."""

from __future__ import annotations

import importlib
import importlib.util
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from reusable_savedmodel.adapters import examples
from reusable_savedmodel.interface.check import check
from reusable_savedmodel.interface.loading import load

#: Adapter demo sections in order: (title, framework package it needs, module).
SECTIONS = (
    ("Keras 3", "keras", "reusable_savedmodel.adapters.keras.demo"),
    ("Sonnet 2", "sonnet", "reusable_savedmodel.adapters.sonnet.demo"),
    ("JAX", "jax", "reusable_savedmodel.adapters.jax.demo"),
    ("Flax", "flax", "reusable_savedmodel.adapters.flax.demo"),
)


def _core_section(handle: str, say: Callable[[str], None]) -> None:
    piece = load(handle)
    say(piece.spec.tree(f"{examples.DEFAULT} ({handle})"))
    say("")
    say(str(check(piece)))
    x = examples.example_inputs(examples.DEFAULT)
    y = piece(x).numpy()
    say(f"\npiece(x) for x of shape {x.shape}:\n{np.array2string(y, precision=4)}")
    say(f"regularization loss: {float(piece.regularization_loss()):.6f}")


def run(handle: str | None = None, say: Callable[[str], None] = print) -> None:
    """Runs the demo on `handle` (default: the examples' default model, exported to a temp dir).

    Framework sections run when their framework is installed and are skipped, with a
    line saying so, when it is not.
    """
    with tempfile.TemporaryDirectory(prefix="rsm-demo-") as tmp:
        if handle is None:
            handle = str(examples.export(examples.DEFAULT, Path(tmp) / examples.DEFAULT))
        say(f"== core: inspect, check and call {handle}")
        _core_section(handle, say)
        for title, framework, module in SECTIONS:
            say(f"\n== {title}")
            if importlib.util.find_spec(framework) is None:
                say(f"skipped: {framework} is not installed (pip install 'reusable-savedmodel[all]')")
                continue
            importlib.import_module(module).run(handle, say)
    _matrix_section(say)


def _matrix_section(say: Callable[[str], None]) -> None:
    """Every producer's default model through every consumer, as a table (frameworks
    that are not installed show as not run)."""
    # Imported here: the matrix needs the adapters, which the core does not.
    from reusable_savedmodel.adapters.exchange import matrix, table
    from reusable_savedmodel.adapters.exchange.architecture import DEFAULT_KIND

    say(f"\n== exchange matrix: the `{DEFAULT_KIND}` model from each producer in each consumer (in process / saved)")
    cells = list(matrix.run(kinds=[DEFAULT_KIND]))
    say(table.plain(cells))
    for problem in filter(None, map(matrix.verdict, cells)):
        say(f"FAILED: {problem}")
