"""What a crosscheck asks of a consumer: wrap a model, call it, differentiate it."""

from __future__ import annotations

import abc
import os
from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from reusable_savedmodel.adapters.crosscheck._compare import Leaves, ValueGrad, leaves
from reusable_savedmodel.adapters.crosscheck._tf_values import (
    Snapshot,
    gradient_pairs,
    to_tensors,
    weighted_sum,
)


class Wrapped(abc.ABC):
    """A model as one consumer holds it, reduced to the figures a crosscheck compares."""

    @abc.abstractmethod
    def outputs(self, inputs: Any, training: bool) -> Leaves:
        """Calls the model the consumer's way; returns the output leaves."""

    @abc.abstractmethod
    def value_grads(self, inputs: Any, training: bool) -> list[ValueGrad]:
        """`(value, gradient)` of each trainable variable for `weighted_sum(outputs)`."""

    @abc.abstractmethod
    def regularization(self) -> float:
        """The regularization total the consumer adds to a training loss."""

    @abc.abstractmethod
    def trainable_count(self) -> int:
        """How many variables the consumer would train."""

    @abc.abstractmethod
    def state_after_training(self, inputs: Any) -> list[Any]:
        """Runs one training call; returns every non-trainable variable's value."""

    @abc.abstractmethod
    def remember(self) -> None:
        """Records the variables' values, for `restore`."""

    @abc.abstractmethod
    def restore(self) -> None:
        """Puts the variables back to their recorded values (checks start equal)."""


class TensorFlowWrapped(Wrapped):
    """A consumer whose variables are `tf.Variable`s, differentiated with a tape."""

    @abc.abstractmethod
    def call(self, inputs: Any, training: bool) -> Any:
        """The consumer's own call."""

    @abc.abstractmethod
    def trainables(self) -> Sequence[tf.Variable]:
        """The variables the consumer trains."""

    @abc.abstractmethod
    def state(self) -> Sequence[tf.Variable]:
        """The consumer's other variables."""

    def outputs(self, inputs: Any, training: bool) -> Leaves:  # noqa: D102
        return leaves(self.call(to_tensors(inputs), training))

    def value_grads(self, inputs: Any, training: bool) -> list[ValueGrad]:  # noqa: D102
        variables = list(self.trainables())
        with tf.GradientTape() as tape:
            loss = weighted_sum(self.call(to_tensors(inputs), training))
        return gradient_pairs(variables, tape.gradient(loss, variables))

    def trainable_count(self) -> int:  # noqa: D102
        return len(self.trainables())

    def state_after_training(self, inputs: Any) -> list[Any]:  # noqa: D102
        self.call(to_tensors(inputs), True)
        return [v.numpy() for v in self.state()]

    def remember(self) -> None:  # noqa: D102
        self._snapshot = Snapshot([*self.trainables(), *self.state()])

    def restore(self) -> None:  # noqa: D102
        self._snapshot.restore()


def handle(source: Any) -> Any:
    """A saved model's path as the string handle users pass; other sources as they are."""
    return os.fspath(source) if isinstance(source, os.PathLike) else source
