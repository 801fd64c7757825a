"""Ops a SavedModel needs that this process has not registered, found before loading.

`tf.saved_model.load` of a graph with an unregistered op fails deep inside with "Op type
not registered". Text preprocessors (BERT-style TF Hub exports) use TF Text's ops, which
exist only once `tensorflow_text` is imported: `require_ops` imports it when the graph
needs it and it is installed, and otherwise raises an error naming what to install.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterator

import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from reusable_savedmodel.interface import _compat as compat
from reusable_savedmodel.interface._errors import MissingOpError

#: TF Text registers its newer ops under this prefix.
TEXT_OP_PREFIX = "TFText>"
#: TF Text ops registered without the prefix that BERT-style preprocessors use.
TEXT_OPS = frozenset(
    {
        "CaseFoldUTF8",
        "NormalizeUTF8",
        "NormalizeUTF8WithOffsetsMap",
        "RegexSplitWithOffsets",
        "WordpieceTokenizeWithOffsets",
        "UnicodeScriptTokenizeWithOffsets",
        "WhitespaceTokenizeWithOffsets",
        "SentencepieceOp",
        "SentencepieceTokenizeOp",
        "SentencepieceTokenizeWithOffsetsOp",
        "SentencepieceDetokenizeOp",
        "SentencepieceIdToStringOp",
        "SentencepieceStringToIdOp",
        "SentencepieceVocabSizeOp",
    }
)


#: Op-name prefix -> (what defines those ops, the pip package to install and import first).
OP_FAMILIES = {
    "SimpleML": ("TensorFlow Decision Forests (YDF's to_tensorflow_saved_model)", "tensorflow_decision_forests"),
    "Addons>": ("TensorFlow Addons", "tensorflow-addons"),
    "IO>": ("TensorFlow I/O", "tensorflow-io"),
    "Scann>": ("ScaNN", "scann"),
}


def op_family(op: str) -> tuple[str, str] | None:
    """`(library, pip package)` of a known custom op's library, or None."""
    return next((family for prefix, family in OP_FAMILIES.items() if op.startswith(prefix)), None)


def is_text_op(op: str) -> bool:
    """Whether `op` is one of TF Text's ops."""
    return op.startswith(TEXT_OP_PREFIX) or op in TEXT_OPS


def _op_uses(proto: saved_model_pb2.SavedModel) -> Iterator[tuple[str, str]]:
    """`(op type, function or "graph")` for every node; calls of library functions skipped."""
    for meta_graph in proto.meta_graphs:
        library = {f.signature.name for f in meta_graph.graph_def.library.function}
        for node in meta_graph.graph_def.node:
            if node.op not in library:
                yield node.op, "graph"
        for function in meta_graph.graph_def.library.function:
            for node in function.node_def:
                if node.op not in library:
                    yield node.op, function.signature.name


def unregistered_ops(proto: saved_model_pb2.SavedModel) -> dict[str, list[str]]:
    """The op types a SavedModel's graphs use that this process has not registered.

    Args:
      proto: Its parsed `saved_model.pb` (`saved_model_files.read_saved_model`).

    Returns:
      Op type -> the functions (or `"graph"`) that use it, each once, in order.
    """
    missing: dict[str, list[str]] = {}
    for op, where in _op_uses(proto):
        if not compat.is_registered_op(op):
            places = missing.setdefault(op, [])
            if where not in places:
                places.append(where)
    return missing


def text_install_hint() -> str:
    """The pip command for the TF Text release that matches the installed TensorFlow."""
    major, minor = tf.__version__.split(".")[:2]
    return f'pip install "tensorflow-text=={major}.{minor}.*"'


def _describe(missing: dict[str, list[str]]) -> str:
    return "; ".join(
        f"{op} (in {', '.join(places[:3])}{', ...' if len(places) > 3 else ''})"
        for op, places in sorted(missing.items())
    )


def require_ops(proto: saved_model_pb2.SavedModel, handle: str) -> None:
    """Makes sure every op a SavedModel uses is registered, before loading it.

    Imports `tensorflow_text` when the graph uses TF Text ops and it is installed.

    Args:
      proto: Its parsed `saved_model.pb`.
      handle: How to name the model in messages.

    Raises:
      MissingOpError: naming the unregistered ops and where they are used, and for TF
        Text ops the `pip install` command matching this TensorFlow.
    """
    missing = unregistered_ops(proto)
    if not missing:
        return
    if any(is_text_op(op) for op in missing) and importlib.util.find_spec("tensorflow_text"):
        importlib.import_module("tensorflow_text")  # registers TF Text's ops
        missing = {op: where for op, where in missing.items() if not compat.is_registered_op(op)}
        if not missing:
            return
    text = {op: where for op, where in missing.items() if is_text_op(op)}
    other = {op: where for op, where in missing.items() if not is_text_op(op)}
    lines = [f"{handle!r} uses ops this process has not registered, so it cannot load:"]
    if text:
        lines.append(
            f"TF Text ops {_describe(text)}: install TensorFlow Text for TensorFlow "
            f"{tf.__version__} with `{text_install_hint()}` (it is imported automatically)."
        )
    families = {op: op_family(op) for op in other}
    for library, package in sorted({family for family in families.values() if family}):
        ops = {op: where for op, where in other.items() if families[op] == (library, package)}
        lines.append(
            f"{library} ops {_describe(ops)}: `pip install {package}` (a release built for "
            f"TensorFlow {tf.__version__}) and import it before loading."
        )
    other = {op: where for op, where in other.items() if families[op] is None}
    if other:
        lines.append(
            f"custom ops {_describe(other)}: import the library that defines them before "
            f"loading (its kernels must match TensorFlow {tf.__version__})."
        )
    raise MissingOpError("\n".join(lines))
