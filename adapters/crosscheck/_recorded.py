"""A consumer run in another interpreter: its figures recorded there, replayed to the checks here.

Some consumers cannot share the crosscheck's interpreter (Keras fixes its backend at import,
so `KerasLayer` on JAX runs in a child with `KERAS_BACKEND=jax`). There, `record` asks a
`Wrapped` consumer every question `crosscheck.agreement.run_checks` may ask, once per way the
checks wrap a model (trainable, frozen, each named callable), restoring the variables after
each answer. Here, `Recording.wrap` hands the checks a `Recorded` model that answers from
those figures, so the very same checks run on them. An exception the child met is raised
again here, as its own type where that is one of this project's (or a builtin).
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from typing import Any

from reusable_savedmodel.adapters.crosscheck._compare import Leaves, ValueGrad, close, leaves
from reusable_savedmodel.adapters.crosscheck._consumer import Wrapped
from reusable_savedmodel.adapters.crosscheck._entry import CALL, Entry
from reusable_savedmodel.adapters.crosscheck._errors import ChildError

#: How the checks wrap a model: `(trainable, callable, signature)`.
Way = tuple[bool, str | None, str | None]
#: An exception as it crosses over: module, class name, message, traceback.
Described = list[str]

_TRAININGS = (False, True)
#: Modules bound to the child's Keras backend: importing one here would set up the other
#: backend's classes in this interpreter.
_BACKEND_BOUND = "reusable_savedmodel.adapters.keras_jax"


def entry_ways(entry: Entry, *, freezes: bool) -> list[Way]:
    """The ways the checks wrap a model's entry point: trainable (unless a signature), frozen."""
    kwargs = [entry.wrap_kwargs(), *([entry.wrap_kwargs(trainable=False)] if freezes else [])]
    found = [(k["trainable"], k["callable"], k["signature"]) for k in kwargs]
    return list(dict.fromkeys(found))  # a signature is frozen either way: once


def ways(callables: Mapping[str, Any], *, freezes: bool, entry: Entry = CALL) -> list[Way]:
    """Every way the checks wrap a model with this entry point and these named callables."""
    return [*entry_ways(entry, freezes=freezes), *((True, name, None) for name in callables)]


def record(wrap: Callable[..., Wrapped], source: Any, inputs: Any, way: Way) -> dict[str, Any]:
    """Answers every question of the checks about `wrap(source, ...)` for one way, in the child.

    Args:
      wrap: The consumer's `Wrapped` class.
      source: What the consumer is handed (a saved model's path).
      inputs: The inputs to call it on.
      way: `(trainable, callable, signature)`.

    Returns:
      The figures (`{"error": ...}` when wrapping failed), for `Recording`.
    """
    trainable, callable, signature = way
    try:
        model = wrap(source, trainable=trainable, callable=callable, signature=signature)
    except Exception as error:  # noqa: BLE001 (raised again in the parent)
        return {"error": _describe(error)}
    model.remember()

    def answer(question: Callable[[], Any]) -> dict[str, Any]:
        try:
            return {"value": question()}
        except Exception as error:  # noqa: BLE001 (raised again in the parent)
            return {"error": _describe(error)}
        finally:
            model.restore()

    return {
        "inputs": inputs,
        "outputs": {t: answer(functools.partial(model.outputs, inputs, t)) for t in _TRAININGS},
        "value_grads": {t: answer(functools.partial(model.value_grads, inputs, t)) for t in _TRAININGS},
        "regularization": answer(model.regularization),
        "trainable_count": answer(model.trainable_count),
        "state_after_training": answer(lambda: model.state_after_training(inputs)),
    }


@dataclasses.dataclass(frozen=True)
class Recording:
    """One model's figures from the child, standing in for the consumer in `run_checks`.

    Attributes:
      source: The saved model's path the child loaded.
      freezes: Whether the consumer has a frozen mode.
      figures: Way -> what `record` returned.
    """

    source: str
    freezes: bool
    figures: Mapping[Way, Mapping[str, Any]]

    def wrap(self, source: Any, *, trainable: bool, callable: str | None, signature: str | None = None) -> Wrapped:
        """The model as the consumer wrapped it in the child (raises what the child met)."""
        if os.fspath(source) != self.source:
            raise ValueError(f"recorded for {self.source}, asked about {source}")
        figures = self.figures[(trainable, callable, signature)]
        if "error" in figures:
            raise rebuild(figures["error"])
        return Recorded(figures)


class Recorded(Wrapped):
    """A model that answers with the figures the child recorded for one way of wrapping it."""

    def __init__(self, figures: Mapping[str, Any]):
        self._figures = figures

    def _answer(self, question: str, inputs: Any = None, training: bool | None = None) -> Any:
        if inputs is not None and not close(leaves(inputs), leaves(self._figures["inputs"])):
            raise ValueError(f"{question}: recorded for other inputs")
        answer = self._figures[question]
        if training is not None:
            answer = answer[training]
        if "error" in answer:
            raise rebuild(answer["error"])
        return answer["value"]

    def outputs(self, inputs: Any, training: bool) -> Leaves:  # noqa: D102
        return self._answer("outputs", inputs, training)

    def value_grads(self, inputs: Any, training: bool) -> list[ValueGrad]:  # noqa: D102
        return self._answer("value_grads", inputs, training)

    def regularization(self) -> float:  # noqa: D102
        return self._answer("regularization")

    def trainable_count(self) -> int:  # noqa: D102
        return self._answer("trainable_count")

    def state_after_training(self, inputs: Any) -> list[Any]:  # noqa: D102
        return self._answer("state_after_training", inputs)

    def remember(self) -> None:  # noqa: D102
        pass  # the child restored the variables after every answer

    def restore(self) -> None:  # noqa: D102
        pass


def _describe(error: BaseException) -> Described:
    kind = type(error)
    return [kind.__module__, kind.__qualname__, str(error), traceback.format_exc()]


def rebuild(described: Described) -> Exception:
    """The child's exception, as its own type when this interpreter has it, else a `ChildError`."""
    module, name, message, trace = described
    error = _same_type(module, name, message) or ChildError(f"{module}.{name}: {message}")
    note = f"Raised in the child interpreter:\n{trace}"
    if sys.version_info >= (3, 11):
        error.add_note(note)
    else:  # no exception notes before 3.11: the child's traceback shows as the cause
        error.__cause__ = ChildError(note)
    return error


def _same_type(module: str, name: str, message: str) -> Exception | None:
    ours = module.startswith("reusable_savedmodel.") and not module.startswith(_BACKEND_BOUND)
    if module != "builtins" and not ours:
        return None
    kind = getattr(importlib.import_module(module), name, None)
    if not (isinstance(kind, type) and issubclass(kind, Exception)):
        return None
    try:
        return kind(message)
    except Exception:  # noqa: BLE001 (a constructor that takes other arguments)
        return None
