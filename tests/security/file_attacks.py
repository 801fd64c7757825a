"""Models whose files are links to files outside them, built at test time.

Each is an ordinary SavedModel (a vocabulary table whose file is an asset) whose asset or
checkpoint shard is then replaced by a link to a file elsewhere.
"""

from __future__ import annotations

from pathlib import Path

import tensorflow as tf

SHARD = "variables/variables.data-00000-of-00001"


class Vocabulary(tf.train.Checkpoint):
    """Maps words to their line numbers in a vocabulary file (unknown: -1), times `scale`.

    A Checkpoint, not a tf.Module, so the protocol's lists are saved as attributes.
    """

    def __init__(self, vocabulary: Path, scale: int = 1):
        super().__init__()
        initializer = tf.lookup.TextFileInitializer(
            str(vocabulary), tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
            tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER,
        )
        self.table = tf.lookup.StaticHashTable(initializer, -1)
        self.scale = tf.Variable(scale, dtype=tf.int64)
        self.variables = [self.scale]
        self.trainable_variables = []
        self.regularization_losses = []

    @tf.function(input_signature=[tf.TensorSpec([None], tf.string)])
    def __call__(self, words):
        return self.table.lookup(words) * self.scale


def vocabulary_model(model: Path, work: Path, scale: int = 1) -> Path:
    """A `Vocabulary` over the words "a", "b" saved at `model` (its file is assets/vocab.txt)."""
    vocabulary = work / "vocab.txt"
    vocabulary.write_text("a\nb\n")
    tf.saved_model.save(Vocabulary(vocabulary, scale), str(model))
    vocabulary.unlink()
    return model


def relink(model: Path, member: str, target: Path, *, hard: bool = False) -> Path:
    """Replaces the model's file `member` by a symbolic (or hard) link to `target`."""
    path = model / member
    path.unlink()
    if hard:
        path.hardlink_to(target)
    else:
        path.symlink_to(target)
    return model
