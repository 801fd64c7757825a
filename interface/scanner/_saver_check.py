"""Where file I/O is legitimate: TensorFlow's own saver, and tables read from the model's assets.

Every SavedModel writes and reads its checkpoint with `SaveV2`, `MergeV2Checkpoints` and
`RestoreV2`, and text-file lookup tables read their vocabulary with
`InitializeTableFromTextFileV2`. `saver_def` and the graph are written by the model's
author, so nothing they *say* is trusted; the exemption holds only for the structure
TensorFlow's exporters produce, checked here:

- a checkpoint op sits in the saver's own graph: in TF2 the one function called by the
  `saver_def`'s save (or restore) node, a plain call whose first input is the filename
  placeholder; in TF1 the top-level graph;
- it is reached *only* from that save (or restore) entry point: never from an initializer,
  `__call__`, a named callable, a signature or anything unreached;
- its path operand comes straight from the saver's filename input (through the string ops
  the saver uses to name shards; a restore reads exactly that filename);
- a TF1 restore op depends on nothing the saver did not create, except variables and tables;
- the default of the TF1 filename placeholder (used when the loader feeds nothing) names no
  absolute path and no `..`;
- a lookup table's vocabulary file is bound to one of the model's assets at every call; a
  TF1 asset tensor holds the real path only while the loader runs the init op (it feeds the
  path in), so its reader must be reached from nothing else: anywhere else it reads the path
  stored in the graph, which the author chose.

Constants are judged by their effective values (`attr_binding`): a placeholder bound by a
caller is resolved, an unresolvable one is not a path the exemption accepts.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable

from tensorflow.core.framework import node_def_pb2

from reusable_savedmodel.interface.scanner._attr_binding import Env, effective
from reusable_savedmodel.interface.scanner._graph_walk import (
    ASSET_FED,
    TOP_LEVEL,
    Entry,
    EntryKind,
    Reach,
    node_name,
)
from reusable_savedmodel.interface.scanner._saved_model_files import asset_file_defs

#: Checkpoint op -> (the entry that may run it, the indices of its path operands).
CHECKPOINT_OPS = {
    "SaveV2": (EntryKind.SAVE, (0,)),
    "MergeV2Checkpoints": (EntryKind.SAVE, (0, 1)),
    "RestoreV2": (EntryKind.RESTORE, (0,)),
}
#: Ops reading a vocabulary file -> the index of the filename operand.
ASSET_READERS = {"InitializeTableFromTextFile": 1, "InitializeTableFromTextFileV2": 1}

# The ops TensorFlow's saver derives shard and temporary names with.
_SAVE_PATH_OPS = frozenset(
    {"Identity", "StringJoin", "ShardedFilename", "Select", "SelectV2", "StaticRegexFullMatch",
     "Const", "Pack"}
)
_RESTORE_PATH_OPS = frozenset({"Identity"})
_CALL_OPS = ("StatefulPartitionedCall", "PartitionedCall")
_FILENAME_OPS = ("Placeholder", "PlaceholderWithDefault")
# What TF1's filename placeholder forwards its default through.
_DEFAULT_OPS = frozenset({"PlaceholderWithDefault", "Identity"})


def _data_inputs(node: node_def_pb2.NodeDef) -> list[str]:
    return [i for i in node.input if not i.startswith("^")]


def _escaping_constant(node: node_def_pb2.NodeDef, envs: list[Env]) -> bool:
    """Whether a string constant could move a path elsewhere (absolute, `..`, unresolvable, not a tensor)."""
    return any(
        v is None or v.WhichOneof("value") != "tensor" or any(s.startswith(b"/") or b".." in s for s in v.tensor.string_val)
        for v in effective(node, "value", envs)
    )


def _derives(
    nodes: dict[str, node_def_pb2.NodeDef],
    start: str,
    terminal: str,
    through: frozenset[str],
    envs: list[Env],
    memo: dict[str, bool | None],
) -> bool | None:
    """Whether a tensor derives from `terminal` through `through` ops only.

    Returns True (it does), False (only through allowed ops, but not from `terminal`) or
    None (through another op, an escaping constant, a missing node or a loop). Iterative,
    and memoized per node in `memo`, so that many checkpoint ops sharing one path subgraph
    walk it once.
    """
    stack, on_path = [(start, False)], set()
    while stack:
        name, finished = stack.pop()
        if finished:
            inputs = [node_name(i) for i in _data_inputs(nodes[name])]
            found = [None if i in on_path else memo[i] for i in inputs]
            memo[name] = None if None in found else any(found)
            on_path.discard(name)
            continue
        if name in memo:
            continue
        node = nodes.get(name)
        if name == terminal:
            memo[name] = True
        elif node is None or node.op not in through or (node.op == "Const" and _escaping_constant(node, envs)):
            memo[name] = None
        else:
            on_path.add(name)
            stack.append((name, True))
            stack += [(i, False) for i in map(node_name, _data_inputs(node)) if i not in on_path]
    return memo[start]


def _all_hold(
    start: Hashable,
    expand: Callable[[Hashable], tuple[bool, Iterable[Hashable]]],
    known: dict[Hashable, bool],
) -> bool:
    """Whether a condition holds at `start` and at everything it depends on, recursively.

    Iterative (deep call chains need no recursion); a dependency cycle counts as failing.

    Args:
      start: Where to check.
      expand: Item -> (whether it holds by itself, the items it depends on); memoized by
        the caller, since an item is expanded again when its dependencies are done.
      known: Verdicts from earlier checks, extended here, so work is not repeated.
    """
    stack: list[Hashable] = [start]
    path: set[Hashable] = set()  # items waiting for their dependencies: the current chain
    while stack:
        item = stack.pop()
        if item in known:
            continue
        holds, needs = expand(item)
        unknown = [n for n in needs if n not in known]
        if not holds or any(known.get(n) is False for n in needs) or any(n in path for n in unknown):
            for failed in (*path, item):  # a failure fails everything that depends on it
                known[failed] = False
            return False
        if unknown:
            path.add(item)
            stack += [item, *unknown]  # back to `item` once its dependencies are known
            continue
        known[item] = True
        path.discard(item)
    return known[start]


def _plain_call(node: node_def_pb2.NodeDef | None, filename: str) -> str | None:
    """The function a saver node calls, if it is a plain call whose first input is the filename."""
    if node is None or node.op not in _CALL_OPS:
        return None
    functions = [(k, v) for k, v in node.attr.items() if v.func.name or v.list.func]
    if len(functions) != 1 or functions[0][0] != "f" or functions[0][1].list.func:
        return None
    inputs = list(node.input)
    if not inputs or node_name(inputs[0]) != filename or any(i.startswith("^") for i in inputs):
        return None
    return functions[0][1].func.name


class SaverCheck:
    """Decides, for one meta graph, which checkpoint and vocabulary reads are legitimate.

    Args:
      reach: The meta graph's entry points (see `graph_walk.walk`).
    """

    def __init__(self, reach: Reach):
        self.reach = reach
        saver = reach.meta_graph.saver_def
        filename = node_name(saver.filename_tensor_name)
        node = reach.nodes.get(filename)
        self.filename = filename if node is not None and node.op in _FILENAME_OPS else None
        self.save_node = reach.nodes.get(node_name(saver.save_tensor_name))
        self.restore_node = reach.nodes.get(node_name(saver.restore_op_name))
        self.functions = {
            EntryKind.SAVE: _plain_call(self.save_node, self.filename or ""),
            EntryKind.RESTORE: _plain_call(self.restore_node, self.filename or ""),
        }
        objects = reach.meta_graph.object_graph_def
        self._asset_objects = {
            i for i, o in enumerate(objects.nodes) if o.WhichOneof("kind") == "asset"
        }
        self._asset_tensors = {
            node_name(a.tensor_info.name) for a in asset_file_defs(reach.meta_graph)
        }
        self._assigns: dict[str, list[node_def_pb2.NodeDef]] | None = None
        self._asset_verdicts: dict[Hashable, bool] = {}
        self._expanded: dict[Hashable, tuple[bool, list[Hashable]]] = {}
        self._arguments: dict[str, dict[str, int]] = {}
        self._derivations: dict[tuple[str, EntryKind], dict[str, bool | None]] = {}
        self._identity_ends: dict[str, dict[str, str | None]] = {}

    def _default_problem(self) -> str | None:
        """Why the TF1 filename placeholder's default could name a path elsewhere, or None."""
        name, seen = self.filename, set()
        while name is not None and name not in seen:
            seen.add(name)
            node = self.reach.nodes.get(name)
            if node is None:
                break
            if node.op == "Placeholder":
                return None
            if node.op == "Const":
                if _escaping_constant(node, self.reach.bindings(TOP_LEVEL)):
                    return "the saver's filename placeholder defaults to an absolute path or one with '..'"
                return None
            inputs = _data_inputs(node)
            name = node_name(inputs[0]) if node.op in _DEFAULT_OPS and inputs else None
        return "the saver's filename placeholder has a default that is not a constant path"

    def checkpoint_problem(self, graph: str, node: node_def_pb2.NodeDef) -> str | None:
        """Why a checkpoint op is not the saver's own, or None if it is.

        Args:
          graph: The function holding `node`, or `TOP_LEVEL`.
          node: A `SaveV2`, `MergeV2Checkpoints` or `RestoreV2` node.
        """
        kind, operands = CHECKPOINT_OPS[node.op]
        others = sorted(str(e) for e in self.reach.reached_by(graph, node.name) if e != Entry(kind, ""))
        if others:
            return f"reached from {', '.join(others)}, not only from the saver's {kind.value} path"
        if self.filename is None:
            return "the saver_def names no filename placeholder"
        default = self._default_problem()
        if default:
            return default
        if graph == TOP_LEVEL:
            nodes, terminal = self.reach.nodes, self.filename
        elif graph == self.functions[kind]:
            nodes = self.reach.function_nodes(graph)
            terminal = self.reach.library[graph].signature.input_arg[0].name
        else:
            return f"sits outside the function the saver's {kind.value} node calls"
        through = _RESTORE_PATH_OPS if kind == EntryKind.RESTORE else _SAVE_PATH_OPS
        inputs = _data_inputs(node)
        envs = self.reach.bindings(graph)
        memo = self._derivations.setdefault((graph, kind), {})
        for index in operands:
            if index >= len(inputs) or _derives(nodes, node_name(inputs[index]), terminal, through, envs, memo) is not True:
                return "its path does not come straight from the saver's filename input"
        return None

    def restore_problems(self) -> list[tuple[node_def_pb2.NodeDef, str]]:
        """Inputs of the restore op that the saver did not create, with why each is flagged."""
        restore = self.restore_node
        if restore is None:
            return []
        if self.functions[EntryKind.RESTORE] is not None:  # TF2: a call of the restore function
            suspects = [self.reach.nodes.get(node_name(i)) for i in restore.input[1:]]
        else:  # TF1: the saver's name scope
            scope = restore.name.rpartition("/")[0] + "/"
            suspects, seen, stack = [], set(), [restore.name]
            while stack:
                name = stack.pop()
                node = self.reach.nodes.get(name)
                if name in seen or node is None:
                    continue
                seen.add(name)
                if name.startswith(scope) or name == restore.name:
                    stack += [node_name(i) for i in node.input]
                else:
                    suspects.append(node)
        return [
            (n, f"the restore op depends on {n.name} ({n.op}), which the saver did not create")
            for n in suspects
            if n is not None and n.input  # variables and tables it restores have no inputs
        ]

    def asset_problem(self, graph: str, node: node_def_pb2.NodeDef) -> str | None:
        """Why a vocabulary-file read is not bound to one of the model's assets, or None."""
        ref = _data_inputs(node)[ASSET_READERS[node.op]]
        start = ("top", node_name(ref), node.name) if graph == TOP_LEVEL else self._in_function(graph, ref)
        if start is not None and _all_hold(start, self._expand, self._asset_verdicts):
            return None
        return "its file is not one of the model's assets, or is read where the loader does not feed the asset's path"

    def _in_function(self, graph: str, ref: str) -> tuple[str, str, int] | None:
        """The argument of `graph` that `ref` is (through identities), or None."""
        if graph not in self._arguments:
            self._arguments[graph] = {a.name: i for i, a in enumerate(self.reach.library[graph].signature.input_arg)}
        arguments = self._arguments[graph]
        end = self._through_identities(graph, node_name(ref), arguments.keys())
        return ("arg", graph, arguments[end]) if end in arguments else None

    def _through_identities(self, graph: str, name: str, stops: Iterable[str]) -> str | None:
        """Where a tensor comes from once `Identity` nodes are passed (None: a loop or nothing).

        Memoized per node, so that many readers of one long chain walk it once.
        """
        nodes = self.reach.nodes if graph == TOP_LEVEL else self.reach.function_nodes(graph)
        memo = self._identity_ends.setdefault(graph, {})
        path: list[str] = []
        seen: set[str] = set()
        end: str | None = None
        while name not in memo:
            node = nodes.get(name)
            inputs = _data_inputs(node) if node is not None else []
            if name in stops or node is None or node.op != "Identity" or len(inputs) != 1:
                end = name
                break
            if name in seen:  # an identity loop leads nowhere
                break
            seen.add(name)
            path.append(name)
            name = node_name(inputs[0])
        else:
            end = memo[name]
        for passed in path:
            memo[passed] = end
        return end

    def _expand(self, item: Hashable) -> tuple[bool, list[Hashable]]:
        if item not in self._expanded:
            kind, name, detail = item  # type: ignore[misc]
            self._expanded[item] = (
                self._expand_argument(name, detail) if kind == "arg" else self._expand_top(name, detail)
            )
        return self._expanded[item]

    def _expand_argument(self, function: str, index: int) -> tuple[bool, list[Hashable]]:
        """Every binding of a function's argument: saved captures and each caller's operand."""
        needs: list[Hashable] = []
        saved = self.reach.meta_graph.object_graph_def.concrete_functions
        holds = function in saved or bool(self.reach.calls.callers[function])
        if function in saved:
            bound = list(saved[function].bound_inputs)
            offset = len(self.reach.library[function].signature.input_arg) - len(bound)
            holds = index >= offset and bound[index - offset] in self._asset_objects
        for graph, caller in self.reach.calls.callers[function]:
            inputs = _data_inputs(caller)
            if caller.op not in (*_CALL_OPS, function) or index >= len(inputs):
                return False, []
            need = ("top", node_name(inputs[index]), caller.name) if graph == TOP_LEVEL else self._in_function(graph, inputs[index])
            if need is None:
                return False, []
            needs.append(need)
        return holds, needs

    def _expand_top(self, name: str, consumer: str) -> tuple[bool, list[Hashable]]:
        """A top-level tensor read by `consumer`: an asset path the loader feeds (maybe via a variable)."""
        end = self._through_identities(TOP_LEVEL, name, self._asset_tensors)
        if end in self._asset_tensors:
            # The loader feeds the real path only into the init op's run.
            return self.reach.reached_by(TOP_LEVEL, consumer) <= ASSET_FED, []
        node = self.reach.nodes.get(end or "")
        if node is None or not node.input:
            return False, []
        if node.op == "ReadVariableOp":  # TF2 keeps asset paths in a variable
            assigns = self._variable_assigns().get(node_name(node.input[0]), [])
            return bool(assigns), [("top", node_name(a.input[1]), a.name) for a in assigns]
        return False, []

    def _variable_assigns(self) -> dict[str, list[node_def_pb2.NodeDef]]:
        """Top-level variable -> the `AssignVariableOp`s writing it (indexed once)."""
        if self._assigns is None:
            self._assigns = {}
            for n in self.reach.nodes.values():
                if n.op == "AssignVariableOp" and len(n.input) > 1:
                    self._assigns.setdefault(node_name(n.input[0]), []).append(n)
        return self._assigns
