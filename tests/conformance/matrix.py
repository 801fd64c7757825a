"""Runs the conformance matrix: every producer's models through every consumer, two routes.

The cells that cannot work fully are documented by `limitation` (the error they raise,
or the one check they fail, and why); the tests assert exactly those, and the README's
compatibility table is rendered from a run
(`PYTHONPATH=tests python -m conformance --readme docs/compatibility.md`).
"""

from __future__ import annotations

import dataclasses
import itertools
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from conformance.cells import Cell
from conformance.producers import CONSUMERS, PRODUCERS, ROUTES, Producer
from reusable_savedmodel.adapters.crosscheck import Consumer
from reusable_savedmodel.adapters.crosscheck._agreement import run_checks
from reusable_savedmodel.adapters.crosscheck._child import ChildConsumer
from reusable_savedmodel.adapters.crosscheck._installed import missing
from reusable_savedmodel.interface._errors import NonConformingError


@dataclasses.dataclass(frozen=True)
class Limitation:
    """A documented way a cell falls short: an error it raises, one check it fails, or no route.

    Attributes:
      reason: Why, for the README's notes.
      error: The exception type the consumer raises, or None.
      failing_check: The one check that fails (the others pass), or None.
      not_run: The route does not exist for the cell, which is not run (n/a).
    """

    reason: str
    error: type[BaseException] | None = None
    failing_check: str | None = None
    not_run: bool = False

    def matches(self, cell: Cell) -> bool:
        """Whether `cell` falls short exactly as documented."""
        if self.not_run:
            return cell.not_run
        if self.error is not None:
            return isinstance(cell.error, self.error)
        return cell.error is None and set(cell.failed_checks) == {self.failing_check}


#: The producer built with Keras on JAX (in a child interpreter).
KERAS_JAX_PRODUCER = "from_keras[jax]"
#: The consumer that runs Keras on JAX (in a child interpreter).
KERAS_JAX_CONSUMER = "KerasLayer[jax]"

_TF_KERAS_UNSAVED = Limitation(
    "A tf_keras model gets the protocol's `__call__`, variable lists and regularization losses "
    "only from `tf.saved_model.save`: save it, then load it.",
    error=NonConformingError,
)
_HUB_RAW_KERAS = Limitation(
    "tensorflow_hub's KerasLayer handed a tf_keras model (rather than a SavedModel) tracks it "
    "as a sublayer, so the model's regularization losses count even when frozen.",
    failing_check="frozen",
)
_TF_KERAS_NESTED_REGULARIZATION = Limitation(
    "The classic tf_keras export lists a nested model's regularization losses on that model "
    "(here the named callable `encoder`), not on the root: consumers of the root miss them.",
    failing_check="regularization",
)

_BACKEND_AT_IMPORT = Limitation(
    "Keras fixes its backend at import: Keras on JAX runs in an interpreter of its own "
    "(`KERAS_BACKEND=jax`), and between it and the other frameworks here (Keras on "
    "TensorFlow) only the saved model passes.",
    not_run=True,
)


def _strings_in_jax() -> Limitation:
    from reusable_savedmodel.adapters.jax import UnconvertibleError  # needs jax

    return Limitation(
        "String inputs and lookup tables have no JAX equivalent: run that part in TensorFlow.",
        error=UnconvertibleError,
    )


def limitations() -> tuple[Limitation, ...]:
    """Every documented limitation, in a fixed order (the README numbers its notes so)."""
    return (
        _TF_KERAS_UNSAVED,
        _HUB_RAW_KERAS,
        _TF_KERAS_NESTED_REGULARIZATION,
        _strings_in_jax(),
        _BACKEND_AT_IMPORT,
    )


def limitation(producer: str, kind: str, consumer: str, route: str) -> Limitation | None:
    """The documented limitation of a cell, or None if every check must pass."""
    if route == "in process" and (producer == KERAS_JAX_PRODUCER or consumer == KERAS_JAX_CONSUMER):
        return _BACKEND_AT_IMPORT
    if producer == "tf_keras (classic)":
        if route == "in process":
            return _HUB_RAW_KERAS if consumer == "hub.KerasLayer" else _TF_KERAS_UNSAVED
        if kind == "rich":
            return _TF_KERAS_NESTED_REGULARIZATION
    if kind == "text" and consumer in ("to_jax", "FlaxModule", KERAS_JAX_CONSUMER):
        return _strings_in_jax()
    return None


def verdict(cell: Cell) -> str | None:
    """What is wrong with a run cell: None when it passed or fell short as documented."""
    if cell.unavailable is not None:
        return None
    expected = limitation(cell.producer, cell.kind, cell.consumer, cell.route)
    if expected is None:
        return None if cell.passed else cell.describe()
    if expected.matches(cell):
        return None
    return f"{cell.describe()} (documented limitation expected: {expected.reason})"


def run_producer(
    producer: Producer,
    workdir: Path,
    *,
    consumers: Sequence[Consumer | ChildConsumer] = CONSUMERS,
    kinds: Sequence[str] | None = None,
    progress: Callable[[Cell], None] | None = None,
) -> list[Cell]:
    """Runs one producer's row(s) of the matrix.

    A cell whose producer or consumer needs a framework that is not installed is
    recorded as unavailable, not run; a cell whose route does not exist (a documented
    `Limitation` with `not_run`) is recorded as not run. A consumer that runs in a child
    interpreter (`ChildConsumer`) runs once for all the row's saved models, first.

    Args:
      producer: The producer.
      workdir: Where its SavedModels are written.
      consumers: The consumers (columns).
      kinds: The model kinds; by default every kind the producer builds (others are skipped).
      progress: Called with each finished cell.

    Returns:
      The cells, kind by kind, route by route, consumer by consumer.
    """
    kinds = [k for k in (kinds or producer.kinds) if k in producer.kinds]
    producer_absent = missing(producer.requires)
    produced = {} if producer_absent else producer.build_kinds(kinds)
    saved = {}
    for kind, made in produced.items():
        saved[kind] = (workdir / f"{producer.module}-{kind}", made)
        made.save(saved[kind][0])
    recordings = {
        consumer.name: consumer.record(
            {kind: (path, made.inputs, made.truth) for kind, (path, made) in saved.items()},
            workdir / f"{producer.module}-{consumer.module.rsplit('.', 1)[-1]}",
        )
        for consumer in consumers
        if isinstance(consumer, ChildConsumer) and saved and not consumer.missing()
    }
    cells = []
    for kind, route, consumer in itertools.product(kinds, ROUTES, consumers):
        cell = Cell(consumer.name, producer=producer.name, kind=kind, route=route)
        absent = producer_absent + missing(consumer.requires)
        expected = limitation(producer.name, kind, consumer.name, route)
        if absent:
            cell.unavailable = f"needs {', '.join(absent)}"
        elif expected is not None and expected.not_run:
            cell.not_run = True
        else:
            path, made = saved[kind]
            source = made.in_process if route == ROUTES[0] else path
            checked = recordings[consumer.name][kind] if consumer.name in recordings else consumer
            run_checks(cell, checked, source, made.truth, made.inputs)
        cells.append(cell)
        if progress is not None:
            progress(cell)
    return cells


def run(
    *,
    kinds: Sequence[str] | None = None,
    progress: Callable[[Cell], None] | None = None,
) -> Iterator[Cell]:
    """Runs the whole matrix with every producer (in a temporary directory).

    Args:
      kinds: Restricts the model kinds.
      progress: Called with each finished cell.

    Yields:
      Every cell; those needing an absent framework are marked unavailable.
    """
    with tempfile.TemporaryDirectory(prefix="rsm-matrix-") as tmp:
        for producer in PRODUCERS:
            yield from run_producer(producer, Path(tmp), kinds=kinds, progress=progress)
