"""The Common SavedModel API tasks `check(task=...)` knows, by name.

No TensorFlow here, so that `rsm check --help` can list them without importing it; the
shape rules themselves live in `_conformance.py`, which registers one for each name below.
"""

from __future__ import annotations

#: Task name -> what the task's interface is, in a phrase (shown by `rsm check --help`).
TASKS: dict[str, str] = {
    "image_feature_vector": "float32[batch,height,width,3] -> [batch,N] features",
    "image_classification": "float32[batch,height,width,3] -> [batch,N] logits",
    "text_embedding": "string[batch] -> [batch,N] embeddings",
    "bert_encoder": "{input_word_ids,input_mask,input_type_ids} -> {pooled_output,"
    "sequence_output,encoder_outputs,default}; optional mlm",
    "bert_preprocessor": "string[batch] -> encoder inputs; tokenize, bert_pack_inputs(seq_length=)",
}
