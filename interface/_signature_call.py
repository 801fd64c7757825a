"""Calling a SavedModel signature (inference only) the way adapters call a piece.

Every TF-based consumer (KerasLayer, SonnetModule) offers `signature=` and `output_key=`
through this one class, as TF Hub's KerasLayer does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import tensorflow as tf

from reusable_savedmodel.interface._errors import (
    InputMismatchError,
    NonConformingError,
    UnsupportedError,
)
from reusable_savedmodel.interface._piece import Piece, coerce, describe_value

#: TF Hub's defaults for a TF1 Hub module: its signature and output.
TF1_HUB_DEFAULT_SIGNATURE = "default"
TF1_HUB_DEFAULT_OUTPUT = "default"


def tf1_hub_signature(
    root: Piece,
    *,
    trainable: bool | None,
    callable: str | None,
    signature: str | None,
    output_key: str | None,
    outputs_as_dict: bool = False,
) -> tuple[str, str | None]:
    """`(signature, output_key)` for a TF1 Hub module, TF Hub's defaults filled in.

    Args:
      root: The module's Piece (`root.tf1_hub_module` is True).
      trainable: What the adapter was asked for.
      callable: The named callable asked for, if any.
      signature: The signature asked for, or None for `"default"`.
      output_key: The output asked for, or None for `"default"` (unless `outputs_as_dict`).
      outputs_as_dict: Whether the whole output dict was asked for.

    Raises:
      UnsupportedError: for `trainable=True` or a `callable`: TF1 Hub modules run for
        inference only, through their signatures.
    """
    if trainable or callable is not None:
        raise UnsupportedError(
            f"{root.name} is a TF1 Hub module: it loads for inference only, through its "
            f"signatures ({', '.join(root.signatures)}); "
            + ("fine-tuning it (trainable=True)" if trainable else f"callable={callable!r}")
            + " is out of scope. Use the model's TF2 SavedModel version to fine-tune it."
        )
    if output_key is None and not outputs_as_dict:
        output_key = TF1_HUB_DEFAULT_OUTPUT
    return signature or TF1_HUB_DEFAULT_SIGNATURE, output_key


def signature_named(piece: Piece, name: str) -> Any:
    """`piece.signatures[name]`.

    Raises:
      NonConformingError: if there is no such signature (the message lists them).
    """
    if name not in piece.signatures:
        raise NonConformingError(
            f"{piece.name} has no signature {name!r}; available: {', '.join(piece.signatures) or 'none'}."
        )
    return piece.signatures[name]


class SignatureCall:
    """One signature of a piece, called with a Tensor or a dict of Tensors (inference only).

    Signatures take their inputs by keyword and return a dict. A single Tensor is passed
    as the signature's only input; `output_key` selects one output, else the whole dict
    is returned.

    Args:
      piece: The piece holding the signature.
      name: The signature's key in `piece.signatures`.
      output_key: The output to return, or None for the whole dict.

    Raises:
      NonConformingError: if there is no such signature or no such output (the message
        lists the available ones).
    """

    def __init__(self, piece: Piece, name: str, output_key: str | None):
        self._function = signature_named(piece, name)
        self._name = f"{piece.name}.signatures[{name!r}]"
        spec = piece.spec.signatures[name]
        self.input_specs: Mapping[str, tf.TensorSpec] = dict(spec.inputs)
        self.output_specs: Mapping[str, tf.TensorSpec] = dict(spec.outputs)
        if output_key is not None and output_key not in self.output_specs:
            raise NonConformingError(
                f"{self._name} has no output {output_key!r}; outputs: "
                f"{', '.join(self.output_specs)}."
            )
        self._output_key = output_key

    @property
    def function(self) -> Any:
        """The signature's concrete function (keyword inputs, dict output)."""
        return self._function

    @property
    def variables(self) -> tuple[tf.Variable, ...]:
        """The variables the signature reads."""
        return tuple(self._function.variables)

    @property
    def outputs(self) -> Any:
        """The output spec: one `tf.TensorSpec` with `output_key`, else the dict."""
        if self._output_key is not None:
            return self.output_specs[self._output_key]
        return dict(self.output_specs)

    def __call__(self, inputs: Any, extra: Mapping[str, Any]) -> Any:
        """Runs the signature.

        Args:
          inputs: A Tensor (for a one-input signature) or a dict of Tensors by input name.
          extra: Further inputs by name (the layer's `arguments` and call kwargs).

        Returns:
          The output `output_key`, or the dict of outputs.

        Raises:
          InputMismatchError: if the inputs do not name the signature's inputs.
        """
        if isinstance(inputs, Mapping):
            named = {**inputs, **extra}
        elif len(self.input_specs) - len(extra) == 1:
            (missing,) = (k for k in self.input_specs if k not in extra)
            named = {missing: inputs, **extra}
        else:
            raise InputMismatchError(
                f"{self._name} takes the inputs {sorted(self.input_specs)} by name: pass a dict, "
                f"got {describe_value(inputs)}."
            )
        if set(named) != set(self.input_specs):
            raise InputMismatchError(
                f"{self._name} takes the inputs {sorted(self.input_specs)}, got {sorted(named)}."
            )
        outputs = self.run(named)
        return outputs[self._output_key] if self._output_key is not None else outputs

    def run(self, named: Mapping[str, Any]) -> Mapping[str, Any]:
        """Runs the signature on its inputs by name; returns its whole output dict."""
        return self._function(**{k: coerce(v, self.input_specs[k]) for k, v in named.items()})
