"""`check`: conformance to the protocol, every rule as a named, coded finding."""

from __future__ import annotations

import dataclasses
import enum
import json
import os
from collections.abc import Callable
from typing import Any

import tensorflow as tf

from reusable_savedmodel.interface import _spec as spec_lib
from reusable_savedmodel.interface import _text_tasks as text_tasks
from reusable_savedmodel.interface import _tf_functions as tf_functions
from reusable_savedmodel.interface._errors import (
    CheckFailedError,
    NonConformingError,
    ReusableError,
)
from reusable_savedmodel.interface._loading import as_piece
from reusable_savedmodel.interface._piece import Piece, listed
from reusable_savedmodel.interface._plurals import counted
from reusable_savedmodel.interface._protocol import LIST_ATTRIBUTES
from reusable_savedmodel.interface._tasks import TASKS


class Severity(str, enum.Enum):
    """How bad a finding is: only errors make a report fail."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclasses.dataclass(frozen=True)
class Rule:
    """A protocol rule: a stable code, a short name and its severity."""

    code: str
    name: str
    severity: Severity


#: Every rule `check` knows, by code. Codes never change meaning.
RULES: dict[str, Rule] = {
    r.code: r
    for r in (
        Rule("RSM100", "call-missing", Severity.ERROR),
        Rule("RSM101", "signature-only", Severity.WARNING),
        Rule("RSM102", "call-not-tf-function", Severity.ERROR),
        Rule("RSM103", "call-no-traces", Severity.ERROR),
        Rule("RSM104", "root-not-callable", Severity.WARNING),
        Rule("RSM105", "bare-function", Severity.WARNING),
        Rule("RSM110", "training-trace-missing", Severity.ERROR),
        Rule("RSM111", "training-not-python-bool", Severity.ERROR),
        Rule("RSM120", "list-not-a-sequence", Severity.ERROR),
        Rule("RSM121", "trainable-not-in-variables", Severity.ERROR),
        Rule("RSM122", "trainable-flag-false", Severity.ERROR),
        Rule("RSM123", "variable-not-listed", Severity.ERROR),
        Rule("RSM124", "duplicate-variable", Severity.WARNING),
        Rule("RSM125", "none-in-list", Severity.ERROR),
        Rule("RSM130", "regularization-not-tf-function", Severity.ERROR),
        Rule("RSM131", "regularization-takes-input", Severity.ERROR),
        Rule("RSM132", "regularization-not-scalar-float", Severity.ERROR),
        Rule("RSM140", "callable-nonconforming", Severity.ERROR),
        Rule("RSM141", "callable-nested", Severity.INFO),
        Rule("RSM150", "task-mismatch", Severity.ERROR),
    )
}


@dataclasses.dataclass(frozen=True)
class Finding:
    """One rule that fired.

    Attributes:
      code: The rule's stable code (e.g. `RSM110`).
      name: The rule's short name.
      severity: `error`, `warning` or `info`.
      where: What it is about (`__call__`, `variables[3]`, `encoder.__call__`, ...).
      message: What is wrong and what the protocol expects.
    """

    code: str
    name: str
    severity: Severity
    where: str
    message: str

    def to_json(self) -> dict[str, str]:
        """Returns the JSON-able form."""
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "where": self.where,
            "message": self.message,
        }


@dataclasses.dataclass(frozen=True)
class Report:
    """The findings of `check` on one target."""

    target: str
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        """True when no finding is an error."""
        return not self.errors

    @property
    def errors(self) -> tuple[Finding, ...]:
        """The error-level findings."""
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    def codes(self) -> set[str]:
        """The codes of all findings."""
        return {f.code for f in self.findings}

    def raise_if_failed(self) -> None:
        """Raises `CheckFailedError` listing the errors, if there are any."""
        if not self.ok:
            raise CheckFailedError(f"{self.target} does not conform:\n{self.table(self.errors)}")

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON-able form."""
        return {"target": self.target, "ok": self.ok, "findings": [f.to_json() for f in self.findings]}

    def dumps(self) -> str:
        """Returns the report as a JSON string."""
        return json.dumps(self.to_json(), indent=2)

    @staticmethod
    def table(findings: tuple[Finding, ...]) -> str:
        """Formats findings as an aligned text table."""
        rows = [("severity", "code", "rule", "where", "message")]
        rows += [(f.severity.value, f.code, f.name, f.where, f.message) for f in findings]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        return "\n".join(
            "  ".join(cell.ljust(w) for cell, w in zip(r[:4], widths)) + "  " + r[4] for r in rows
        )

    def __str__(self) -> str:
        status = "PASS" if self.ok else "FAIL"
        head = f"check {self.target}: {status} ({counted(len(self.errors), 'error')}, {counted(len(self.findings), 'finding')})"
        return head if not self.findings else head + "\n" + self.table(self.findings)


class _Findings:
    def __init__(self, prefix: str = ""):
        self.items: list[Finding] = []
        self.prefix = prefix

    def add(self, code: str, where: str, message: str) -> None:
        rule = RULES[code]
        self.items.append(Finding(code, rule.name, rule.severity, self.prefix + where, message))


def _check_not_callable(obj: Any, out: _Findings) -> None:
    """Findings for an object `Piece` refused: no tf.function `__call__`, no signatures."""
    call = getattr(obj, "__call__", None)
    if callable(call) and not isinstance(obj, type):
        out.add("RSM102", "__call__", f"__call__ is a {type(call).__name__}, expected a tf.function.")
    else:
        out.add("RSM100", "__call__", "no __call__ attribute: the protocol requires one.")


def _check_call(piece: Piece, out: _Findings) -> None:
    if piece.is_signature_only:
        out.add(
            "RSM101", "__call__",
            "no __call__: signature-only SavedModel, usable for inference only"
            + (f" (tf.functions: {', '.join(piece.functions)})." if piece.functions else "."),
        )
        return
    if piece.function is None:
        out.add(
            "RSM104", "__call__",
            f"no __call__: the root is not callable; consumers pick what runs with "
            f"callable= (named callables: {', '.join(piece.callables) or 'none'}; "
            f"tf.functions: {', '.join(piece.functions) or 'none'}) or signature= "
            f"({', '.join(piece.signatures) or 'none'}).",
        )
        return
    if piece.is_bare_function:
        out.add(
            "RSM105", "__call__",
            "a bare tf.function, not a protocol callable: its variables are what it captures "
            "(trainable by their flag) and it has no regularization losses.",
        )
    # Read from the function, not `piece.spec`, which needs well-formed lists.
    call = spec_lib.call_spec(piece.function)
    if not call.traces:
        out.add("RSM103", "__call__", "the tf.function has no traces: nothing can be called or saved.")
        return
    _check_training(call, out)


def _trace_key(trace: spec_lib.TraceSpec) -> str:
    return json.dumps([spec_lib.spec_to_json(trace.inputs), spec_lib.spec_to_json(dict(trace.kwargs))], sort_keys=True, default=repr)


def _check_training(call: spec_lib.CallSpec, out: _Findings) -> None:
    by_key: dict[str, set[Any]] = {}
    for i, trace in enumerate(call.traces):
        if trace.training is None:
            continue
        if not isinstance(trace.training, bool):
            out.add(
                "RSM111", f"__call__ trace {i}",
                f"training was traced as {trace.training!r}; it must be a Python bool "
                f"(callers holding a tensor dispatch between the two traces themselves).",
            )
            continue
        by_key.setdefault(_trace_key(trace), set()).add(trace.training)
    for key, values in by_key.items():
        if values != {False, True}:
            missing = not next(iter(values))
            out.add(
                "RSM110", "__call__",
                f"arguments {key} are traced for training={next(iter(values))} only; "
                f"training={missing} has no trace. Every argument combination needs both.",
            )


def _check_variables(piece: Piece, out: _Findings) -> None:
    lists: dict[str, tuple[Any, ...]] = {}
    for name in LIST_ATTRIBUTES:
        try:
            raw = listed(piece.obj, name)
        except ReusableError as error:
            out.add("RSM120", name, str(error))
            lists[name] = ()
            continue
        nones = [i for i, v in enumerate(raw) if v is None]
        if nones:
            out.add(
                "RSM125", name,
                f"lists None at positions {nones}: consumers expect only "
                f"{'tf.functions' if name == 'regularization_losses' else 'tf.Variables'} "
                f"(tf_keras saves None for lookup tables, e.g. TextVectorization's).",
            )
        lists[name] = tuple(v for v in raw if v is not None)
    listed_ids = {id(v) for v in lists["variables"]}
    for i, v in enumerate(lists["trainable_variables"]):
        if id(v) not in listed_ids:
            out.add("RSM121", f"trainable_variables[{i}]", f"{v.name} is not in `variables`.")
        if not getattr(v, "trainable", True):
            out.add("RSM122", f"trainable_variables[{i}]", f"{v.name} has trainable=False.")
    if len(listed_ids) != len(lists["variables"]):
        out.add("RSM124", "variables", "lists some variables more than once.")
    if piece.function is not None:
        for v in tf_functions.captured_variables(piece.function):
            if id(v) not in listed_ids:
                out.add(
                    "RSM123", "variables",
                    f"{v.name} {v.shape} is used by __call__ but not listed in `variables`: "
                    f"list every variable __call__ uses in the saved object's `variables` (the "
                    f"tf.Module property is not saved), or subclass rsm.ReusableModule, which "
                    f"saves the lists.",
                )
    for i, loss in enumerate(lists["regularization_losses"]):
        _check_regularization(loss, f"regularization_losses[{i}]", out)


def _check_regularization(loss: Any, where: str, out: _Findings) -> None:
    if not tf_functions.is_tf_function(loss):
        out.add("RSM130", where, f"is a {type(loss).__name__}, expected a zero-argument tf.function.")
        return
    traces = tf_functions.concrete_functions(loss)
    if not traces:
        try:
            traces = [loss.get_concrete_function()]
        except (TypeError, ValueError) as error:
            out.add("RSM131", where, f"cannot be traced without arguments: {error}")
            return
    for concrete in traces:
        args, kwargs = concrete.structured_input_signature
        if args or kwargs:
            out.add("RSM131", where, f"takes inputs {spec_lib.format_spec(list(args))}; it must take none.")
            continue
        output = tf_functions.output_specs(concrete)
        if not (
            isinstance(output, tf.TensorSpec) and output.shape.rank == 0 and output.dtype.is_floating
        ):
            out.add(
                "RSM132", where,
                f"returns {spec_lib.format_spec(output)}; expected a scalar float tensor.",
            )


_TASKS: dict[str, Callable[[Piece], str | None]] = {}


def _task(name: str):
    if name not in TASKS:  # keeps `rsm check --help`, which reads `tasks.TASKS`, complete
        raise ValueError(f"task {name!r} has a rule but no entry in interface/_tasks.py")

    def register(fn):
        _TASKS[name] = fn
        return fn

    return register


@_task("image_feature_vector")
@_task("image_classification")
def _image_task(piece: Piece) -> str | None:
    call = spec_lib.call_spec(piece.function)
    for inputs, outputs in zip(call.inputs, call.outputs):
        ok_in = isinstance(inputs, tf.TensorSpec) and inputs.dtype == tf.float32 and inputs.shape.rank == 4 and inputs.shape[-1] in (3, None)
        ok_out = isinstance(outputs, tf.TensorSpec) and outputs.shape.rank == 2
        if not (ok_in and ok_out):
            return (f"expected float32[batch,height,width,3] -> [batch,N], got "
                    f"{spec_lib.format_spec(inputs)} -> {spec_lib.format_spec(outputs)}")
    return None


@_task("text_embedding")
def _text_task(piece: Piece) -> str | None:
    call = spec_lib.call_spec(piece.function)
    for inputs, outputs in zip(call.inputs, call.outputs):
        ok_in = isinstance(inputs, tf.TensorSpec) and inputs.dtype == tf.string and inputs.shape.rank == 1
        ok_out = isinstance(outputs, tf.TensorSpec) and outputs.shape.rank == 2
        if not (ok_in and ok_out):
            return (f"expected string[batch] -> [batch,N], got "
                    f"{spec_lib.format_spec(inputs)} -> {spec_lib.format_spec(outputs)}")
    return None


_task("bert_encoder")(text_tasks.bert_encoder_problem)
_task("bert_preprocessor")(text_tasks.bert_preprocessor_problem)


def _check_piece(piece: Piece, out: _Findings, *, nested: bool) -> None:
    _check_call(piece, out)
    _check_variables(piece, out)
    for name, sub in piece.callables.items():
        if nested:
            out.add("RSM141", name, "named callables of named callables are not used by consumers.")
            continue
        inner = _Findings(prefix=f"{name}.")
        _check_piece(sub, inner, nested=True)
        out.items.extend(inner.items)
        if any(f.severity is Severity.ERROR for f in inner.items):
            out.add("RSM140", name, f"named callable {name!r} does not conform (see its findings).")


def check(x: Any, *, task: str | None = None) -> Report:
    """Checks an object, a Piece or a handle against every rule of the protocol.

    Args:
      x: A handle, a loaded or in-process object, or a Piece.
      task: Optionally a Common SavedModel API task to check shapes for:
        `image_feature_vector`, `image_classification`, `text_embedding`,
        `bert_encoder` or `bert_preprocessor` (see `text_tasks`).

    Returns:
      A `Report`; `report.ok` is False when an error-level rule fired.

    Raises:
      HandleError: if `x` is a handle that cannot be loaded.
      ValueError: for an unknown `task`.
    """
    if task is not None and task not in _TASKS:
        raise ValueError(f"unknown task {task!r}; known: {', '.join(sorted(_TASKS))}")
    out = _Findings()
    try:
        piece = as_piece(x)
    except NonConformingError:
        if isinstance(x, (str, os.PathLike)):
            raise
        _check_not_callable(x, out)
        return Report(target=type(x).__name__, findings=tuple(out.items))
    _check_piece(piece, out, nested=False)
    if task is not None:
        problem = (
            _TASKS[task](piece)
            if piece.function is not None
            else "the task's interface is __call__, which this model does not have"
        )
        if problem:
            out.add("RSM150", "__call__", f"task {task}: {problem}")
    return Report(target=piece.name, findings=tuple(out.items))
