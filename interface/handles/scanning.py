"""`scan`: ops in a SavedModel that touch files, run code or talk to the network.

The scan reads `saved_model.pb` without loading it (loading already runs restore and
initializer functions), and looks at every node of the top-level graph and of every function
in the library, so ops hidden in nested functions (`tf.cond` branches, loop bodies, calls) are
found too. Every SavedModel's own saver functions write and read checkpoints with `SaveV2`,
`RestoreV2`, `MergeV2Checkpoints`, `ShardedFilename` and `StringJoin`: those ops are not
flagged there (and only there), or every model would be.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import tensorflow as tf
from google.protobuf import text_format
from google.protobuf.message import DecodeError
from tensorflow.core.framework import node_def_pb2
from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2

from reusable_savedmodel.interface import compat
from reusable_savedmodel.interface.errors import HandleError, UnsafeModelError
from reusable_savedmodel.interface.handles.resolve import resolve
from reusable_savedmodel.interface.piece import Piece

_log = logging.getLogger(__name__)

#: What `load(..., scan=...)` does with findings: log them, or refuse the model.
ScanMode = Literal["warn", "strict"]

#: Where top-level graph nodes are reported (functions are reported by name).
TOP_LEVEL = "<graph>"


class Risk(str, enum.Enum):
    """How much harm an op can do: running code > writing or networking > reading."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"


class Category(str, enum.Enum):
    """What an op reaches outside the computation."""

    PROCESS = "process"
    FILE_WRITE = "file-write"
    FILE_READ = "file-read"
    NETWORK = "network"
    UNKNOWN = "unknown-op"


_RISK = {
    Category.PROCESS: Risk.CRITICAL,
    Category.FILE_WRITE: Risk.HIGH,
    Category.NETWORK: Risk.HIGH,
    Category.FILE_READ: Risk.MEDIUM,
    Category.UNKNOWN: Risk.MEDIUM,
}


def _ops(category: Category, reason: str, names: str) -> dict[str, tuple[Category, str]]:
    return {name: (category, reason) for name in names.split()}


#: Op type -> (category, why). Every name is a registered TensorFlow op (a test checks).
RISKY_OPS: dict[str, tuple[Category, str]] = {
    **_ops(Category.PROCESS, "runs arbitrary Python code in the loading process",
           "PyFunc PyFuncStateless EagerPyFunc"),
    **_ops(Category.FILE_WRITE, "writes files (checkpoints, datasets, summaries, debug dumps)",
           "WriteFile Save SaveSlices SaveV2 MergeV2Checkpoints SaveDataset SaveDatasetV2 "
           "DatasetToTFRecord ExperimentalDatasetToTFRecord CreateSummaryFileWriter "
           "CreateSummaryDbWriter SnapshotDataset SnapshotDatasetV2 CacheDataset CacheDatasetV2 "
           "DebugIdentity DebugIdentityV2 DebugIdentityV3 DebugNanCount DebugNumericSummary "
           "DebugNumericSummaryV2 FileSystemSetConfiguration"),
    **_ops(Category.FILE_READ, "reads files (any path, also remote ones such as gs://)",
           "ReadFile MatchingFiles Restore RestoreSlice RestoreV2 ImmutableConst "
           "TFRecordDataset TFRecordDatasetV2 TextLineDataset FixedLengthRecordDataset "
           "FixedLengthRecordDatasetV2 CSVDataset CSVDatasetV2 ExperimentalCSVDataset "
           "LMDBDataset ExperimentalLMDBDataset LoadDataset MatchingFilesDataset "
           "ExperimentalMatchingFilesDataset SnapshotDatasetReader SnapshotNestedDatasetReader "
           "TFRecordReader TFRecordReaderV2 TextLineReader TextLineReaderV2 "
           "FixedLengthRecordReader FixedLengthRecordReaderV2 WholeFileReader WholeFileReaderV2 "
           "LMDBReader InitializeTableFromTextFile InitializeTableFromTextFileV2 "
           "GenerateVocabRemapping LoadAndRemapMatrix RecordInput"),
    **_ops(Category.NETWORK, "connects to a database, a tf.data service or an RPC peer",
           "SqlDataset ExperimentalSqlDataset DataServiceDataset DataServiceDatasetV2 "
           "DataServiceDatasetV3 DataServiceDatasetV4 RegisterDataset RegisterDatasetV2 "
           "DistributedSave RpcClient RpcServer RpcServerStart RpcServerRegister RpcCall"),
}

#: Ops the saver functions use for checkpoints; not flagged inside those functions.
CHECKPOINT_OPS = frozenset(
    {"SaveV2", "RestoreV2", "MergeV2Checkpoints", "ShardedFilename", "StringJoin"}
)


@dataclasses.dataclass(frozen=True)
class ScanFinding:
    """One risky op.

    Attributes:
      function: The library function holding it, or `<graph>` for the top-level graph.
      node: The node's name.
      op: The op type.
      category: What it reaches (`process`, `file-write`, `file-read`, `network`,
        `unknown-op`).
      risk: `critical`, `high` or `medium`.
      reason: What the op does.
    """

    function: str
    node: str
    op: str
    category: Category
    risk: Risk
    reason: str

    def to_json(self) -> dict[str, str]:
        """Returns the JSON-able form."""
        return {
            "function": self.function,
            "node": self.node,
            "op": self.op,
            "category": self.category.value,
            "risk": self.risk.value,
            "reason": self.reason,
        }


_ORDER = {Risk.CRITICAL: 0, Risk.HIGH: 1, Risk.MEDIUM: 2}


@dataclasses.dataclass(frozen=True)
class ScanReport:
    """The risky ops of one SavedModel.

    Attributes:
      target: What was scanned (a handle, or the path of a saved in-process object).
      findings: The risky ops, most severe first, then by function and node.
      functions: How many graphs were scanned (library functions plus the top level).
      nodes: How many nodes they hold.
    """

    target: str
    findings: tuple[ScanFinding, ...]
    functions: int
    nodes: int

    @property
    def safe(self) -> bool:
        """True when no op was flagged."""
        return not self.findings

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
                f"{self.target}: refused by the strict scan: expected no ops that touch files, "
                f"run code or use the network, found {len(self.findings)}:\n{self.table()}"
            )

    def to_json(self) -> dict[str, Any]:
        """Returns the JSON-able form."""
        return {
            "target": self.target,
            "safe": self.safe,
            "functions": self.functions,
            "nodes": self.nodes,
            "findings": [f.to_json() for f in self.findings],
        }

    def dumps(self) -> str:
        """Returns the report as a JSON string."""
        return json.dumps(self.to_json(), indent=2)

    def table(self) -> str:
        """The findings as an aligned text table, grouped by function."""
        rows = [("risk", "category", "op", "node", "reason")]
        for function, items in self.by_function().items():
            rows.append((f"{function}:", "", "", "", ""))
            rows += [("  " + f.risk.value, f.category.value, f.op, f.node, f.reason) for f in items]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        return "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4] for r in rows
        ).rstrip()

    def __str__(self) -> str:
        head = (
            f"scan {self.target}: {'SAFE' if self.safe else 'RISKY'} ({len(self.findings)} "
            f"flagged ops in {self.functions} graphs, {self.nodes} nodes)"
        )
        return head if self.safe else head + "\n" + self.table()


def _node_name(tensor: str) -> str:
    """`^a`, `a:0` and `a:out:0` all name node `a`."""
    return tensor.lstrip("^").split(":")[0]


def _called(node: node_def_pb2.NodeDef, library: dict[str, Any]) -> set[str]:
    """The library functions a node calls: as its op, or through function attributes."""
    names = {node.op} & library.keys()
    for value in node.attr.values():
        names.add(value.func.name)
        names.update(f.name for f in value.list.func)
    return names & library.keys()


def _saver_functions(meta_graph: meta_graph_pb2.MetaGraphDef, library: dict[str, Any]) -> tuple[set[str], set[str]]:
    """The saver's top-level nodes and the functions they call, transitively."""
    nodes = {n.name: n for n in meta_graph.graph_def.node}
    saver = meta_graph.saver_def
    pending = [_node_name(t) for t in (saver.save_tensor_name, saver.restore_op_name) if t]
    saver_nodes: set[str] = set()
    while pending:  # the saver's subgraph: everything its outputs depend on
        name = pending.pop()
        if name in saver_nodes or name not in nodes:
            continue
        saver_nodes.add(name)
        pending += [_node_name(i) for i in nodes[name].input]
    functions: set[str] = set()
    calls = [f for n in saver_nodes for f in _called(nodes[n], library)]
    while calls:
        name = calls.pop()
        if name not in functions:
            functions.add(name)
            calls += [f for n in library[name].node_def for f in _called(n, library)]
    return saver_nodes, functions


def _string_attr(node: node_def_pb2.NodeDef, name: str) -> str:
    # Membership first: indexing a proto map would insert a default entry.
    return node.attr[name].s.decode(errors="replace") if name in node.attr else ""


def _classify(node: node_def_pb2.NodeDef, library: dict[str, Any]) -> tuple[Category, str] | None:
    if node.op in RISKY_OPS:
        return RISKY_OPS[node.op]
    # These reach files only when an attribute says so.
    stream = _string_attr(node, "output_stream")
    if node.op == "PrintV2" and stream.startswith("file://"):
        return Category.FILE_WRITE, f"prints to {stream}"
    source = _string_attr(node, "descriptor_source")
    if node.op in ("DecodeProtoV2", "EncodeProto") and source not in ("", "local://"):
        return Category.FILE_READ, f"reads proto descriptors from {source}"
    if node.op not in library and not compat.is_registered_op(node.op):
        return Category.UNKNOWN, (
            "not a registered TensorFlow op: a custom kernel whose effects cannot be checked"
        )
    return None


def _scan_meta_graph(meta_graph: meta_graph_pb2.MetaGraphDef) -> tuple[list[ScanFinding], int, int]:
    library = {f.signature.name: f for f in meta_graph.graph_def.library.function}
    saver_nodes, saver_functions = _saver_functions(meta_graph, library)
    graphs: list[tuple[str, Iterable[node_def_pb2.NodeDef], bool]] = [
        (TOP_LEVEL, meta_graph.graph_def.node, False)
    ]
    graphs += [(name, f.node_def, name in saver_functions) for name, f in library.items()]
    findings, count = [], 0
    for where, nodes, is_saver in graphs:
        for node in nodes:
            count += 1
            in_saver = is_saver or (where == TOP_LEVEL and node.name in saver_nodes)
            if in_saver and node.op in CHECKPOINT_OPS:
                continue
            found = _classify(node, library)
            if found is not None:
                category, reason = found
                findings.append(ScanFinding(where, node.name, node.op, category, _RISK[category], reason))
    return findings, len(graphs), count


def scan_saved_model(path: Path, target: str | None = None) -> ScanReport:
    """Scans a SavedModel directory's graphs without loading it.

    Args:
      path: The directory holding `saved_model.pb` (or `saved_model.pbtxt`).
      target: How to name it in the report (default: the path).

    Returns:
      The report over every meta graph, function and node.

    Raises:
      HandleError: if there is no readable SavedModel protocol buffer.
    """
    target = target or str(path)
    proto = saved_model_pb2.SavedModel()
    pb, pbtxt = path / "saved_model.pb", path / "saved_model.pbtxt"
    if not (pb.exists() or pbtxt.exists()):
        raise HandleError(f"{target}: expected saved_model.pb in {path}, found none.")
    try:
        if pb.exists():
            proto.ParseFromString(pb.read_bytes())
        else:
            text_format.Parse(pbtxt.read_text(), proto)
    except (DecodeError, text_format.ParseError) as error:
        name = pb.name if pb.exists() else pbtxt.name
        raise HandleError(f"{target}: {name} is corrupt ({error}).") from error
    findings, functions, nodes = [], 0, 0
    for meta_graph in proto.meta_graphs:
        f, g, n = _scan_meta_graph(meta_graph)
        findings += f
        functions += g
        nodes += n
    unique = sorted(set(findings), key=lambda f: (_ORDER[f.risk], f.function, f.node))
    return ScanReport(target=target, findings=tuple(unique), functions=functions, nodes=nodes)


def scan(x: Any, **remote_options: Any) -> ScanReport:
    """Lists the ops in a model's graphs that touch files, run code or use the network.

    Args:
      x: A handle (directory, `file://`, archive or http(s) URL), a Piece, or a loaded or
        in-process object. Handles are scanned before anything is loaded; objects without
        a handle are saved to a temporary directory first.
      **remote_options: Options for remote handles (`sha256`, `timeout`, ...).

    Returns:
      A `ScanReport`; `report.raise_if_unsafe()` refuses a model with any finding.

    Raises:
      HandleError: if a handle names no readable SavedModel.
      DownloadError: if a remote handle cannot be fetched.
    """
    if isinstance(x, Piece) and x.handle is not None:
        x = x.handle
    if isinstance(x, (str, os.PathLike)):
        return scan_saved_model(resolve(x, **remote_options), os.fspath(x))
    obj = x.obj if isinstance(x, Piece) else x
    with tempfile.TemporaryDirectory(prefix="rsm-scan-") as tmp:
        tf.saved_model.save(obj, tmp)
        return scan_saved_model(Path(tmp), target=f"in-process {type(obj).__name__}")


def enforce(path: Path, handle: str, mode: ScanMode) -> ScanReport:
    """Scans a resolved SavedModel before loading: logs findings, or refuses on any.

    Args:
      path: The SavedModel directory.
      handle: The handle, for messages.
      mode: `"warn"` logs a warning listing the findings; `"strict"` raises.

    Returns:
      The report.

    Raises:
      UnsafeModelError: in strict mode, if anything was flagged.
      ValueError: if `mode` is neither `"warn"` nor `"strict"`.
    """
    if mode not in ("warn", "strict"):
        raise ValueError(f"scan: expected 'warn', 'strict' or None, got {mode!r}.")
    report = scan_saved_model(path, handle)
    if mode == "strict":
        report.raise_if_unsafe()
    elif not report.safe:
        _log.warning("%s", report)
    return report
