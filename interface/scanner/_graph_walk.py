"""Which entry points of a SavedModel reach each function and top-level node.

An entry point is something that runs a model's graph: its `__call__`, a named callable or
other saved function, a signature, an initializer (resource creation and initialization,
the TF1 main op, table initializers, and, with no init op, TF1's local variables), the
checkpoint restore or save path. The walk starts from what the object graph, the
signatures, the collections and the `saver_def` name, and follows data and control inputs
of top-level nodes and every function a node calls (`call_graph`, which also carries the
attribute bindings). Whatever no entry reaches is still scanned, attributed to "unreached".

The entries are propagated once over the strongly connected components of the graph
(top-level nodes and functions together), as bit sets: the cost is linear in the graph's
size. A call cycle among library functions is an error: TensorFlow cannot load one.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
from collections.abc import Iterator, Sequence
from typing import Any

from google.protobuf.message import DecodeError
from tensorflow.core.framework import function_pb2, node_def_pb2, variable_pb2
from tensorflow.core.protobuf import meta_graph_pb2

from reusable_savedmodel.interface._errors import HandleError
from reusable_savedmodel.interface.scanner._attr_binding import EMPTY, Env
from reusable_savedmodel.interface.scanner._call_graph import TOP_LEVEL, CallGraph

__all__ = ["ASSET_FED", "INIT_OP", "TOP_LEVEL", "Entry", "EntryKind", "Reach", "components", "node_name", "walk"]

# The SavedModel signature key of the init op (TF1 main op, TF2 table initializers).
_INIT_OP_SIGNATURE = "__saved_model_init_op"
# TF1 collections whose ops the loader runs after restoring.
_INIT_COLLECTIONS = ("saved_model_main_op", "legacy_init_op", "table_initializer")
# TF1 variables whose initializers the loader runs when there is no init op.
_LOCAL_VARIABLES = "local_variables"
# Children of a restored resource that the loader calls, and the one called when it dies.
_RESOURCE_FUNCTIONS = ("_create_resource", "_initialize", "_destroy_resource")
# The most names of an object's path an entry's label shows.
_LABEL_DEPTH = 12


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



#: The TF2 init op (a signature) and TF1 main op.
INIT_OP = Entry(EntryKind.INITIALIZER, "init op")
#: The entries run while the loader feeds the real asset paths into TF1's asset tensors.
ASSET_FED = frozenset(
    {INIT_OP, *(Entry(EntryKind.INITIALIZER, k) for k in (*_INIT_COLLECTIONS, _LOCAL_VARIABLES))}
)


def node_name(tensor: str) -> str:
    """`^a`, `a:0` and `a:out:0` all name node `a`."""
    return tensor.lstrip("^").split(":")[0]


@dataclasses.dataclass(frozen=True)
class _Place:
    """Where an object sits on its first path from the root (found by breadth-first search)."""

    parent: int | None
    name: str  # its local name ("" for the root)
    depth: int
    head: tuple[str, ...]  # the path's first two names


def _places(meta_graph: meta_graph_pb2.MetaGraphDef) -> list[_Place]:
    """Each object's place; objects the root does not reach get a place of their own."""
    objects = meta_graph.object_graph_def.nodes
    places: dict[int, _Place] = {0: _Place(None, "", 0, ())} if objects else {}
    queue = collections.deque([0] if objects else [])
    while queue:
        current = queue.popleft()
        here = places[current]
        for child in objects[current].children:
            if child.node_id not in places and child.node_id < len(objects):
                head = (*here.head, child.local_name)[:2]
                places[child.node_id] = _Place(current, child.local_name, here.depth + 1, head)
                queue.append(child.node_id)
    lost = (_Place(None, f"<object {i}>", 1, (f"<object {i}>",)) for i in range(len(objects)))
    return [places.get(i) or place for i, place in enumerate(lost)]


def _label(places: list[_Place], index: int) -> str:
    """The dotted path of an object, at most `_LABEL_DEPTH` names (deep paths are cut at the top)."""
    place: _Place | None = places[index]
    # The traces of a saved function are its children `trace_0`, ...: report the function.
    while place is not None and place.depth and place.name.startswith("trace_"):
        place = None if place.parent is None else places[place.parent]
    names = []
    while place is not None and place.depth and len(names) < _LABEL_DEPTH:
        names.append(place.name)
        place = None if place.parent is None else places[place.parent]
    cut = "<...>." if place is not None and place.depth else ""
    return cut + ".".join(reversed(names))


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
    places = _places(meta_graph)
    saver_roles = {}
    for obj in objects:
        for saveable in obj.saveable_objects.values():
            saver_roles[saveable.save_function] = EntryKind.SAVE
            saver_roles[saveable.restore_function] = EntryKind.RESTORE
    for index, obj in enumerate(objects):
        names = _function_names(obj)
        if not names:
            continue
        place, label = places[index], _label(places, index)
        owner = objects[place.parent] if place.parent is not None else None
        if index in saver_roles:
            entry = Entry(saver_roles[index], label)
        elif place.name in _RESOURCE_FUNCTIONS and owner is not None and owner.WhichOneof("kind") == "resource":
            entry = Entry(EntryKind.INITIALIZER, label)
        elif label == "__call__":
            entry = Entry(EntryKind.CALL, "")
        elif label.endswith(".__call__"):
            entry = Entry(EntryKind.CALLABLE, label[: -len(".__call__")])
        elif place.head[:1] == ("signatures",) and place.depth >= 2:
            entry = Entry(EntryKind.SIGNATURE, place.head[1])
        else:
            entry = Entry(EntryKind.FUNCTION, label)
        for name in names:
            yield entry, name


def _graph_entries(meta_graph: meta_graph_pb2.MetaGraphDef, label: str) -> Iterator[tuple[Entry, str]]:
    """(entry, top-level node name) for signatures, init ops, local variables and the saver."""
    for key, signature in meta_graph.signature_def.items():
        entry = INIT_OP if key == _INIT_OP_SIGNATURE else Entry(EntryKind.SIGNATURE, key)
        for tensor in [*signature.outputs.values(), *signature.inputs.values()]:
            if tensor.name:
                yield entry, node_name(tensor.name)
    for key in _INIT_COLLECTIONS:
        if key in meta_graph.collection_def:
            for name in meta_graph.collection_def[key].node_list.value:
                yield Entry(EntryKind.INITIALIZER, key), node_name(name)
    if _LOCAL_VARIABLES in meta_graph.collection_def:
        # With no init op, TensorFlow's TF1 loader runs these variables' initializers.
        for raw in meta_graph.collection_def[_LOCAL_VARIABLES].bytes_list.value:
            variable = variable_pb2.VariableDef()
            try:
                variable.ParseFromString(raw)
            except DecodeError as error:
                raise HandleError(
                    f"{label}: expected VariableDefs in the {_LOCAL_VARIABLES!r} collection, "
                    f"found an unreadable entry ({error})."
                ) from error
            for name in (variable.initializer_name, variable.initial_value_name):
                if name:
                    yield Entry(EntryKind.INITIALIZER, _LOCAL_VARIABLES), node_name(name)
    saver = meta_graph.saver_def
    if saver.save_tensor_name:
        yield Entry(EntryKind.SAVE, ""), node_name(saver.save_tensor_name)
    if saver.restore_op_name:
        yield Entry(EntryKind.RESTORE, ""), node_name(saver.restore_op_name)


def components(successors: Sequence[Sequence[int]]) -> list[list[int]]:
    """The strongly connected components of a graph, each after every one it reaches.

    Tarjan's algorithm with an explicit stack, so that deep graphs need no recursion.

    Args:
      successors: Vertex -> the vertices it has an edge to (vertices are 0..n-1).

    Returns:
      The components; a component comes after every component reachable from it.
    """
    count = len(successors)
    index, low, on_stack = [-1] * count, [0] * count, [False] * count
    stack: list[int] = []
    found: list[list[int]] = []
    counter = 0
    for root in range(count):
        if index[root] >= 0:
            continue
        work = [(root, 0)]
        while work:
            vertex, position = work.pop()
            if position == 0:
                index[vertex] = low[vertex] = counter
                counter += 1
                stack.append(vertex)
                on_stack[vertex] = True
            edges = successors[vertex]
            while position < len(edges):
                target = edges[position]
                position += 1
                if index[target] < 0:
                    work += [(vertex, position), (target, 0)]
                    break
                if on_stack[target]:
                    low[vertex] = min(low[vertex], index[target])
            else:  # every edge done: close the vertex
                if low[vertex] == index[vertex]:
                    component = []
                    while not component or component[-1] != vertex:
                        member = stack.pop()
                        on_stack[member] = False
                        component.append(member)
                    found.append(component)
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[vertex])
    return found


@dataclasses.dataclass
class Reach:
    """The entry points reaching each function and top-level node of one meta graph.

    Attributes:
      meta_graph: The meta graph.
      nodes: Top-level node name -> its definition.
      calls: The call graph, with every function's bindings and callers.
      entries: Every entry point, in the order of the bits of `masks`.
      masks: Vertex -> bit set of the entries reaching it (top-level nodes first, in
        `nodes` order, then functions in `calls.library` order, then, if a function's
        bindings were cut, one vertex standing for "any function").
    """

    meta_graph: meta_graph_pb2.MetaGraphDef
    nodes: dict[str, node_def_pb2.NodeDef]
    calls: CallGraph
    entries: list[Entry]
    masks: list[int]

    def __post_init__(self) -> None:
        self._vertex = {name: i for i, name in enumerate(self.nodes)}
        self._vertex.update({(f,): len(self.nodes) + i for i, f in enumerate(self.calls.library)})
        self._decoded: dict[int, frozenset[Entry]] = {}
        self._function_nodes: dict[str, dict[str, node_def_pb2.NodeDef]] = {}

    @property
    def library(self) -> dict[str, function_pb2.FunctionDef]:
        """Function name -> its definition."""
        return self.calls.library

    def reached_by(self, graph: str, node: str) -> frozenset[Entry]:
        """The entries reaching a node (for a function's node: those reaching the function).

        Args:
          graph: A function name, or `TOP_LEVEL`.
          node: The node's name.
        """
        mask = self.masks[self._vertex[node if graph == TOP_LEVEL else (graph,)]]
        if mask not in self._decoded:
            found, rest = set(), mask
            while rest:  # one step per entry that reaches it, not per entry of the model
                low = rest & -rest
                found.add(self.entries[low.bit_length() - 1])
                rest ^= low
            self._decoded[mask] = frozenset(found or {Entry(EntryKind.UNREACHED, "")})
        return self._decoded[mask]

    def bindings(self, graph: str) -> list[Env]:
        """The distinct bindings a function is reached with (the top level binds nothing)."""
        return [EMPTY] if graph == TOP_LEVEL else self.calls.bindings[graph]

    def function_nodes(self, function: str) -> dict[str, node_def_pb2.NodeDef]:
        """A function's nodes by name (indexed once)."""
        if function not in self._function_nodes:
            self._function_nodes[function] = {n.name: n for n in self.library[function].node_def}
        return self._function_nodes[function]


def walk(meta_graph: meta_graph_pb2.MetaGraphDef, label: str = "SavedModel") -> Reach:
    """Finds the entry points reaching every function and top-level node.

    Args:
      meta_graph: One meta graph of a SavedModel.
      label: How to name the model in messages.

    Returns:
      The `Reach`; unreached functions and nodes report an `UNREACHED` entry.

    Raises:
      HandleError: for a call cycle among library functions, or an unreadable
        `local_variables` collection.
    """
    library = {f.signature.name: f for f in meta_graph.graph_def.library.function}
    nodes = {n.name: n for n in meta_graph.graph_def.node}
    calls = CallGraph(library)
    roots: list[tuple[Entry, int]] = []
    top = len(nodes)
    function_vertex = {name: top + i for i, name in enumerate(library)}
    node_vertex = {name: i for i, name in enumerate(nodes)}
    for entry, function in _object_entries(meta_graph):
        if function in library:
            roots.append((entry, function_vertex[function]))
            calls.enter(function)
    gradients = [g.gradient_func for g in meta_graph.graph_def.library.gradient]
    gradients += [g.gradient_func for g in meta_graph.graph_def.library.registered_gradients]
    for name in gradients:
        if name in library:
            roots.append((Entry(EntryKind.GRADIENT, name), function_vertex[name]))
            calls.enter(name)
    roots += [(e, node_vertex[n]) for e, n in _graph_entries(meta_graph, label) if n in node_vertex]
    calls.enter_top_level(nodes.values())
    calls.raise_on_cycle(label)
    calls.run()
    successors: list[list[int]] = [
        [node_vertex[i] for i in map(node_name, node.input) if i in node_vertex]
        + [function_vertex[f] for f in calls.top_callees[name]]
        for name, node in nodes.items()
    ]
    successors += [[function_vertex[f] for f in calls.callees[name]] for name in library]
    if calls.overflowed:  # bindings not followed may name any callee: one vertex for "any"
        for name in calls.overflowed:
            successors[function_vertex[name]].append(len(successors))
        successors.append(list(function_vertex.values()))
    entries = list(dict.fromkeys(e for e, _ in roots))
    bit = {e: 1 << i for i, e in enumerate(entries)}
    masks = [0] * len(successors)
    for entry, vertex in roots:
        masks[vertex] |= bit[entry]
    for component in reversed(components(successors)):  # callers before callees
        mask = 0
        for vertex in component:
            mask |= masks[vertex]
        if mask:
            for vertex in component:
                masks[vertex] = mask
                for target in successors[vertex]:
                    masks[target] |= mask
    return Reach(meta_graph=meta_graph, nodes=nodes, calls=calls, entries=entries, masks=masks)
