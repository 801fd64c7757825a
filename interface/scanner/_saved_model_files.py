"""Reading a SavedModel's files before TensorFlow does: typed errors instead of crashes or silence.

`tf.saved_model.load` reads an empty `saved_model.pb` as a model with no graphs, follows
asset paths wherever they point, and fails deep inside on a corrupt or foreign checkpoint.
These checks run first, read only metadata, and say what was expected and what was found.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import tensorflow as tf
from google.protobuf import text_format
from google.protobuf.message import DecodeError
from tensorflow.core.protobuf import meta_graph_pb2, saved_model_pb2, trackable_object_graph_pb2

from reusable_savedmodel.interface._errors import HandleError, UnsafeModelError
from reusable_savedmodel.interface.scanner import _contained_files as contained_files
from reusable_savedmodel.interface.scanner._call_graph import CallGraph

ASSETS_DIR = "assets"
_TF1_ASSETS = "saved_model_assets"
_OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"
_VALUE_ATTRIBUTE = "VARIABLE_VALUE"


def read_saved_model(path: Path, label: str) -> saved_model_pb2.SavedModel:
    """Parses `saved_model.pb` (or `.pbtxt`) and requires at least one meta graph.

    First every file of the model must lie inside its directory: whoever reads the model
    (loading, the scan) then reads no file from elsewhere, and the directory is walked once.

    Args:
      path: The SavedModel directory.
      label: How to name the model in messages.

    Returns:
      The parsed protocol buffer.

    Raises:
      UnsafeModelError: if a file of the model is a link to a file outside its directory.
      HandleError: if the file is missing, corrupt, or holds no meta graph (an empty or
        truncated file parses as a model with nothing in it).
    """
    contained_files.require_contained(path, label)
    pb, pbtxt = (path / name for name in contained_files.SAVED_MODEL_FILES)
    if not (pb.is_file() or pbtxt.is_file()):
        raise HandleError(f"{label}: expected saved_model.pb in {path}, found none.")
    source = pb if pb.is_file() else pbtxt
    proto = saved_model_pb2.SavedModel()
    try:
        if source is pb:
            proto.ParseFromString(pb.read_bytes())
        else:
            text_format.Parse(pbtxt.read_text(), proto)
    except (DecodeError, text_format.ParseError, UnicodeDecodeError) as error:
        raise HandleError(f"{label}: {source.name} is corrupt ({error}).") from error
    if not proto.meta_graphs:
        raise HandleError(
            f"{label}: {source.name} ({source.stat().st_size} bytes) holds no meta graph; expected "
            f"a SavedModel with at least one (is the file empty or truncated?)."
        )
    return proto


def escapes_assets(filename: str) -> bool:
    """Whether an asset filename could name a file outside the model's `assets/` directory."""
    path = PurePosixPath(filename)
    return (
        not filename
        or path.is_absolute()
        or filename.startswith("\\")
        or "\\" in filename
        or "\0" in filename
        or ":" in path.parts[0]
        or ".." in path.parts
    )


def asset_file_defs(meta_graph: meta_graph_pb2.MetaGraphDef) -> list[meta_graph_pb2.AssetFileDef]:
    """A meta graph's assets: its `asset_file_def`s and TF1's `saved_model_assets` collection."""
    found = list(meta_graph.asset_file_def)
    if _TF1_ASSETS in meta_graph.collection_def:
        for packed in meta_graph.collection_def[_TF1_ASSETS].any_list.value:
            asset = meta_graph_pb2.AssetFileDef()
            packed.Unpack(asset)
            found.append(asset)
    return found


def escaping_assets(proto: saved_model_pb2.SavedModel) -> list[str]:
    """The asset filenames of any meta graph that point outside `assets/`."""
    return sorted(
        {a.filename for m in proto.meta_graphs for a in asset_file_defs(m) if escapes_assets(a.filename)}
    )


def _fits(shape: Any, found: list[int]) -> bool:
    """Whether a checkpoint value's shape fits a saved variable's (maybe partly unknown) shape."""
    if shape.unknown_rank:
        return True
    dims = [d.size for d in shape.dim]
    return len(dims) == len(found) and all(d in (-1, f) for d, f in zip(dims, found))


def _check_checkpoint(path: Path, proto: saved_model_pb2.SavedModel, label: str) -> None:
    """Requires the checkpoint a TF2 SavedModel's variables are restored from, and that it fits."""
    objects = proto.meta_graphs[0].object_graph_def.nodes
    variables = {i: o.variable for i, o in enumerate(objects) if o.WhichOneof("kind") == "variable"}
    if not variables:
        return
    prefix = path / "variables" / "variables"
    if not prefix.with_suffix(".index").is_file():
        raise HandleError(
            f"{label}: expected the checkpoint {prefix}.index holding its {len(variables)} "
            f"variables, found none (is variables/ missing?)."
        )
    try:
        reader = tf.train.load_checkpoint(str(prefix))
        shapes = reader.get_variable_to_shape_map()
        graph = trackable_object_graph_pb2.TrackableObjectGraph()
        graph.ParseFromString(reader.get_tensor(_OBJECT_GRAPH_KEY))
    except (tf.errors.OpError, DecodeError, ValueError) as error:
        raise HandleError(
            f"{label}: the checkpoint in {prefix.parent} is corrupt or unreadable "
            f"({type(error).__name__}: {error})."
        ) from error
    for index, variable in variables.items():
        keys = [a.checkpoint_key for a in graph.nodes[index].attributes if a.name == _VALUE_ATTRIBUTE] if index < len(graph.nodes) else []
        expected = [d.size for d in variable.shape.dim]
        found = shapes.get(keys[0]) if keys else None
        if found is None or not _fits(variable.shape, list(found)):
            raise HandleError(
                f"{label}: variables/ holds a checkpoint that does not belong to this model: "
                f"expected variable {variable.name!r} with shape {expected}, found "
                f"{'no value for it' if found is None else f'shape {list(found)}'}."
            )


def check_before_load(path: Path, label: str) -> saved_model_pb2.SavedModel:
    """Checks a SavedModel's files before `tf.saved_model.load` runs anything.

    Args:
      path: The SavedModel directory.
      label: How to name the model in messages.

    Returns:
      The parsed `saved_model.pb`.

    Raises:
      HandleError: for a missing, empty or corrupt `saved_model.pb`, a function library
        with a call cycle, a missing or corrupt checkpoint, or another model's checkpoint.
      UnsafeModelError: for an asset path outside the model's `assets/` directory.
    """
    proto = read_saved_model(path, label)
    for meta_graph in proto.meta_graphs:  # TensorFlow's loader refuses with a bare ValueError
        library = {f.signature.name: f for f in meta_graph.graph_def.library.function}
        CallGraph(library).raise_on_cycle(label)
    escaping = escaping_assets(proto)
    if escaping:
        raise UnsafeModelError(
            f"{label}: refused: asset paths must stay inside {ASSETS_DIR}/, found "
            f"{', '.join(repr(e) for e in escaping)}."
        )
    _check_checkpoint(path, proto, label)
    return proto
