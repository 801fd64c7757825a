"""Who calls which library function, and with which attribute bindings.

A node calls a function as its op (a direct call) or through a function-valued attribute
(`PartitionedCall.f`, `If`/`While`/`Case` branches and bodies, ...); a function-valued
attribute may itself be a placeholder the caller binds. The walk starts from the functions
and top-level nodes that can run without a caller binding anything, carries each caller's
binding into its callees (`attr_binding`), and records every distinct binding a function is
reached with, so that the scanner judges attribute-dependent ops once per binding.

Each function is read once; afterwards only its call sites are revisited, once per
distinct binding, and only placeholder names the callee uses make bindings distinct, so a
model without placeholders (every model TensorFlow writes) costs one pass. Past
`MAX_BINDINGS` distinct bindings of one function, the rest are not followed one by one:
every function is then also judged with no binding at all, where every placeholder is
unresolvable, which flags whatever depends on one; and the functions whose bindings were
cut count as calling every function (a binding not followed may name any callee).
"""

from __future__ import annotations

import collections
import dataclasses
import graphlib
from collections.abc import Iterable, Mapping

from tensorflow.core.framework import function_pb2, node_def_pb2

from reusable_savedmodel.interface._errors import HandleError
from reusable_savedmodel.interface.scanner import _attr_binding as attr_binding
from reusable_savedmodel.interface.scanner._attr_binding import EMPTY, AttrValue, Env

#: Where top-level graph nodes are reported (functions are reported by name).
TOP_LEVEL = "<graph>"
#: Distinct bindings of one function judged one by one (see the module docstring).
MAX_BINDINGS = 16


@dataclasses.dataclass(frozen=True)
class Call:
    """One function a node calls, and the attribute maps that may bind its placeholders."""

    callee: str
    sources: tuple[Mapping[str, AttrValue], ...]


def _node_calls(node: node_def_pb2.NodeDef, library: Mapping[str, object], env: Env) -> list[Call]:
    """The functions `node` calls when its function is bound by `env` (unbound ones: none)."""
    calls = [Call(node.op, (node.attr,))] if node.op in library else []
    for value in node.attr.values():
        if value.WhichOneof("value") == "placeholder":
            value = env.get(value.placeholder, value)  # unbound: TensorFlow calls nothing
        kind = value.WhichOneof("value")
        if kind == "func":
            calls.append(Call(value.func.name, (value.func.attr, node.attr)))
        elif kind == "list":
            calls += [Call(f.name, (f.attr, node.attr)) for f in value.list.func]
    return [c for c in calls if c.callee in library]


def _read(nodes: Iterable[node_def_pb2.NodeDef], library: Mapping[str, object]) -> tuple[list[node_def_pb2.NodeDef], set[str]]:
    """One pass over a graph's nodes: those that may call a function, and the placeholder names used."""
    sites, names = [], set()
    for node in nodes:
        calls = node.op in library
        for value in node.attr.values():
            kind = value.WhichOneof("value")
            if kind == "placeholder" or kind == "func" or (kind == "list" and value.list.func):
                calls = True
                names |= attr_binding.placeholder_names((value,))
        if calls:
            sites.append(node)
    return sites, names


@dataclasses.dataclass
class CallGraph:
    """The calls among one meta graph's library functions and top-level nodes.

    Attributes:
      library: Function name -> its definition.
      bindings: Function name -> the distinct bindings it is reached with (at least one).
      callees: Function name -> the functions it calls.
      top_callees: Top-level node name -> the functions it calls.
      callers: Function name -> (graph, node) for every node calling it (graph: a function
        or `TOP_LEVEL`).
      static_callees: Function name -> the functions it calls by name (no placeholder).
      overflowed: The functions reached with more than `MAX_BINDINGS` distinct bindings.
    """

    library: dict[str, function_pb2.FunctionDef]
    bindings: dict[str, list[Env]] = dataclasses.field(default_factory=dict)
    callees: dict[str, set[str]] = dataclasses.field(default_factory=dict)
    top_callees: dict[str, set[str]] = dataclasses.field(default_factory=dict)
    callers: dict[str, list[tuple[str, node_def_pb2.NodeDef]]] = dataclasses.field(
        default_factory=lambda: collections.defaultdict(list)
    )

    def __post_init__(self) -> None:
        self._keys: dict[str, set[attr_binding.EnvKey]] = {name: set() for name in self.library}
        self._sites: dict[str, list[node_def_pb2.NodeDef]] = {}
        self._wanted: dict[str, set[str]] = {}
        self.static_callees: dict[str, set[str]] = {}
        for name, definition in self.library.items():
            self._sites[name], self._wanted[name] = _read(definition.node_def, self.library)
            self.static_callees[name] = {
                c.callee for n in self._sites[name] for c in _node_calls(n, self.library, EMPTY)
            }
            self.bindings[name] = []
            self.callees[name] = set()
        self._pending: collections.deque[tuple[str, Env]] = collections.deque()
        self._seen_calls: set[tuple[str, str, str]] = set()
        self.overflowed: set[str] = set()

    def raise_on_cycle(self, label: str) -> None:
        """Raises `HandleError` if library functions call each other in a cycle.

        The calls counted are those TensorFlow's loader orders the library by (it refuses a
        cycle with a plain ValueError): direct calls and function-valued attributes.

        Args:
          label: How to name the model in the message.
        """
        try:
            graphlib.TopologicalSorter(self.static_callees).prepare()
        except graphlib.CycleError as error:
            cycle = list(error.args[1])
            shown = " -> ".join(cycle[:6]) + (" -> ..." if len(cycle) > 6 else "")
            raise HandleError(
                f"{label}: expected a function library without call cycles (TensorFlow cannot "
                f"load one), found functions calling each other in a cycle: {shown}."
            ) from None

    def enter(self, function: str, env: Env = EMPTY, *, force: bool = False) -> None:
        """Queues `function` to be walked with `env` (cut to the names it uses), once per binding."""
        env = {n: v for n, v in env.items() if n in self._wanted[function]}
        key = attr_binding.key(env)
        if key in self._keys[function]:
            return
        if len(self._keys[function]) >= MAX_BINDINGS and not force:
            self.overflowed.add(function)
            return
        self._keys[function].add(key)
        self.bindings[function].append(env)
        self._pending.append((function, env))

    def enter_top_level(self, nodes: Iterable[node_def_pb2.NodeDef]) -> None:
        """Walks the calls of top-level nodes (they bind nothing: no placeholder resolves)."""
        nodes = list(nodes)
        self.top_callees = {node.name: set() for node in nodes}
        for node in _read(nodes, self.library)[0]:
            calls = _node_calls(node, self.library, EMPTY)
            self.top_callees[node.name] = {c.callee for c in calls}
            self._follow(TOP_LEVEL, node, calls, EMPTY)

    def run(self) -> None:
        """Walks everything queued, then every function nothing reached, with no binding."""
        self._drain()
        for name in self.library:
            if not self.bindings[name]:
                self.enter(name)
                self._drain()
        if self.overflowed:
            for name in self.library:
                self.enter(name, force=True)
            self._drain()

    def _drain(self) -> None:
        while self._pending:
            function, env = self._pending.popleft()
            for node in self._sites[function]:
                calls = _node_calls(node, self.library, env)
                self.callees[function].update(c.callee for c in calls)
                self._follow(function, node, calls, env)

    def _follow(self, graph: str, node: node_def_pb2.NodeDef, calls: list[Call], env: Env) -> None:
        for call in calls:
            if (call.callee, graph, node.name) not in self._seen_calls:
                self._seen_calls.add((call.callee, graph, node.name))
                self.callers[call.callee].append((graph, node))
            wanted = self._wanted[call.callee]
            for source in call.sources:
                self.enter(call.callee, attr_binding.bind(source, env, wanted))
