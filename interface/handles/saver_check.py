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
- a lookup table's vocabulary file is bound to one of the model's assets at every call.
"""

from __future__ import annotations

from tensorflow.core.framework import node_def_pb2

from reusable_savedmodel.interface.handles.graph_walk import (
    TOP_LEVEL,
    Entry,
    EntryKind,
    Reach,
    node_name,
)
from reusable_savedmodel.interface.handles.saved_model_files import asset_file_defs

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


def _data_inputs(node: node_def_pb2.NodeDef) -> list[str]:
    return [i for i in node.input if not i.startswith("^")]


def _escaping_constant(node: node_def_pb2.NodeDef) -> bool:
    """Whether a string constant could move a path elsewhere (absolute, or a `..` segment)."""
    values = node.attr["value"].tensor.string_val if "value" in node.attr else []
    return any(v.startswith(b"/") or b".." in v for v in values)


def _sources(
    nodes: dict[str, node_def_pb2.NodeDef], ref: str, terminals: set[str], through: frozenset[str]
) -> set[str] | None:
    """The terminals a tensor derives from through `through` ops only, or None if through others."""
    found: set[str] = set()
    seen: set[str] = set()
    stack = [node_name(ref)]
    while stack:
        name = stack.pop()
        if name in seen:
            continue
        seen.add(name)
        if name in terminals:
            found.add(name)
            continue
        node = nodes.get(name)
        if node is None or node.op not in through or (node.op == "Const" and _escaping_constant(node)):
            return None
        stack += [node_name(i) for i in _data_inputs(node)]
    return found


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

    def checkpoint_problem(self, graph: str, node: node_def_pb2.NodeDef) -> str | None:
        """Why a checkpoint op is not the saver's own, or None if it is.

        Args:
          graph: The function holding `node`, or `TOP_LEVEL`.
          node: A `SaveV2`, `MergeV2Checkpoints` or `RestoreV2` node.
        """
        kind, operands = CHECKPOINT_OPS[node.op]
        entries = self.reach.top[node.name] if graph == TOP_LEVEL else self.reach.functions[graph]
        others = sorted(str(e) for e in entries if e != Entry(kind, ""))
        if others:
            return f"reached from {', '.join(others)}, not only from the saver's {kind.value} path"
        if self.filename is None:
            return "the saver_def names no filename placeholder"
        if graph == TOP_LEVEL:
            nodes, terminal = self.reach.nodes, self.filename
        elif graph == self.functions[kind]:
            nodes = {n.name: n for n in self.reach.library[graph].node_def}
            terminal = self.reach.library[graph].signature.input_arg[0].name
        else:
            return f"sits outside the function the saver's {kind.value} node calls"
        through = _RESTORE_PATH_OPS if kind == EntryKind.RESTORE else _SAVE_PATH_OPS
        inputs = _data_inputs(node)
        for index in operands:
            if index >= len(inputs) or _sources(nodes, inputs[index], {terminal}, through) != {terminal}:
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
        if graph == TOP_LEVEL:
            ok = self._top_is_asset(ref, set())
        else:
            ok = self._ref_is_asset(graph, ref, set())
        return None if ok else "its file is not one of the model's assets"

    def _ref_is_asset(self, graph: str, ref: str, seen: set[tuple[str, int]]) -> bool:
        definition = self.reach.library[graph]
        args = [a.name for a in definition.signature.input_arg]
        nodes = {n.name: n for n in definition.node_def}
        sources = _sources(nodes, ref, set(args), _RESTORE_PATH_OPS)
        if not sources or len(sources) != 1:
            return False
        return self._arg_is_asset(graph, args.index(sources.pop()), seen)

    def _arg_is_asset(self, function: str, index: int, seen: set[tuple[str, int]]) -> bool:
        """Whether every binding of a function's argument is one of the model's assets."""
        if (function, index) in seen:
            return False
        seen = seen | {(function, index)}
        bindings = []
        saved = self.reach.meta_graph.object_graph_def.concrete_functions
        if function in saved:
            bound = list(saved[function].bound_inputs)
            offset = len(self.reach.library[function].signature.input_arg) - len(bound)
            bindings.append(index >= offset and bound[index - offset] in self._asset_objects)
        for graph, caller in self.reach.calls_into(function):
            inputs = _data_inputs(caller)
            if caller.op not in (*_CALL_OPS, function) or index >= len(inputs):
                bindings.append(False)
            elif graph == TOP_LEVEL:
                bindings.append(self._top_is_asset(inputs[index], set()))
            else:
                bindings.append(self._ref_is_asset(graph, inputs[index], seen))
        return bool(bindings) and all(bindings)

    def _top_is_asset(self, ref: str, seen: set[str]) -> bool:
        """Whether a top-level tensor is an asset path the loader feeds (maybe via a variable)."""
        name = node_name(ref)
        node = self.reach.nodes.get(name)
        if name in self._asset_tensors:
            return True
        if node is None or name in seen:
            return False
        seen = seen | {name}
        if node.op == "Identity":
            return self._top_is_asset(node.input[0], seen)
        if node.op == "ReadVariableOp":  # TF2 keeps asset paths in a variable
            variable = node_name(node.input[0])
            assigns = [
                n for n in self.reach.nodes.values()
                if n.op == "AssignVariableOp" and node_name(n.input[0]) == variable
            ]
            return bool(assigns) and all(self._top_is_asset(a.input[1], seen) for a in assigns)
        return False
