"""The text contracts of TF Hub's Common SavedModel APIs: BERT encoders and preprocessors.

Read from the traces only (nothing runs). Each function returns what is wrong, or None.

- Encoder: `__call__({"input_word_ids", "input_mask", "input_type_ids"}: int32[batch,seq])
  -> {"pooled_output": [batch,width], "sequence_output": [batch,seq,width],
  "encoder_outputs": a list of [batch,seq,width], "default": [batch,width]}`; an optional
  named callable `mlm` also takes `masked_lm_positions` (int32[batch,num]) and returns
  `mlm_logits` ([batch,num,vocab]) besides the pooled, sequence and per-layer outputs.
- Preprocessor: `__call__(string[batch]) -> the encoder's three inputs`; named callables
  `tokenize(string[batch]) -> int ragged [batch,(words),(tokens)]` and
  `bert_pack_inputs([tokenized segments], seq_length=N) -> the encoder's three inputs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tensorflow as tf

from reusable_savedmodel.interface import _spec as spec_lib
from reusable_savedmodel.interface._piece import Piece

ENCODER_INPUTS = ("input_word_ids", "input_mask", "input_type_ids")
#: Output name -> rank, besides `encoder_outputs` (a list of rank-3 tensors).
ENCODER_OUTPUTS = {"pooled_output": 2, "sequence_output": 3, "default": 2}
#: What `mlm` returns: no `default` (as tf-models-official exports it), plus the logits.
MLM_OUTPUTS = {"pooled_output": 2, "sequence_output": 3, "mlm_logits": 3}


def _spec(value: Any) -> Any:
    """A `tf.TypeSpec` for a spec or a (symbolic) tensor; other values as they are."""
    if isinstance(value, tf.TypeSpec):
        return value
    if isinstance(value, (tf.Tensor, tf.RaggedTensor)):
        return tf.type_spec_from_value(value)
    return value


def _is(value: Any, dtype: tf.DType | None, rank: int) -> bool:
    spec = _spec(value)
    if not isinstance(spec, (tf.TensorSpec, tf.RaggedTensorSpec)) or spec.shape.rank != rank:
        return False
    return dtype is None or spec.dtype == dtype


def _missing_encoder_inputs(inputs: Any) -> str | None:
    if not isinstance(inputs, Mapping):
        return f"inputs must be a dict with {list(ENCODER_INPUTS)}, got {spec_lib.format_spec(inputs)}"
    wrong = [k for k in ENCODER_INPUTS if k not in inputs or not _is(inputs[k], tf.int32, 2)]
    if wrong:
        return f"inputs {wrong} must be int32[batch,seq_length], got {spec_lib.format_spec(inputs)}"
    return None


def _encoder_outputs_problem(outputs: Any, ranks: Mapping[str, int]) -> str | None:
    if not isinstance(outputs, Mapping):
        return f"outputs must be a dict, got {spec_lib.format_spec(outputs)}"
    wrong = [k for k, rank in ranks.items() if k not in outputs or not _is(outputs[k], None, rank)]
    layers = outputs.get("encoder_outputs")
    if not (isinstance(layers, (list, tuple)) and layers and all(_is(t, None, 3) for t in layers)):
        wrong.append("encoder_outputs")
    if wrong:
        return (
            f"outputs {wrong} missing or of the wrong rank (pooled_output/default [batch,width], "
            f"sequence_output [batch,seq,width], encoder_outputs a list of [batch,seq,width]"
            + (", mlm_logits [batch,num,vocab]" if "mlm_logits" in ranks else "") + ")"
        )
    return None


def _traces_problem(piece: Piece, check_trace) -> str | None:
    call = spec_lib.call_spec(piece.function)
    if not call.traces:
        return "__call__ has no traces"
    for trace in call.traces:
        problem = check_trace(trace)
        if problem:
            return problem
    return None


def bert_encoder_problem(piece: Piece) -> str | None:
    """What keeps `piece` from the BERT encoder contract, or None."""

    def root_trace(trace: spec_lib.TraceSpec) -> str | None:
        return _missing_encoder_inputs(trace.inputs) or _encoder_outputs_problem(
            trace.outputs, ENCODER_OUTPUTS
        )

    def mlm_trace(trace: spec_lib.TraceSpec) -> str | None:
        problem = _missing_encoder_inputs(trace.inputs)
        if problem is None and not _is(trace.inputs.get("masked_lm_positions"), tf.int32, 2):
            problem = "inputs must also have masked_lm_positions: int32[batch,num_predictions]"
        problem = problem or _encoder_outputs_problem(trace.outputs, MLM_OUTPUTS)
        return f"mlm: {problem}" if problem else None

    problem = _traces_problem(piece, root_trace)
    if problem is None and "mlm" in piece.callables:
        problem = _traces_problem(piece.callables["mlm"], mlm_trace)
    return problem


def _encoder_inputs_out(outputs: Any, where: str) -> str | None:
    problem = _missing_encoder_inputs(outputs)
    return f"{where}: outputs {problem.removeprefix('inputs ')}" if problem else None


def bert_preprocessor_problem(piece: Piece) -> str | None:
    """What keeps `piece` from the BERT preprocessor contract, or None."""

    def root_trace(trace: spec_lib.TraceSpec) -> str | None:
        if not _is(trace.inputs, tf.string, 1):
            return f"__call__ must take string[batch], got {spec_lib.format_spec(trace.inputs)}"
        return _encoder_inputs_out(trace.outputs, "__call__")

    def tokenize_trace(trace: spec_lib.TraceSpec) -> str | None:
        out = _spec(trace.outputs)
        ok_out = isinstance(out, tf.RaggedTensorSpec) and out.dtype.is_integer and out.shape.rank in (2, 3)
        if not (_is(trace.inputs, tf.string, 1) and ok_out):
            return (
                f"tokenize must map string[batch] to an int ragged [batch,(words),(tokens)], "
                f"got {spec_lib.format_spec(trace.inputs)} -> {spec_lib.format_spec(out)}"
            )
        return None

    def pack_trace(trace: spec_lib.TraceSpec) -> str | None:
        segments = trace.inputs
        if not (isinstance(segments, (list, tuple)) and segments):
            return f"bert_pack_inputs must take a list of tokenized segments, got {spec_lib.format_spec(segments)}"
        if not isinstance(trace.kwargs.get("seq_length"), int):
            return "bert_pack_inputs must take seq_length= (a Python int)"
        return _encoder_inputs_out(trace.outputs, "bert_pack_inputs")

    problem = _traces_problem(piece, root_trace)
    for name, check_trace in (("tokenize", tokenize_trace), ("bert_pack_inputs", pack_trace)):
        if problem:
            break
        if name not in piece.callables:
            problem = f"no named callable {name!r} (named callables: {', '.join(piece.callables) or 'none'})"
        else:
            problem = _traces_problem(piece.callables[name], check_trace)
    return problem
