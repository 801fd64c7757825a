"""A crosscheck's result: per consumer, per check; printable (100 columns) and JSON-able."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from collections.abc import Sequence
from typing import Any

from reusable_savedmodel.adapters.crosscheck import checks as checks_lib
from reusable_savedmodel.adapters.crosscheck.checks import ConsumerResult

WIDTH = 100

#: Table columns: (header, the checks it shows; the first present is shown).
COLUMNS = (
    ("infer", (checks_lib.OUTPUTS_INFERENCE,)),
    ("train", (checks_lib.OUTPUTS_TRAINING, checks_lib.TRAINING_TRACE)),
    ("grads", (checks_lib.GRADIENTS,)),
    ("state", (checks_lib.STATE,)),
    ("reg", (checks_lib.REGULARIZATION,)),
    ("frozen", (checks_lib.FROZEN,)),
    ("callables", (checks_lib.CALLABLES,)),
)
#: Footnotes keep an error message's start (the JSON keeps it whole).
_MAX_REASON = 400
_SYMBOLS = {checks_lib.OK: "ok", checks_lib.NOT_APPLICABLE: "-"}


@dataclasses.dataclass(frozen=True)
class CrosscheckReport:
    """Every consumer's result for one model, against the raw `tf.saved_model.load` object.

    Attributes:
      model: What was checked (the handle, or the piece's name).
      results: One `ConsumerResult` per consumer, in a fixed order.
      stochastic_training: Whether the model's training trace is random (dropout): its
        training outputs are then checked to differ from inference, not for values,
        and gradients are taken in inference mode.
      callables: The named callables checked.
    """

    model: str
    results: tuple[ConsumerResult, ...]
    stochastic_training: bool
    callables: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether every consumer that can run the model agrees with the raw object."""
        return all(r.verdict in checks_lib.ACCEPTABLE for r in self.results)

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON-able form."""
        return {
            "model": self.model,
            "ok": self.ok,
            "stochastic_training": self.stochastic_training,
            "callables": list(self.callables),
            "consumers": [_result_json(r) for r in self.results],
        }

    def dumps(self) -> str:
        """Returns the report as a JSON string."""
        return json.dumps(self.to_json(), indent=2)

    def __str__(self) -> str:
        notes: list[str] = []
        rows = [["consumer", *(header for header, _ in COLUMNS), "verdict"]]
        spans = []
        for result in self.results:
            if result.unavailable is not None or result.error is not None:
                what = type(result.error).__name__ if result.error is not None else "see"
                spans.append((result.consumer, f"{result.verdict}: {what} {_note(notes, _reason(result))}"))
            else:
                cells = [_cell(result.checks, names, notes) for _, names in COLUMNS]
                rows.append([result.consumer, *cells, result.verdict])
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = textwrap.wrap(f"crosscheck of {self.model} against tf.saved_model.load", WIDTH, break_on_hyphens=False)
        lines += ["  ".join(value.ljust(w) for value, w in zip(row, widths)).rstrip() for row in rows]
        lines += [f"{name.ljust(widths[0])}  {text}" for name, text in spans]
        if self.stochastic_training:
            lines.append("train: the training trace is random (dropout): checked to run and differ from inference")
        lines.append(f"{'OK' if self.ok else 'FAILED'}: " + (
            "every consumer that can run the model agrees" if self.ok else "some consumer disagrees or failed"
        ))
        for number, text in enumerate(notes, start=1):
            lines.extend(textwrap.wrap(f"[{number}] {text}", WIDTH, subsequent_indent="    "))
        return "\n".join(lines)


def _cell(checks: dict[str, str], names: Sequence[str], notes: list[str]) -> str:
    name = next((n for n in names if n in checks), None)
    if name is None:
        return "-"
    value = checks[name]
    return _SYMBOLS.get(value) or f"FAIL {_note(notes, f'{name}: {value}')}"


def _note(notes: list[str], text: str) -> str:
    notes.append(text)
    return f"[{len(notes)}]"


def _reason(result: ConsumerResult) -> str:
    if result.unavailable is not None:
        return result.unavailable
    message = " ".join(str(result.error).split())
    if len(message) > _MAX_REASON:
        message = message[: _MAX_REASON - 3] + "..."
    return f"{type(result.error).__name__}: {message}"


def _result_json(result: ConsumerResult) -> dict[str, Any]:
    error = result.error
    return {
        "consumer": result.consumer,
        "verdict": result.verdict,
        "checks": dict(result.checks),
        "error": None if error is None else {"type": type(error).__name__, "message": str(error)},
        "unavailable": result.unavailable,
    }
