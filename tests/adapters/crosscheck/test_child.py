"""What crosses from a child interpreter: figures survive the trip, errors keep their type."""

from __future__ import annotations

import collections

import numpy as np
import pytest

from reusable_savedmodel.adapters.crosscheck import _wire as wire
from reusable_savedmodel.adapters.crosscheck._child import require_keras_backend
from reusable_savedmodel.adapters.crosscheck._compare import CallableTruth, Truth
from reusable_savedmodel.adapters.crosscheck._consumer import Wrapped
from reusable_savedmodel.adapters.crosscheck._errors import ChildError, KerasBackendError
from reusable_savedmodel.adapters.crosscheck._recorded import Recording, record
from reusable_savedmodel.interface._errors import NonConformingError


def test_wire_round_trips_arrays_strings_nests_and_truths(tmp_path):
    truth = Truth(
        outputs={False: [np.arange(6, dtype=np.float32).reshape(2, 3)], True: [np.ones(2)]},
        stochastic_training=True,
        gradient_training=False,
        gradients=[(np.zeros(3), np.full(3, 0.5))],
        regularization=0.25,
        state_after_training=None,
        callables={"encoder": CallableTruth({"x": np.eye(2)}, {False: [np.array([1.5])]})},
    )
    value = {
        (True, None): [np.array(["a", "bc"], dtype=object), 3, "text", None],
        "words": np.array([[b"x y"], [b"z"]], dtype=object),
        "truth": truth,
        1.5: (np.int64(7), False),
    }

    wire.write(tmp_path, "figures", value)
    back = wire.read(tmp_path, "figures")

    assert set(back) == {(True, None), "words", "truth", 1.5}
    assert back["words"].dtype == object and back["words"].tolist() == [[b"x y"], [b"z"]]
    strings, number, text, nothing = back[(True, None)]
    assert strings.dtype == object and list(strings) == ["a", "bc"]
    assert (number, text, nothing) == (3, "text", None)
    assert back[1.5][0] == 7 and back[1.5][1] is False
    got = back["truth"]
    assert isinstance(got, Truth) and isinstance(got.callables["encoder"], CallableTruth)
    np.testing.assert_array_equal(got.outputs[False][0], truth.outputs[False][0])
    np.testing.assert_array_equal(got.gradients[0][1], truth.gradients[0][1])
    np.testing.assert_array_equal(got.callables["encoder"].inputs["x"], np.eye(2))
    assert (got.regularization, got.stochastic_training, got.state_after_training) == (0.25, True, None)


def test_wire_carries_sequence_subclasses_as_plain_sequences(tmp_path):
    pair = collections.namedtuple("Pair", "x y")
    wire.write(tmp_path, "figures", [pair(np.ones(2), "y"), _Listed([1, 2])])

    (x, y), listed = wire.read(tmp_path, "figures")

    np.testing.assert_array_equal(x, np.ones(2))
    assert y == "y" and listed == [1, 2] and type(listed) is list


class _Listed(list):
    """A list subclass, as frameworks wrap lists they track."""


def test_wire_refuses_what_it_cannot_carry_without_pickle(tmp_path):
    with pytest.raises(TypeError, match="cannot pass a set"):
        wire.write(tmp_path, "figures", {"bad": {1, 2}})


class _Doubling(Wrapped):
    """A consumer whose outputs are twice its inputs; it refuses to regularize or train."""

    def __init__(self, source, *, trainable, callable, signature=None):
        if callable is not None:
            raise NonConformingError(f"no callable {callable!r} in {source}")
        self.scale = np.float32(2.0)

    def outputs(self, inputs, training):
        return [inputs * self.scale]

    def value_grads(self, inputs, training):
        return [(np.array(self.scale), np.sum(inputs))]

    def regularization(self):
        raise ZeroDivisionError("no regularization here")

    def trainable_count(self):
        return 1

    def state_after_training(self, inputs):
        self.scale = np.float32(3.0)  # training moves the state; `restore` must undo it
        raise KeyError("no state")

    def remember(self):
        self._kept = self.scale

    def restore(self):
        self.scale = self._kept


def _recording(tmp_path):
    inputs = np.array([1.0, 2.0], dtype=np.float32)
    figures = {way: record(_Doubling, "model", inputs, way) for way in [(True, None, None), (True, "encoder", None)]}
    # Through the wire, as from the child.
    wire.write(tmp_path, "response", figures)
    return Recording("model", freezes=False, figures=wire.read(tmp_path, "response")), inputs


def test_a_recording_answers_as_the_consumer_did_and_raises_what_it_raised(tmp_path):
    recording, inputs = _recording(tmp_path)
    model = recording.wrap("model", trainable=True, callable=None)

    np.testing.assert_array_equal(model.outputs(inputs, True)[0], [2.0, 4.0])
    assert model.value_grads(inputs, False)[0][1] == 3.0
    assert model.trainable_count() == 1
    with pytest.raises(ZeroDivisionError, match="no regularization here") as raised:
        model.regularization()
    assert "Raised in the child interpreter" in raised.value.__notes__[0]
    with pytest.raises(KeyError):
        model.state_after_training(inputs)
    with pytest.raises(NonConformingError, match="no callable 'encoder'"):
        recording.wrap("model", trainable=True, callable="encoder")


def test_a_recording_refuses_other_inputs_other_models_and_unknown_error_types(tmp_path):
    recording, inputs = _recording(tmp_path)
    model = recording.wrap("model", trainable=True, callable=None)

    with pytest.raises(ValueError, match="recorded for other inputs"):
        model.outputs(inputs + 1, False)
    with pytest.raises(ValueError, match="recorded for model"):
        recording.wrap("another", trainable=True, callable=None)
    foreign = record(_Doubling, "model", inputs, (True, None, None))
    foreign["regularization"]["error"][:2] = ["keras.src.errors", "SomeKerasError"]
    with pytest.raises(ChildError, match="keras.src.errors.SomeKerasError: no regularization here"):
        Recording("model", False, {(True, None, None): foreign}).wrap("model", trainable=True, callable=None).regularization()


def test_a_child_refuses_to_run_on_the_wrong_keras_backend():
    require_keras_backend("tensorflow")  # the test process runs Keras on TensorFlow
    with pytest.raises(KerasBackendError, match="Keras runs on 'tensorflow' here: start this process with KERAS_BACKEND=jax"):
        require_keras_backend("jax")
