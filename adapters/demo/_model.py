"""The demo's model (the loaded piece, its example inputs) and how every section compares to it."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.crosscheck import CALL_ENTRY, Entry, choose_entry, inputs_for

#: Prints one line (or block) of the demo's output.
Say = Callable[[str], None]


def _is_float(leaf: Any) -> bool:
    dtype = np.asarray(leaf).dtype if not hasattr(leaf, "dtype") else leaf.dtype
    return np.issubdtype(getattr(dtype, "as_numpy_dtype", dtype), np.floating)


def float_leaves(outputs: Any) -> list[Any]:
    """The floating-point leaves of an output nest (TF, JAX or numpy; traced or not)."""
    return [leaf for leaf in tf.nest.flatten(outputs) if _is_float(leaf)]


def max_difference(got: Any, want: Any) -> float:
    """The largest absolute difference between the float leaves of two output nests."""
    pairs = zip(float_leaves(got), float_leaves(want), strict=True)
    return max((float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for a, b in pairs), default=0.0)


def stand_in_loss(outputs: Any, mean: Callable[[Any], Any]) -> Any:
    """A loss any model's outputs admit: the mean square of its float outputs, summed.

    Args:
      outputs: The model's output nest.
      mean: The framework's `mean` (`tf.reduce_mean`, `jnp.mean`), so gradients flow.
    """
    return sum(mean(leaf * leaf) for leaf in float_leaves(outputs))


@dataclasses.dataclass
class Model:
    """The demo's model: its handle, how the demo names it, the loaded Piece, inputs.

    `entry` is what runs: `__call__`, or for a model with only signatures (Keras 3's
    `model.export()`) its `serving_default` signature, inference only.
    """

    handle: str
    label: str
    piece: rsm.Piece
    inputs: Any
    entry: Entry = CALL_ENTRY

    @classmethod
    def load(cls, handle: str, label: str) -> Model:
        """Loads `handle` and builds example inputs from its entry point's own input spec.

        Raises:
          NonConformingError: if the model has no `__call__` and no signature to pick by
            itself, or takes inputs the demo cannot build.
        """
        piece = rsm.load(handle)
        entry = choose_entry(piece)
        return cls(handle, label, piece, inputs_for(entry.inputs_spec(piece), where=label), entry)

    @property
    def adapter_kwargs(self) -> dict[str, Any]:
        """What each adapter is built with to run `entry` (`signature=` for a signature)."""
        return {} if self.entry.signature is None else {"signature": self.entry.signature}

    def check(self) -> rsm.Report:
        """The protocol check of the model."""
        return rsm.check(self.piece)

    def call(self, obj: Any) -> Any:
        """Runs the entry point of `obj` (the Piece, or a raw loaded object) on the inputs."""
        if self.entry.signature is not None:
            return obj.signatures[self.entry.signature](**self.tensors())
        return obj(self.tensors())

    def raw_outputs(self) -> Any:
        """Outputs of a fresh `tf.saved_model.load` object: what every section compares to."""
        raw = tf.saved_model.load(self.handle)
        return tf.nest.map_structure(np.asarray, self.call(raw))

    def tensors(self) -> Any:
        """The example inputs as TF tensors."""
        return tf.nest.map_structure(tf.constant, self.inputs)

    @functools.cached_property
    def trainable(self) -> bool:
        """Whether a fine-tuning step means anything: trainable variables and float outputs,
        through `__call__` (a signature is inference only). Asked once: it runs the model."""
        if self.entry.signature is not None:
            return False
        outputs = self.piece(self.tensors())
        return bool(self.piece.trainable_variables) and bool(float_leaves(outputs))

    def compare(self, what: str, outputs: Any, say: Say) -> bool:
        """Says how far `outputs` (of `what` on the inputs) are from the raw TF object's.

        Returns:
          Whether a fine-tuning step follows (`trainable`); says why not when it does not.
        """
        say(f"max |{what} - raw(x)| = {max_difference(outputs, self.raw_outputs()):.2e}")
        if self.entry.signature is not None:
            say(f"no fine-tuning step: the model runs through its {self.entry.describe()}")
        elif not self.trainable:
            say("no fine-tuning step: the model has no trainable variables or no float outputs")
        return self.trainable

    def core_section(self, say: Say) -> None:
        """Calls the Piece on the example inputs and shows outputs and regularization."""
        what = "piece(x)"
        if self.entry.signature is not None:
            say(f"\n{self.label} has no __call__: the demo runs its {self.entry.describe()}")
            what = f"{self.entry.signature}(**x)"
        outputs = self.call(self.piece)
        shapes = tf.nest.map_structure(lambda t: f"{t.dtype.name}{list(t.shape)}", outputs)
        inputs = tf.nest.map_structure(lambda a: f"{np.asarray(a).dtype}{list(np.shape(a))}", self.inputs)
        say(f"\n{what} for x = {inputs} -> {shapes}")
        for leaf in float_leaves(outputs)[:1]:
            say(np.array2string(np.asarray(leaf), precision=4, threshold=24))
        say(f"regularization loss: {float(self.piece.regularization_loss()):.6f}")
