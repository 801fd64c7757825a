"""Hostile SavedModels for the scanner, built at test time: attribute placeholders, TF1 load paths.

Each starts from a model TensorFlow writes with public APIs and edits its protocol buffer the
way an attacker would: an attribute of an allowed op becomes a placeholder that a caller
binds (`AttrValue.placeholder`), or a TF1 collection or constant points somewhere else.
"""

from __future__ import annotations

import sys
from pathlib import Path

import attacks
import tensorflow as tf
from tensorflow.core.framework import attr_value_pb2, function_pb2, node_def_pb2

#: The placeholder name the edited `PrintV2` nodes use.
STREAM = "stream"
_CALLS = ("StatefulPartitionedCall", "PartitionedCall", "If", "StatelessIf")


@tf.function
def _shout(x):
    """A function nothing but its callers reach: it prints (to stderr, until edited)."""
    tf.print("attacker text", output_stream=sys.stderr)
    return x + 1.0


class Printer(tf.Module):
    """`__call__` calls `_shout` twice (two call sites that may bind it differently)."""

    def __init__(self):
        super().__init__()
        self.v = tf.Variable(2.0)

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def __call__(self, x):
        return _shout(x) * self.v + _shout(x)


class ManyPrinter(tf.Module):
    """`__call__` calls `_shout` from `sites` call sites."""

    def __init__(self, sites: int):
        super().__init__()
        self.sites = sites

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def __call__(self, x):
        return tf.add_n([_shout(x) for _ in range(self.sites)])


class BranchPrinter(tf.Module):
    """Prints inside a `tf.cond` branch (an `If` node's `then_branch`)."""

    def __init__(self):
        super().__init__()
        self.v = tf.Variable(2.0)

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def __call__(self, x):
        def loud():
            tf.print("attacker text", output_stream=sys.stderr)
            return x * self.v

        return tf.cond(tf.reduce_sum(x) >= 0.0, loud, lambda: x)


class _PrintingTable(tf.saved_model.experimental.TrackableResource):
    """A resource whose initializer (run by `tf.saved_model.load`) calls `_shout`."""

    def _create_resource(self):
        return tf.raw_ops.HashTableV2(key_dtype=tf.string, value_dtype=tf.int64)

    def _initialize(self):
        _shout(tf.constant(0.0))
        return tf.constant(0)


class InitializerPrinter(tf.Module):
    """Loading it runs `_PrintingTable`'s initializer, so the print runs at load time."""

    def __init__(self):
        super().__init__()
        self.table = _PrintingTable()
        self.v = tf.Variable(2.0)

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
    def __call__(self, x):
        size = tf.raw_ops.LookupTableSizeV2(table_handle=self.table.resource_handle)
        return x * self.v + tf.cast(size, tf.float32)


def _string(value: str) -> attr_value_pb2.AttrValue:
    return attr_value_pb2.AttrValue(s=value.encode())


def _bind(node: node_def_pb2.NodeDef, name: str, value: str | attr_value_pb2.AttrValue) -> None:
    """Binds placeholder `name` of whatever `node` calls: in its own and its functions' attrs."""
    value = _string(value) if isinstance(value, str) else value
    node.attr[name].CopyFrom(value)
    for attr in node.attr.values():
        for function in [attr.func] if attr.WhichOneof("value") == "func" else attr.list.func:
            function.attr[name].CopyFrom(value)


def _printing_functions(library) -> list[function_pb2.FunctionDef]:
    return [f for f in library.function if any(n.op == "PrintV2" for n in f.node_def)]


def placeholder_stream(model: Path, module: tf.Module, streams: list[str], ends: list[str] | None = None) -> Path:
    """Saves `module`, makes its `PrintV2` streams a placeholder, and binds it at each call site.

    Args:
      model: Where to save.
      module: `Printer`, `ManyPrinter`, `BranchPrinter` or `InitializerPrinter`.
      streams: The value each call site binds (in node order; the last one repeats).
      ends: If given, `PrintV2`'s `end` becomes a placeholder too, bound like `streams`
        (so that call sites bind distinct values while printing to the same stream).

    Returns:
      `model`.
    """
    tf.saved_model.save(module, str(model))
    proto = attacks.read_proto(model)
    library = proto.meta_graphs[0].graph_def.library
    printing = {f.signature.name for f in _printing_functions(library)}
    for function in _printing_functions(library):
        for node in function.node_def:
            if node.op == "PrintV2":
                node.attr["output_stream"].placeholder = STREAM
                if ends:
                    node.attr["end"].placeholder = "end"
    sites = [
        n for f in library.function for n in f.node_def
        if n.op in _CALLS and any(name in printing for name in _called(n))
    ]
    assert sites, "no call site of the printing function"
    for index, node in enumerate(sites):
        _bind(node, STREAM, streams[min(index, len(streams) - 1)])
        if ends:
            _bind(node, "end", ends[min(index, len(ends) - 1)])
    attacks.write_proto(model, proto)
    return model


def _called(node: node_def_pb2.NodeDef) -> list[str]:
    return [v.func.name for v in node.attr.values() if v.WhichOneof("value") == "func"]


def unbound_stream(model: Path) -> Path:
    """`Printer` with the placeholder left unbound (TensorFlow refuses; the scan must too)."""
    tf.saved_model.save(Printer(), str(model))
    proto = attacks.read_proto(model)
    for function in _printing_functions(proto.meta_graphs[0].graph_def.library):
        for node in function.node_def:
            if node.op == "PrintV2":
                node.attr["output_stream"].placeholder = STREAM
    attacks.write_proto(model, proto)
    return model


@tf.function
def _decode(records):
    """Decodes `tf.train.Example` records with the descriptors linked into TensorFlow (until edited)."""
    sizes, _ = tf.io.decode_proto(records, "tensorflow.Example", ["features"], [tf.string], descriptor_source="local://")
    return sizes


class Decoder(tf.Module):
    """`__call__` decodes serialized examples through `_decode` (a call site that may bind it)."""

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, records):
        return _decode(records)


def placeholder_descriptor_source(model: Path, source: str, message_type: str = "tensorflow.Example") -> Path:
    """`Decoder` with `DecodeProtoV2`'s descriptor source a placeholder its caller binds to `source`.

    `message_type` replaces the decoded message's type (one only `source` describes).
    """
    tf.saved_model.save(Decoder(), str(model))
    proto = attacks.read_proto(model)
    library = proto.meta_graphs[0].graph_def.library
    [decoding] = [f for f in library.function if any(n.op == "DecodeProtoV2" for n in f.node_def)]
    for node in decoding.node_def:
        if node.op == "DecodeProtoV2":
            node.attr["descriptor_source"].placeholder = "source"
            node.attr["message_type"].s = message_type.encode()
    for function in library.function:
        for node in function.node_def:
            if decoding.signature.name in _called(node):
                _bind(node, "source", source)
    attacks.write_proto(model, proto)
    return model


def _tf1_builder(model: Path, build) -> None:
    """Writes a TF1 SavedModel (tag `serve`, no init op) of the graph `build()` makes.

    `build` returns the signatures; tensors in the graph's asset collection become assets.
    """
    graph = tf.Graph()
    with graph.as_default():
        signatures = build()
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            session.run(tf.compat.v1.local_variables_initializer())
            builder = tf.compat.v1.saved_model.Builder(str(model))
            builder.add_meta_graph_and_variables(
                session, ["serve"], signature_def_map=signatures,
                assets_collection=graph.get_collection(tf.compat.v1.GraphKeys.ASSET_FILEPATHS),
            )
            builder.save()


def tf1_local_variable_saves(model: Path, target: str) -> Path:
    """A TF1 model without init op whose local variable's initializer runs the saver's save op.

    TensorFlow's loader then runs that initializer, and the save op writes a checkpoint to
    the default of the saver's filename placeholder, which the author set to `target`.
    """

    def build():
        x = tf.compat.v1.placeholder(tf.float32, [None], name="x")
        v = tf.compat.v1.get_variable("v", initializer=2.0)
        tf.compat.v1.get_local_variable("counter", initializer=0.0)
        return {"serving_default": tf.compat.v1.saved_model.predict_signature_def({"x": x}, {"y": x * v})}

    _tf1_builder(model, build)
    proto = attacks.read_proto(model)
    meta = proto.meta_graphs[0]
    nodes = {n.name: n for n in meta.graph_def.node}
    default = nodes[meta.saver_def.filename_tensor_name.split(":")[0]]
    while default.op != "Const":  # save/Const <- save/filename <- save/filename/input
        default = nodes[default.input[0]]
    default.attr["value"].tensor.string_val[:] = [target.encode()]
    nodes["counter/Assign"].input.append("^" + meta.saver_def.save_tensor_name.split(":")[0])
    attacks.write_proto(model, proto)
    return model


def tf1_asset_read_by_a_signature(model: Path, vocabulary: Path, secret: Path) -> Path:
    """A TF1 model whose `leak` signature fills a table from its asset tensor at call time.

    The loader writes the real asset path into that tensor only while it runs the init op;
    the signature reads the path stored in the graph, which the author set to `secret`, and
    returns the file's lines.
    """

    def build():
        x = tf.compat.v1.placeholder(tf.float32, [None], name="x")
        asset = tf.constant(str(vocabulary), name="asset_path")
        tf.compat.v1.add_to_collection(tf.compat.v1.GraphKeys.ASSET_FILEPATHS, asset)
        table = tf.raw_ops.HashTableV2(key_dtype=tf.string, value_dtype=tf.int64, name="table")
        fill = tf.raw_ops.InitializeTableFromTextFileV2(
            table_handle=table, filename=asset, key_index=-2, value_index=-1, name="fill"
        )
        with tf.control_dependencies([fill]):
            lines, _ = tf.raw_ops.LookupTableExportV2(table_handle=table, Tkeys=tf.string, Tvalues=tf.int64)
        return {
            "leak": tf.compat.v1.saved_model.predict_signature_def({"x": x}, {"lines": lines, "y": x + 1.0}),
        }

    _tf1_builder(model, build)
    proto = attacks.read_proto(model)
    for node in proto.meta_graphs[0].graph_def.node:
        if node.name == "asset_path":
            node.attr["value"].tensor.string_val[:] = [str(secret).encode()]
    attacks.write_proto(model, proto)
    return model


def _call(node: node_def_pb2.NodeDef, function: str, *inputs: str) -> node_def_pb2.NodeDef:
    node.op = "StatefulPartitionedCall"
    node.input.extend(inputs)
    node.attr["f"].func.name = function
    return node


def _reader(function: function_pb2.FunctionDef, argument: str) -> None:
    """Adds a vocabulary table filled from the file named by `argument`."""
    table = function.node_def.add(name="table", op="HashTableV2")
    table.attr["key_dtype"].type = tf.string.as_datatype_enum
    table.attr["value_dtype"].type = tf.int64.as_datatype_enum
    fill = function.node_def.add(name="fill", op="InitializeTableFromTextFileV2")
    fill.input.extend(["table:table_handle:0", argument])


def synthetic_tables(model: Path, readers: int, depth: int, *, identities: int = 0, cycle: bool = False) -> Path:
    """A SavedModel written proto by proto: `readers` table functions and a `depth`-deep call chain.

    Every table reads the model's one asset, whose path the top level passes in from the
    table initializers (the loader feeds it there), through `identities` chained `Identity`
    nodes; the chain hands it down `depth` functions to a last table. Legitimate (the scan
    must pass it) unless `cycle`, where the chain's last function calls its first.
    """
    from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2

    (model / "assets").mkdir(parents=True)
    (model / "assets" / "vocab.txt").write_text("a\nb\n")
    meta = meta_graph_pb2.MetaGraphDef()
    meta.meta_info_def.tags.append("serve")
    graph, library = meta.graph_def, meta.graph_def.library
    asset = graph.node.add(name="asset_path", op="Const")
    asset.attr["dtype"].type = tf.string.as_datatype_enum
    asset.attr["value"].tensor.dtype = tf.string.as_datatype_enum
    asset.attr["value"].tensor.string_val.append(b"vocab.txt")
    meta.asset_file_def.add(filename="vocab.txt").tensor_info.name = "asset_path:0"
    path = "asset_path"
    for index in range(identities):
        path = graph.node.add(name=f"identity_{index}", op="Identity", input=[path]).name
    initializers = meta.collection_def["table_initializer"].node_list.value
    for index in range(readers):
        function = library.function.add()
        function.signature.name = f"reader_{index}"
        function.signature.input_arg.add(name="path", type=tf.string.as_datatype_enum)
        _reader(function, "path")
        initializers.append(_call(graph.node.add(name=f"fill_{index}"), f"reader_{index}", path).name)
    for index in range(depth):
        function = library.function.add()
        function.signature.name = f"chain_{index}"
        function.signature.input_arg.add(name="path", type=tf.string.as_datatype_enum)
        if index + 1 < depth or cycle:
            _call(function.node_def.add(name="next"), f"chain_{(index + 1) % depth}", "path")
        else:
            _reader(function, "path")
    if depth:
        initializers.append(_call(graph.node.add(name="fill_chain"), "chain_0", path).name)
    proto = saved_model_pb2.SavedModel(saved_model_schema_version=1)
    proto.meta_graphs.add().CopyFrom(meta)
    attacks.write_proto(model, proto)
    return model


def saver_path_placeholder(model: Path, suffix: str) -> Path:
    """Makes the saver's temporary-name constant a placeholder the save node binds to `suffix`.

    `model` is a TF2 SavedModel (edited in place). With `_temp/part` it stays TensorFlow's
    own saver; an absolute or `..` suffix moves the checkpoint elsewhere.
    """
    proto = attacks.read_proto(model)
    meta = proto.meta_graphs[0]
    [save] = [n for n in meta.graph_def.node if n.name == meta.saver_def.save_tensor_name.split(":")[0]]
    [saver] = [f for f in meta.graph_def.library.function if f.signature.name == save.attr["f"].func.name]
    [constant] = [n for n in saver.node_def if n.op == "Const" and list(n.attr["value"].tensor.string_val) == [b"_temp/part"]]
    constant.attr["value"].placeholder = "suffix"
    _bind(save, "suffix", attr_value_pb2.AttrValue(tensor=tf.make_tensor_proto(suffix)))
    attacks.write_proto(model, proto)
    return model
