"""A Sonnet MLP with batch norm and dropout, the kind of module `from_sonnet` exports."""

import sonnet as snt
import tensorflow as tf

FEATURES = 4
CLASSES = 3
INPUT_SIGNATURE = tf.TensorSpec([None, FEATURES], tf.float32)


class SonnetMLP(snt.Module):
    """`x -> linear -> batch norm -> relu -> dropout -> linear` logits."""

    def __init__(self, hidden: int = 8, name: str | None = None):
        super().__init__(name=name)
        self.hidden = snt.Linear(hidden, name="hidden")
        self.norm = snt.BatchNorm(create_scale=True, create_offset=True, name="norm")
        self.dropout = snt.Dropout(0.25)
        self.logits = snt.Linear(CLASSES, name="logits")

    def __call__(self, x: tf.Tensor, is_training: bool) -> tf.Tensor:
        h = tf.nn.relu(self.norm(self.hidden(x), is_training=is_training))
        return self.logits(self.dropout(h, is_training=is_training))
