"""`tensorflow_hub.KerasLayer`'s arguments that `KerasLayer` accepts with hub's meaning.

Code written for hub (and Keras model configs that hub's layer wrote, whose layer config
has `batch_input_shape` from tf_keras) carries `signature_outputs_as_dict`, `input_shape`
and `batch_input_shape`. This module checks and normalizes them; `consume.KerasLayer`
applies them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def check_signature_outputs(
    signature: str | None, output_key: str | None, signature_outputs_as_dict: bool | None
) -> None:
    """Applies hub's rules for `signature_outputs_as_dict`.

    With a signature, `signature_outputs_as_dict=True` returns the signature's whole output
    dict and excludes `output_key`; without a signature it has no meaning. (Unlike hub,
    a signature with neither returns the whole dict too.)

    Raises:
      ValueError: for `signature_outputs_as_dict=True` without `signature`, or together
        with `output_key`.
    """
    if not signature_outputs_as_dict:
        return
    if signature is None:
        raise ValueError(
            "signature_outputs_as_dict=True applies to a signature's outputs: pass "
            "signature= too (as in tensorflow_hub), or drop it to call the model's __call__."
        )
    if output_key is not None:
        raise ValueError(
            f"Pass output_key={output_key!r} (one output) or signature_outputs_as_dict=True "
            f"(the whole dict), not both."
        )


def input_shape(input_shape: Any, batch_input_shape: Any) -> tuple[int | None, ...] | None:
    """The per-example input shape from hub's `input_shape` or tf_keras' `batch_input_shape`.

    Args:
      input_shape: The shape without the batch dimension (e.g. `[]` for a batch of
        strings), or None.
      batch_input_shape: The shape with the batch dimension first (tf_keras configs), or
        None.

    Returns:
      The shape without the batch dimension, or None if neither is given.

    Raises:
      ValueError: if both are given and disagree, or one is not a sequence of ints/None.
    """
    shapes = []
    if input_shape is not None:
        shapes.append(_shape(input_shape, "input_shape"))
    if batch_input_shape is not None:
        batch = _shape(batch_input_shape, "batch_input_shape")
        if not batch:
            raise ValueError("batch_input_shape: expected the batch dimension first, got ().")
        shapes.append(batch[1:])
    if len(shapes) == 2 and shapes[0] != shapes[1]:
        raise ValueError(
            f"input_shape {shapes[0]} and batch_input_shape {batch_input_shape} disagree: "
            f"expected batch_input_shape = (batch, *input_shape)."
        )
    return shapes[0] if shapes else None


def _shape(value: Any, name: str) -> tuple[int | None, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,)
    if isinstance(value, Sequence) and not isinstance(value, str) and all(
        d is None or (isinstance(d, int) and not isinstance(d, bool)) for d in value
    ):
        return tuple(value)
    raise ValueError(f"{name}: expected a shape (a sequence of ints or None), got {value!r}.")
