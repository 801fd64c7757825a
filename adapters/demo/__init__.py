"""`rsm demo`: the main job on one model, in every installed framework, then a crosscheck.

The model is the bundled default example, or the user's own (`rsm demo HANDLE`): inputs
come from the model's own input spec, so any conforming model runs (dict and list inputs,
integers, strings, unknown rank). A model that fails `check` stops the demo after the
report, with exit status 1: the framework sections need a conforming model.

`run` is this package's public surface; its modules are internal.
"""

from __future__ import annotations

import importlib
import importlib.util
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path

import tensorflow as tf

from reusable_savedmodel.adapters import examples
from reusable_savedmodel.adapters.demo._model import Model, Say
from reusable_savedmodel.interface import ReusableError

#: Framework sections in order: (title, framework package it needs, module).
SECTIONS = (
    ("Keras 3", "keras", "reusable_savedmodel.adapters.demo._keras_section"),
    ("Sonnet 2", "sonnet", "reusable_savedmodel.adapters.demo._sonnet_section"),
    ("JAX", "jax", "reusable_savedmodel.adapters.demo._jax_section"),
    ("Flax", "flax", "reusable_savedmodel.adapters.demo._flax_section"),
)

#: What to install for the sections and crosscheck consumers a plain install lacks.
INSTALL_HINT = "pip install 'reusable-savedmodel[all]'"

#: The seed of the demo's random draws.
SEED = 0

#: The demo's output fits this many columns (tables are laid out for it; prose is wrapped).
WIDTH = 100


def _wrapping(say: Say) -> Say:
    """`say`, with one-line messages wider than `WIDTH` wrapped (blocks pass unchanged)."""

    def wrapped(text: str) -> None:
        if "\n" in text or len(text) <= WIDTH:
            say(text)
        else:
            say(textwrap.fill(text, WIDTH, subsequent_indent="    ", break_on_hyphens=False))

    return wrapped


def run(handle: str | None = None, say: Say = print, *, crosscheck: bool = True) -> int:
    """Runs the demo on `handle` (default: the bundled default example, saved to a temp dir).

    Args:
      handle: A handle of the user's model, or None for the bundled example.
      say: Prints one line (or block) of output.
      crosscheck: End with `rsm crosscheck` of the model in every installed consumer.

    Returns:
      The exit status: 0, or 1 when the model fails `check` (the report says why).

    Raises:
      ReusableError: if the handle cannot be loaded.
    """
    say = _wrapping(say)
    # Seeds TensorFlow's random ops (the example's dropout, traced below, and the training
    # steps), so that two runs print the same figures.
    tf.random.set_seed(SEED)
    with tempfile.TemporaryDirectory(prefix="rsm-demo-") as tmp:
        if handle is None:
            handle = str(examples.export(examples.DEFAULT, Path(tmp) / examples.DEFAULT))
            label = f"the bundled example {examples.DEFAULT!r}"
        else:
            label = handle
        say(f"== core: inspect, check and call {label}")
        model = Model.load(handle, label)
        say(model.piece.spec.tree(label))
        report = model.check()
        say("\n" + str(report))
        if not report.ok:
            say("")
            say(
                f"rsm demo: {label} does not conform to the Reusable SavedModel protocol "
                f"(see the errors above); the framework sections need a conforming model. "
                f"`rsm inspect` shows what it holds."
            )
            return 1
        model.core_section(say)
        for title, framework, module in SECTIONS:
            say(f"\n== {title}")
            if importlib.util.find_spec(framework) is None:
                say(f"skipped: {framework} is not installed ({INSTALL_HINT})")
                continue
            _section(importlib.import_module(module).run, model, say)
        if crosscheck:
            _crosscheck_section(handle, label, say)
    return 0


def _section(section: Callable[[Model, Say], None], model: Model, say: Say) -> None:
    try:
        section(model, say)
    except ReusableError as error:  # a typed "this consumer cannot run this model"
        say(f"not available for this model: {type(error).__name__}: {error}")


def _crosscheck_section(handle: str, label: str, say: Say) -> None:
    """The model in every installed consumer against the raw TF object, as a table."""
    from reusable_savedmodel.adapters.crosscheck import crosscheck

    say(f"\n== crosscheck: {label} in every installed consumer against tf.saved_model.load")
    say(str(crosscheck(handle)))


__all__ = ["run"]
