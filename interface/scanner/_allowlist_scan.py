"""An allowlist scan of everything a SavedModel directory can run, before anything runs.

Loading a SavedModel runs code: TF1 restore ops, TF2 resource initializers and restore
functions run inside `tf.saved_model.load`, before any call. So the scan reads
`saved_model.pb` without loading it and looks at every node of the top-level graph and of
every library function (`tf.cond` branches, loop bodies and called functions included).

An op passes only if it is on the reviewed list of pure-computation ops (`op_allowlist`);
every other op is flagged, as *known-dangerous* when its effect is known (`op_dangerous`:
files, processes, network) or as *unknown* otherwise (custom kernels, ops nobody reviewed,
graphs serialized inside tensors that `*FromGraph` ops would run). A few ops pass only in a
shape checked here: the saver's checkpoint ops and asset-backed vocabulary files
(`saver_check`), `PrintV2` to the terminal, proto codecs with built-in descriptors, and
`XlaCallModule` programs without Python callbacks (`ATTRIBUTE_RULES`), each judged by the
values the runtime will use: placeholders resolved through every caller's binding
(`call_graph`, `attr_binding`), unresolvable ones unsafe. Each finding names the op, its
function and node, and the entry points (`__call__`, a named callable, a signature, an
initializer, the restore path, ...) that reach it (`graph_walk`).
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

from tensorflow.core.framework import node_def_pb2
from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2

from reusable_savedmodel.interface import _compat as compat
from reusable_savedmodel.interface._errors import UnsafeModelError
from reusable_savedmodel.interface.scanner import (
    _attr_binding as attr_binding,
)
from reusable_savedmodel.interface.scanner import (
    _graph_walk as graph_walk,
)
from reusable_savedmodel.interface.scanner import (
    _saved_model_files as saved_model_files,
)
from reusable_savedmodel.interface.scanner._attr_binding import AttrValue
from reusable_savedmodel.interface.scanner._graph_walk import TOP_LEVEL, Entry, Reach
from reusable_savedmodel.interface.scanner._op_allowlist import ALLOWED_OPS
from reusable_savedmodel.interface.scanner._op_dangerous import (
    DANGEROUS_OPS,
    FROM_GRAPH_REASON,
    Category,
)
from reusable_savedmodel.interface.scanner._saver_check import (
    ASSET_READERS,
    CHECKPOINT_OPS,
    SaverCheck,
)

__all__ = ["ATTRIBUTE_RULES", "AttributeRule", "Category", "Kind", "Risk", "ScanFinding", "ScanMode", "ScanReport", "TOP_LEVEL",
           "enforce", "scan_directory"]

_log = logging.getLogger(__name__)

#: What `load(..., scan=...)` does with findings: log them, or refuse the model.
ScanMode = Literal["warn", "strict"]

# PrintV2 streams that stay in the process's terminal or log (anything else is a file).
_TERMINAL_STREAMS = ("stderr", "stdout", "log(info)", "log(warning)", "log(error)")
# Custom-call targets through which an XLA program calls back into Python.
_PYTHON_CALLBACK = re.compile(rb"python\w*callback")


class Risk(str, enum.Enum):
    """How much harm a finding can do: running code > writing or networking > reading."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"


class Kind(str, enum.Enum):
    """Whether a flagged op is known to reach outside, or was simply never reviewed."""

    DANGEROUS = "known-dangerous"
    UNKNOWN = "unknown"


_RISK = {
    Category.PROCESS: Risk.CRITICAL,
    Category.FILE_WRITE: Risk.HIGH,
    Category.NETWORK: Risk.HIGH,
    Category.SAVER: Risk.HIGH,
    Category.FILE_READ: Risk.MEDIUM,
    Category.UNKNOWN: Risk.MEDIUM,
}
_ORDER = {Risk.CRITICAL: 0, Risk.HIGH: 1, Risk.MEDIUM: 2}


@dataclasses.dataclass(frozen=True)
class ScanFinding:
    """One flagged op (or asset).

    Attributes:
      function: The library function holding it, or `<graph>` for the top-level graph.
      node: The node's name (for an asset: its filename).
      op: The op type (`<asset>` for an asset).
      category: What it reaches (`process`, `file-write`, `file-read`, `network`,
        `forged-saver`, `unknown-op`).
      risk: `critical`, `high` or `medium`.
      reason: What the op does, or why it is not exempt.
      kind: `known-dangerous` or `unknown`.
      entries: The entry points that reach it (`__call__`, `callable NAME`,
        `signature KEY`, `initializer PATH`, `restore`, `save`, `function PATH`, ...).
    """

    function: str
    node: str
    op: str
    category: Category
    risk: Risk
    reason: str
    kind: Kind = Kind.DANGEROUS
    entries: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON-able form."""
        return {
            "function": self.function,
            "node": self.node,
            "op": self.op,
            "category": self.category.value,
            "risk": self.risk.value,
            "kind": self.kind.value,
            "entries": list(self.entries),
            "reason": self.reason,
        }


@dataclasses.dataclass(frozen=True)
class ScanReport:
    """What a scan of one SavedModel flagged.

    Attributes:
      target: What was scanned (a handle, or the path of a saved in-process object).
      findings: The flagged ops, most severe first, then by function and node.
      functions: How many graphs were scanned (library functions plus the top level).
      nodes: How many nodes they hold.
    """

    target: str
    findings: tuple[ScanFinding, ...]
    functions: int
    nodes: int

    @property
    def safe(self) -> bool:
        """True when nothing was flagged."""
        return not self.findings

    @property
    def unknown_ops(self) -> frozenset[str]:
        """The flagged op types that nobody reviewed (not known to be dangerous)."""
        return frozenset(f.op for f in self.findings if f.kind is Kind.UNKNOWN)

    @property
    def dangerous_ops(self) -> frozenset[str]:
        """The flagged op types known to reach files, processes or the network."""
        return frozenset(f.op for f in self.findings if f.kind is Kind.DANGEROUS)

    def by_function(self) -> dict[str, tuple[ScanFinding, ...]]:
        """Findings grouped by the function holding them."""
        grouped: dict[str, list[ScanFinding]] = {}
        for f in self.findings:
            grouped.setdefault(f.function, []).append(f)
        return {name: tuple(items) for name, items in grouped.items()}

    def raise_if_unsafe(self) -> None:
        """Raises `UnsafeModelError` listing the findings, if there are any."""
        if not self.safe:
            raise UnsafeModelError(
                f"{self.target}: refused by the strict scan: expected only reviewed pure-"
                f"computation ops, found {len(self.findings)} flagged:\n{self.table()}"
            )

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON-able form."""
        return {
            "target": self.target,
            "safe": self.safe,
            "functions": self.functions,
            "nodes": self.nodes,
            "unknown_ops": sorted(self.unknown_ops),
            "dangerous_ops": sorted(self.dangerous_ops),
            "findings": [f.to_json() for f in self.findings],
        }

    def dumps(self) -> str:
        """Returns the report as a JSON string."""
        return json.dumps(self.to_json(), indent=2)

    def table(self) -> str:
        """The findings as an aligned text table, grouped by function."""
        rows = [("risk", "kind", "op", "node", "reached from", "reason")]
        for function, items in self.by_function().items():
            rows.append((f"{function}:", "", "", "", "", ""))
            rows += [
                ("  " + f.risk.value, f.kind.value, f.op, f.node, ", ".join(f.entries), f.reason)
                for f in items
            ]
        widths = [max(len(r[i]) for r in rows) for i in range(5)]
        return "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(r[:5], widths)) + "  " + r[5] for r in rows
        ).rstrip()

    def __str__(self) -> str:
        head = (
            f"scan {self.target}: {'SAFE' if self.safe else 'RISKY'} ({len(self.findings)} "
            f"flagged in {self.functions} graphs, {self.nodes} nodes)"
        )
        return head if self.safe else head + "\n" + self.table()


def _string(value: AttrValue) -> str | None:
    """A string attribute's text; None for a value of another type (never an allowed one)."""
    return value.s.decode(errors="replace") if value.WhichOneof("value") == "s" else None


@dataclasses.dataclass(frozen=True)
class AttributeRule:
    """An op that is pure only while one attribute has certain values.

    Attributes:
      attribute: The attribute that decides.
      allows: Whether an effective value keeps the op pure.
      category: What the op reaches otherwise.
      reason: Why it is flagged; `{}` is replaced by the value.
    """

    attribute: str
    allows: Callable[[AttrValue], bool]
    category: Category
    reason: str


#: Op type -> the attribute its safety depends on. Every value the attribute can take when
#: the op runs (`attr_binding.effective`: placeholders resolved through each caller's
#: binding, or the op's default when unset) must be allowed; an unresolvable one never is.
ATTRIBUTE_RULES: dict[str, AttributeRule] = {
    "PrintV2": AttributeRule(
        "output_stream", lambda v: _string(v) in _TERMINAL_STREAMS, Category.FILE_WRITE,
        "prints to {}",
    ),
    **{
        op: AttributeRule(
            "descriptor_source", lambda v: _string(v) in ("", "local://"), Category.FILE_READ,
            "reads proto descriptors from {}",
        )
        for op in ("DecodeProtoV2", "EncodeProto")
    },
    "XlaCallModule": AttributeRule(
        "module", lambda v: _string(v) is not None and not _PYTHON_CALLBACK.search(v.s), Category.PROCESS,
        "its XLA program calls back into Python",
    ),
}


def _attribute_problem(graph: str, node: node_def_pb2.NodeDef, rule: AttributeRule, reach: Reach) -> tuple[Category, str] | None:
    """What an attribute-dependent op reaches with any of its effective values, or None."""
    for value in attr_binding.effective(node, rule.attribute, reach.bindings(graph)):
        if value is None:
            return rule.category, (
                f"its {rule.attribute} attribute is a placeholder no caller binds to a constant "
                f"(or has no value), and its safety depends on that value"
            )
        if not rule.allows(value):
            shown = _string(value)
            return rule.category, rule.reason.format(str(value).strip() if shown is None else shown[:200])
    return None


def _classify(
    graph: str, node: node_def_pb2.NodeDef, reach: Reach, saver: SaverCheck
) -> tuple[Category, Kind, str] | None:
    """None for an op that may run; else what it reaches, whether that is known, and why."""
    if node.op in ALLOWED_OPS or node.op in reach.library:
        return None
    if node.op in ATTRIBUTE_RULES:
        found = _attribute_problem(graph, node, ATTRIBUTE_RULES[node.op], reach)
        return None if found is None else (found[0], Kind.DANGEROUS, found[1])
    problem = None
    if node.op in CHECKPOINT_OPS:
        problem = saver.checkpoint_problem(graph, node)
    elif node.op in ASSET_READERS:
        problem = saver.asset_problem(graph, node)
    else:
        problem = ""
    if problem is None:
        return None
    if node.op in DANGEROUS_OPS:
        category, reason = DANGEROUS_OPS[node.op]
        return category, Kind.DANGEROUS, f"{reason}; {problem}" if problem else reason
    if node.op.endswith("FromGraph"):
        return Category.UNKNOWN, Kind.UNKNOWN, FROM_GRAPH_REASON
    if not compat.is_registered_op(node.op):
        return Category.UNKNOWN, Kind.UNKNOWN, (
            "not a registered TensorFlow op: a custom kernel whose effects cannot be checked"
        )
    return Category.UNKNOWN, Kind.UNKNOWN, "not on the reviewed list of pure-computation ops"


def _finding(graph: str, node: node_def_pb2.NodeDef, found: tuple[Category, Kind, str], entries: Iterable[Entry]) -> ScanFinding:
    category, kind, reason = found
    return ScanFinding(
        function=graph,
        node=node.name,
        op=node.op,
        category=category,
        risk=_RISK[category],
        reason=reason,
        kind=kind,
        entries=tuple(sorted({str(e) for e in entries})),
    )


def _scan_meta_graph(meta_graph: meta_graph_pb2.MetaGraphDef, target: str) -> tuple[list[ScanFinding], int, int]:
    reach = graph_walk.walk(meta_graph, target)
    saver = SaverCheck(reach)
    findings, count = [], 0
    graphs = [(TOP_LEVEL, meta_graph.graph_def.node)]
    graphs += [(name, f.node_def) for name, f in reach.library.items()]
    for graph, nodes in graphs:
        for node in nodes:
            count += 1
            found = _classify(graph, node, reach, saver)
            if found is not None:
                findings.append(_finding(graph, node, found, reach.reached_by(graph, node.name)))
    for node, reason in saver.restore_problems():
        findings.append(
            _finding(TOP_LEVEL, node, (Category.SAVER, Kind.DANGEROUS, reason), reach.reached_by(TOP_LEVEL, node.name))
        )
    return findings, len(graphs), count


def scan_directory(
    path: Path, target: str | None = None, proto: saved_model_pb2.SavedModel | None = None
) -> ScanReport:
    """Scans a SavedModel directory's graphs and asset paths without loading it.

    Args:
      path: The directory holding `saved_model.pb` (or `saved_model.pbtxt`).
      target: How to name it in the report (default: the path).
      proto: Its `saved_model.pb`, when the caller has already read it
        (`saved_model_files.read_saved_model`); read here otherwise.

    Returns:
      The report over every meta graph, function and node.

    Raises:
      HandleError: if there is no readable SavedModel protocol buffer with at least one
        meta graph (an empty or truncated file is an error, never "SAFE").
      UnsafeModelError: if a file of the model is a link to a file outside its directory.
    """
    target = target or str(path)
    if proto is None:  # reading it checks that every file lies inside the model
        proto = saved_model_files.read_saved_model(path, target)
    findings: list[ScanFinding] = [
        ScanFinding(
            function=TOP_LEVEL,
            node=name,
            op="<asset>",
            category=Category.FILE_READ,
            risk=_RISK[Category.FILE_READ],
            reason=f"asset path outside {saved_model_files.ASSETS_DIR}/: loading would read it",
            entries=("load",),
        )
        for name in saved_model_files.escaping_assets(proto)
    ]
    functions = nodes = 0
    for meta_graph in proto.meta_graphs:
        f, g, n = _scan_meta_graph(meta_graph, target)
        findings += f
        functions += g
        nodes += n
    unique = sorted(set(findings), key=lambda f: (_ORDER[f.risk], f.function, f.node))
    return ScanReport(target=target, findings=tuple(unique), functions=functions, nodes=nodes)


def enforce(
    path: Path, handle: str, mode: ScanMode, proto: saved_model_pb2.SavedModel | None = None
) -> ScanReport:
    """Scans a resolved SavedModel before loading: logs findings, or refuses on any.

    Args:
      path: The SavedModel directory.
      handle: The handle, for messages.
      mode: `"warn"` logs a warning listing the findings; `"strict"` raises.
      proto: Its `saved_model.pb`, when the caller has already read it.

    Returns:
      The report.

    Raises:
      UnsafeModelError: in strict mode, if anything was flagged.
      ValueError: if `mode` is neither `"warn"` nor `"strict"`.
    """
    if mode not in ("warn", "strict"):
        raise ValueError(f"scan: expected 'warn', 'strict' or None, got {mode!r}.")
    report = scan_directory(path, handle, proto)
    if mode == "strict":
        report.raise_if_unsafe()
    elif not report.safe:
        _log.warning("%s", report)
    return report
