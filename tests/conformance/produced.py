"""What a producer hands the matrix: the model in process, a way to save it, and its truth."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

from reusable_savedmodel.adapters.crosscheck._compare import Truth


@dataclasses.dataclass(frozen=True)
class Produced:
    """One producer's model of one kind.

    Attributes:
      in_process: What a consumer is handed in the same program (the exported piece's
        object, or the framework's own object when it is only reusable once saved); None
        when the model was built in another interpreter (Keras on JAX).
      save: Writes the model as a SavedModel at the given path, as the producer's users
        do (`rsm.save`, or `tf.saved_model.save` for a classic tf_keras export).
      truth: The producer's own figures.
      inputs: The inputs the figures were computed on.
    """

    in_process: Any
    save: Callable[[Path], Any]
    truth: Truth
    inputs: Any
