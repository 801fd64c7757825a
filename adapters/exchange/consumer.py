"""What the matrix asks of a consumer: wrap a model, call it, differentiate it."""

from __future__ import annotations

import abc
import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from reusable_savedmodel.adapters.exchange.truth import ValueGrad, cotangent


class Wrapped(abc.ABC):
    """A model as one consumer holds it, reduced to the figures the matrix compares."""

    @abc.abstractmethod
    def outputs(self, inputs: Any, training: bool) -> np.ndarray:
        """Calls the model the consumer's way."""

    @abc.abstractmethod
    def value_grads(self, inputs: Any, training: bool) -> list[ValueGrad]:
        """`(value, gradient)` of each trainable variable for `sum(outputs * cotangent)`."""

    @abc.abstractmethod
    def regularization(self) -> float:
        """The regularization total the consumer adds to a training loss."""

    @abc.abstractmethod
    def trainable_count(self) -> int:
        """How many variables the consumer would train."""

    @abc.abstractmethod
    def state_after_training(self, inputs: Any) -> list[np.ndarray]:
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
    def call(self, inputs: Any, training: bool) -> tf.Tensor:
        """The consumer's own call."""

    @abc.abstractmethod
    def trainables(self) -> Sequence[tf.Variable]:
        """The variables the consumer trains."""

    @abc.abstractmethod
    def state(self) -> Sequence[tf.Variable]:
        """The consumer's other variables."""

    def outputs(self, inputs: Any, training: bool) -> np.ndarray:  # noqa: D102
        return np.asarray(self.call(to_tensors(inputs), training))

    def value_grads(self, inputs: Any, training: bool) -> list[ValueGrad]:  # noqa: D102
        variables = list(self.trainables())
        with tf.GradientTape() as tape:
            result = self.call(to_tensors(inputs), training)
            loss = tf.reduce_sum(result * cotangent(result.shape))
        grads = tape.gradient(loss, variables)
        return [
            (v.numpy(), np.asarray(tf.convert_to_tensor(g)) if g is not None else np.zeros(v.shape))
            for v, g in zip(variables, grads)
        ]

    def trainable_count(self) -> int:  # noqa: D102
        return len(self.trainables())

    def state_after_training(self, inputs: Any) -> list[np.ndarray]:  # noqa: D102
        self.call(to_tensors(inputs), True)
        return [v.numpy() for v in self.state()]

    def remember(self) -> None:  # noqa: D102
        self._recorded = [(v, v.numpy()) for v in [*self.trainables(), *self.state()]]

    def restore(self) -> None:  # noqa: D102
        for variable, value in self._recorded:
            variable.assign(value)


def to_tensors(inputs: Any) -> Any:
    """Numpy inputs as Tensors, for consumers that take only Tensors (Keras layers)."""
    return tf.nest.map_structure(tf.constant, inputs)


def handle(source: Any) -> Any:
    """A saved model's path as the string handle users pass; other sources as they are."""
    return os.fspath(source) if isinstance(source, os.PathLike) else source
