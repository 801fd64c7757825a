"""Which entry points of a SavedModel reach each function and top-level node.

An entry point is something that runs a model's graph: its `__call__`, a named callable or
other saved function, a signature, an initializer (resource creation and initialization,
the TF1 main op, table initializers), the checkpoint restore or save path. The walk starts
from what the object graph, the signatures, the collections and the `saver_def` name, and
follows data and control inputs of top-level nodes and every function a node calls (as its
op or through function-valued attributes, e.g. `tf.cond` branches and loop bodies).
Whatever no entry reaches is still scanned, attributed to "unreached".
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Iterator
from typing import Any

from tensorflow.core.framework import function_pb2, node_def_pb2
from tensorflow.core.protobuf import meta_graph_pb2

#: Where top-level graph nodes are reported (functions are reported by name).
TOP_LEVEL = "<graph>"

# The SavedModel signature key of the init op (TF1 main op, TF2 table initializers).
_INIT_OP_SIGNATURE = "__saved_model_init_op"
# TF1 collections whose ops the loader runs after restoring.
_INIT_COLLECTIONS = ("saved_model_main_op", "legacy_init_op", "table_initializer")
# Children of a restored resource that the loader calls, and the one called when it dies.
_RESOURCE_FUNCTIONS = ("_create_resource", "_initialize", "_destroy_resource")


class EntryKind(str, enum.Enum):
    """How an entry point runs."""

    CALL = "__call__"
    CALLABLE = "callable"
    FUNCTION = "function"
    SIGNATURE = "signature"
    INITIALIZER = "initializer"
    RESTORE = "restore"
    SAVE = "save"
    GRADIENT = "gradient"
    UNREACHED = "unreached"


@dataclasses.dataclass(frozen=True, order=True)
class Entry:
    """One entry point.

    Attributes:
      kind: How it runs.
      name: Which one (`serving_default`, `encoder`, `table._initialize`, ...).
    """

    kind: EntryKind
    name: str

    def __str__(self) -> str:
        return f"{self.kind.value} {self.name}".strip()


def node_name(tensor: str) -> str:
    """`^a`, `a:0` and `a:out:0` all name node `a`."""
    return tensor.lstrip("^").split(":")[0]


def called_functions(node: node_def_pb2.NodeDef, library: dict[str, Any]) -> set[str]:
    """The library functions a node calls: as its op, or through function attributes."""
    names = {node.op} & library.keys()
    for value in node.attr.values():
        names.add(value.func.name)
        names.update(f.name for f in value.list.func)
    return names & library.keys()


def _label(path: tuple[str, ...]) -> str:
    # The traces of a saved function are its children `trace_0`, ...: report the function.
    while path and path[-1].startswith("trace_"):
        path = path[:-1]
    return ".".join(path)


def _object_paths(meta_graph: meta_graph_pb2.MetaGraphDef) -> dict[int, tuple[str, ...]]:
    """Each object's first path from the root, by breadth-first search."""
    objects = meta_graph.object_graph_def.nodes
    paths: dict[int, tuple[str, ...]] = {0: ()} if objects else {}
    queue = [0] if objects else []
    while queue:
        current = queue.pop(0)
        for child in objects[current].children:
            if child.node_id not in paths and child.node_id < len(objects):
                paths[child.node_id] = paths[current] + (child.local_name,)
                queue.append(child.node_id)
    for index in range(len(objects)):
        paths.setdefault(index, (f"<object {index}>",))
    return paths


def _function_names(obj: Any) -> list[str]:
    kind = obj.WhichOneof("kind")
    if kind == "function":
        return list(obj.function.concrete_functions)
    if kind == "bare_concrete_function":
        return [obj.bare_concrete_function.concrete_function_name]
    return []


def _object_entries(meta_graph: meta_graph_pb2.MetaGraphDef) -> Iterator[tuple[Entry, str]]:
    """(entry, function name) for every function the object graph holds."""
    objects = meta_graph.object_graph_def.nodes
    paths = _object_paths(meta_graph)
    by_path = {path: index for index, path in paths.items()}
    saver_roles = {}
    for obj in objects:
        for saveable in obj.saveable_objects.values():
            saver_roles[saveable.save_function] = EntryKind.SAVE
            saver_roles[saveable.restore_function] = EntryKind.RESTORE
    for index, obj in enumerate(objects):
        path = paths[index]
        label = _label(path)
        owner = objects[by_path[path[:-1]]] if path and path[:-1] in by_path else None
        if index in saver_roles:
            entry = Entry(saver_roles[index], label)
        elif path and path[-1] in _RESOURCE_FUNCTIONS and owner is not None and owner.WhichOneof("kind") == "resource":
            entry = Entry(EntryKind.INITIALIZER, label)
        elif label == "__call__":
            entry = Entry(EntryKind.CALL, "")
        elif label.endswith(".__call__"):
            entry = Entry(EntryKind.CALLABLE, label[: -len(".__call__")])
        elif path[:1] == ("signatures",) and len(path) >= 2:
            entry = Entry(EntryKind.SIGNATURE, path[1])
        else:
            entry = Entry(EntryKind.FUNCTION, label)
        for name in _function_names(obj):
            yield entry, name


def _graph_entries(meta_graph: meta_graph_pb2.MetaGraphDef) -> Iterator[tuple[Entry, str]]:
    """(entry, top-level node name) for signatures, init ops and the saver."""
    for key, signature in meta_graph.signature_def.items():
        entry = (
            Entry(EntryKind.INITIALIZER, "init op")
            if key == _INIT_OP_SIGNATURE
            else Entry(EntryKind.SIGNATURE, key)
        )
        for tensor in [*signature.outputs.values(), *signature.inputs.values()]:
            if tensor.name:
                yield entry, node_name(tensor.name)
    for key in _INIT_COLLECTIONS:
        if key in meta_graph.collection_def:
            for name in meta_graph.collection_def[key].node_list.value:
                yield Entry(EntryKind.INITIALIZER, key), node_name(name)
    saver = meta_graph.saver_def
    if saver.save_tensor_name:
        yield Entry(EntryKind.SAVE, ""), node_name(saver.save_tensor_name)
    if saver.restore_op_name:
        yield Entry(EntryKind.RESTORE, ""), node_name(saver.restore_op_name)


@dataclasses.dataclass
class Reach:
    """The entry points reaching each function and top-level node of one meta graph.

    Attributes:
      meta_graph: The meta graph.
      library: Function name -> its definition.
      nodes: Top-level node name -> its definition.
      functions: Function name -> the entries that reach it.
      top: Top-level node name -> the entries that reach it.
    """

    meta_graph: meta_graph_pb2.MetaGraphDef
    library: dict[str, function_pb2.FunctionDef]
    nodes: dict[str, node_def_pb2.NodeDef]
    functions: dict[str, set[Entry]]
    top: dict[str, set[Entry]]

    def calls_into(self, function: str) -> Iterator[tuple[str, node_def_pb2.NodeDef]]:
        """(graph, node) for every node that calls `function` (graph: a function or TOP_LEVEL)."""
        for node in self.nodes.values():
            if function in called_functions(node, self.library):
                yield TOP_LEVEL, node
        for name, definition in self.library.items():
            for node in definition.node_def:
                if function in called_functions(node, self.library):
                    yield name, node


def _calls(library: dict[str, function_pb2.FunctionDef]) -> dict[str, set[str]]:
    return {
        name: {f for node in definition.node_def for f in called_functions(node, library)}
        for name, definition in library.items()
    }


def _spread(
    entry: Entry,
    start_nodes: Iterable[str],
    start_functions: Iterable[str],
    reach: Reach,
    calls: dict[str, set[str]],
    *,
    skip_reached: bool = False,
) -> None:
    """Marks everything reachable from the starting nodes and functions with `entry`.

    With `skip_reached`, stops at what an entry point already reaches.
    """
    pending_nodes = [n for n in start_nodes if n in reach.nodes]
    pending_functions = [f for f in start_functions if f in reach.library]
    while pending_nodes:
        name = pending_nodes.pop()
        if entry in reach.top[name] or (skip_reached and reach.top[name]):
            continue
        reach.top[name].add(entry)
        node = reach.nodes[name]
        pending_nodes += [node_name(i) for i in node.input if node_name(i) in reach.nodes]
        pending_functions += called_functions(node, reach.library)
    while pending_functions:
        name = pending_functions.pop()
        if entry in reach.functions[name] or (skip_reached and reach.functions[name]):
            continue
        reach.functions[name].add(entry)
        pending_functions += calls[name]


def walk(meta_graph: meta_graph_pb2.MetaGraphDef) -> Reach:
    """Finds the entry points reaching every function and top-level node.

    Args:
      meta_graph: One meta graph of a SavedModel.

    Returns:
      The `Reach`; unreached functions and nodes carry an `UNREACHED` entry.
    """
    library = {f.signature.name: f for f in meta_graph.graph_def.library.function}
    nodes = {n.name: n for n in meta_graph.graph_def.node}
    reach = Reach(
        meta_graph=meta_graph,
        library=library,
        nodes=nodes,
        functions={name: set() for name in library},
        top={name: set() for name in nodes},
    )
    calls = _calls(library)
    for entry, function in _object_entries(meta_graph):
        _spread(entry, (), (function,), reach, calls)
    for entry, node in _graph_entries(meta_graph):
        _spread(entry, (node,), (), reach, calls)
    gradients = [g.gradient_func for g in meta_graph.graph_def.library.gradient]
    gradients += [g.gradient_func for g in meta_graph.graph_def.library.registered_gradients]
    for name in gradients:
        _spread(Entry(EntryKind.GRADIENT, name), (), (name,), reach, calls)
    unreached = Entry(EntryKind.UNREACHED, "")
    for name in [n for n, entries in reach.top.items() if not entries]:
        _spread(unreached, (name,), (), reach, calls, skip_reached=True)
    for name in [f for f, entries in reach.functions.items() if not entries]:
        _spread(unreached, (), (name,), reach, calls, skip_reached=True)
    return reach
