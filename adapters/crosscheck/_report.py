"""A crosscheck's result: per consumer, per check; printable (100 columns) and JSON-able."""

from __future__ import annotations

import collections
import dataclasses
import json
import re
import textwrap
from collections.abc import Sequence
from typing import Any

from reusable_savedmodel.adapters.crosscheck import _agreement as agreement
from reusable_savedmodel.adapters.crosscheck._agreement import ConsumerResult
from reusable_savedmodel.adapters.crosscheck._compare import FLOAT32, Tolerance
from reusable_savedmodel.interface.kit import counted

WIDTH = 100

#: Table columns: (header, the checks it shows; the first present is shown).
COLUMNS = (
    ("infer", (agreement.OUTPUTS_INFERENCE,)),
    ("train", (agreement.OUTPUTS_TRAINING, agreement.TRAINING_TRACE)),
    ("grads", (agreement.GRADIENTS,)),
    ("state", (agreement.STATE,)),
    ("reg", (agreement.REGULARIZATION,)),
    ("frozen", (agreement.FROZEN,)),
    ("callables", (agreement.CALLABLES,)),
)
#: Footnotes keep an error message's start (the JSON keeps it whole).
_MAX_REASON = 400
_SYMBOLS = {agreement.OK: "ok", agreement.NOT_APPLICABLE: "-"}
#: The consumer that is the core itself: its agreement alone is no evidence for a framework.
BARE_PIECE = "Piece"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_KERAS_PREFIX = re.compile(r"^\s*Exception encountered when calling [\w.]+\(\)\.\s*")
_KERAS_ARGUMENTS = "Arguments received by "


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
      entry: The entry point checked, in words (`__call__`, a callable, a signature).
      check_errors: The errors `rsm.check` found in the model, as "CODE where: message".
      tolerance: How closely floats had to agree (set by the model's compute dtype).
    """

    model: str
    results: tuple[ConsumerResult, ...]
    stochastic_training: bool
    callables: tuple[str, ...] = ()
    entry: str = "__call__"
    check_errors: tuple[str, ...] = ()
    tolerance: Tolerance = FLOAT32

    @property
    def ok(self) -> bool:
        """Whether the crosscheck gives the model a clean bill, on evidence.

        True only when the model passes `rsm.check`, no consumer disagrees or fails,
        and some consumer agrees: one beyond the bare `Piece` whenever others were run
        ("cannot run" and "not installed" are reasons, never agreement).
        """
        return self.reason is None

    @property
    def reason(self) -> str | None:
        """Why the report is not OK, in one sentence; None when it is."""
        if self.check_errors:
            codes = ", ".join(dict.fromkeys(error.split()[0] for error in self.check_errors))
            return (
                f"the model fails rsm check ({counted(len(self.check_errors), 'error')}: {codes}; "
                f"`rsm check` explains), so no consumer's agreement counts"
            )
        bad = [r for r in self.results if r.verdict not in agreement.ACCEPTABLE]
        if bad:
            return ", ".join(f"{r.consumer} {r.verdict}" for r in bad) + " (see the notes)"
        agree = [r.consumer for r in self.results if r.verdict == agreement.AGREES]
        frameworks = [r for r in self.results if r.consumer != BARE_PIECE]
        if not agree or (frameworks and agree == [BARE_PIECE]):
            counts = collections.Counter(r.verdict for r in frameworks or self.results)
            why = ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items()))
            return f"no consumer{' but the bare Piece' if agree else ''} ran the model ({why}): nothing was compared"
        return None

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON-able form."""
        return {
            "model": self.model,
            "ok": self.ok,
            "reason": self.reason,
            "entry": self.entry,
            "check_errors": list(self.check_errors),
            "tolerance": dataclasses.asdict(self.tolerance),
            "stochastic_training": self.stochastic_training,
            "callables": list(self.callables),
            "consumers": [_result_json(r) for r in self.results],
        }

    def dumps(self) -> str:
        """Returns the report as a JSON string."""
        return json.dumps(self.to_json(), indent=2)

    def __str__(self) -> str:
        notes: list[str] = []
        header = ["consumer", *(name for name, _ in COLUMNS), "verdict"]
        rows: list[list[str] | tuple[str, str]] = []  # cells, or (consumer, text across them)
        for result in self.results:
            if result.unavailable is not None or result.error is not None:
                what = type(result.error).__name__ if result.error is not None else "see"
                rows.append((result.consumer, f"{result.verdict}: {what} {_note(notes, _reason(result))}"))
            else:
                cells = [_cell(result.checks, names, notes) for _, names in COLUMNS]
                rows.append([result.consumer, *cells, result.verdict])
        cell_rows = [header, *(row for row in rows if isinstance(row, list))]
        widths = [max(len(row[i]) for row in cell_rows) for i in range(len(header))]
        widths[0] = max(widths[0], *(len(row[0]) for row in rows))
        title = f"crosscheck of {self.model} against tf.saved_model.load"
        if self.entry != "__call__":
            title += f", through its {self.entry}"
        lines = textwrap.wrap(title, WIDTH, break_on_hyphens=False)
        for row in [header, *rows]:
            cells = list(row) if isinstance(row, list) else [row[0].ljust(widths[0]), row[1]]
            lines.append("  ".join(value.ljust(w) for value, w in zip(cells, widths)).rstrip())
        if self.stochastic_training:
            lines.append("train: the training trace is random (dropout): checked to run and differ from inference")
        if self.tolerance != FLOAT32:
            lines.append(
                f"floats agree within rtol {self.tolerance.rtol:g}, atol {self.tolerance.atol:g}: "
                f"the model computes in {self.tolerance.dtype}"
            )
        for error in self.check_errors:
            _note(notes, f"rsm check: {error}")
        reason = self.reason
        if reason is None:
            lines += textwrap.wrap(f"OK: {self._agreement()}", WIDTH, subsequent_indent="    ")
        else:
            lines += textwrap.wrap(f"FAILED: {reason}", WIDTH, subsequent_indent="    ")
        for number, text in enumerate(notes, start=1):
            lines.extend(textwrap.wrap(f"[{number}] {text}", WIDTH, subsequent_indent="    "))
        return "\n".join(lines)

    def _agreement(self) -> str:
        """What an OK report rests on: who agrees, and who did not run."""
        counts = collections.Counter(r.verdict for r in self.results)
        text = f"{counted(counts.pop(agreement.AGREES), 'consumer')} agree with tf.saved_model.load's object"
        if counts:
            text += "; " + ", ".join(f"{n} {verdict}" for verdict, n in sorted(counts.items())) + " (see the notes)"
        return text


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
    message = " ".join(clean_message(str(result.error)).split())
    if len(message) > _MAX_REASON:
        message = message[: _MAX_REASON - 3] + "..."
    return f"{type(result.error).__name__}: {message}"


def clean_message(message: str) -> str:
    """An error message without terminal escape codes and Keras's call boilerplate.

    Keras wraps an exception raised in a layer's `call` as "Exception encountered when
    calling X.call(). <the error, in bold> Arguments received by X.call(): <every
    argument>": only the error itself says what went wrong.
    """
    message = _ANSI.sub("", message)
    message = message.split(_KERAS_ARGUMENTS, 1)[0]
    return _KERAS_PREFIX.sub("", message).strip()


def _result_json(result: ConsumerResult) -> dict[str, Any]:
    error = result.error
    return {
        "consumer": result.consumer,
        "verdict": result.verdict,
        "checks": dict(result.checks),
        "error": None if error is None else {"type": type(error).__name__, "message": clean_message(str(error))},
        "unavailable": result.unavailable,
    }
