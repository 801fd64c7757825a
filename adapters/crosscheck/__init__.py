"""Cross-checking: a model in every installed consumer, against the raw TensorFlow object.

`crosscheck(handle_or_piece)` loads the model in `Piece`, Keras 3's `KerasLayer`,
`SonnetModule`, `to_jax`, `FlaxModule`, tensorflow_hub's `KerasLayer` and `KerasLayer`
on Keras's JAX backend (each when installed; the last in a child interpreter, on saved
models only) and reports, per consumer, whether outputs in both training modes, gradients,
state updates, regularization, frozen mode and named callables agree with the object
`tf.saved_model.load` returns; `rsm crosscheck HANDLE` prints the same report. The
conformance tests (tests/conformance) run these consumers and checks on every producer.

The names below are this package's public surface (`rsm demo` uses its entry choice and
example inputs); its modules are internal.
"""

from reusable_savedmodel.adapters.crosscheck._agreement import ConsumerResult
from reusable_savedmodel.adapters.crosscheck._child import ChildConsumer
from reusable_savedmodel.adapters.crosscheck._entry import CALL as CALL_ENTRY
from reusable_savedmodel.adapters.crosscheck._entry import Entry
from reusable_savedmodel.adapters.crosscheck._entry import choose as choose_entry
from reusable_savedmodel.adapters.crosscheck._errors import (
    ChildFailedError,
    KerasBackendError,
    SavedModelOnlyError,
    UnknownConsumerError,
)
from reusable_savedmodel.adapters.crosscheck._inputs import inputs_for
from reusable_savedmodel.adapters.crosscheck._registry import CONSUMERS, Consumer
from reusable_savedmodel.adapters.crosscheck._report import CrosscheckReport
from reusable_savedmodel.adapters.crosscheck._run import crosscheck

__all__ = [
    "CALL_ENTRY",
    "CONSUMERS",
    "ChildConsumer",
    "ChildFailedError",
    "Consumer",
    "ConsumerResult",
    "CrosscheckReport",
    "Entry",
    "KerasBackendError",
    "SavedModelOnlyError",
    "UnknownConsumerError",
    "choose_entry",
    "crosscheck",
    "inputs_for",
]
