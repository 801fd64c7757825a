"""`SonnetModule`: a Reusable SavedModel as a Sonnet 2 module."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sonnet as snt
import tensorflow as tf

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.adapters.sonnet import _compat as compat
from reusable_savedmodel.interface.kit import (
    SignatureCall,
    choose_entry_point,
    validate_training,
)


class SonnetModule(snt.Module):
    """A Reusable SavedModel (or any `rsm.Piece`) as a Sonnet module.

    The module holds the piece's own variables (no copies): fine-tuning it updates the
    piece, so `rsm.save(module.piece, path)` re-exports the fine-tuned model.

    Variables are exposed through Sonnet's module tracking: `trainable_variables` of this
    module, and of any `snt.Module` that holds it, is exactly the piece's
    `trainable_variables` (none when `trainable=False`), so `snt.optimizers.*.apply` and
    `tf.GradientTape` work as for any Sonnet module. `variables` is exactly the piece's
    `variables`, in the piece's order. One caveat follows from `tf.Module` deciding
    trainability by each variable's `trainable` flag: a variable whose flag is True but
    that must not train (left out of the piece's `trainable_variables` by its author, or
    any variable when frozen) is hidden from tracking, so that no enclosing module trains
    it. It is in this module's `variables` and in checkpoints, but not in an enclosing
    module's `variables`.

    Named callables of the piece are reachable with `callable=` and, one level deep, as
    sub-modules: `module.encoder`, `module.callables["encoder"]` (same `trainable`).
    They are not tracked as sub-modules because a named callable may declare a
    different trainable subset than the piece itself. `callable=` also selects a bare
    `tf.function` of the root (e.g. jax2tf's `f`): its variables are what it captures.

    With `signature=` the module runs that signature for inference only (Keras 3's
    `model.export()`, TF Serving models, TF1 Hub modules): it is frozen, with no
    trainable variables and no regularization loss; `output_key=` picks one output.
    A TF1 Hub module runs its `"default"` signature's `"default"` output unless told
    otherwise, as in TF Hub. The SavedModel's variable names are kept (it is loaded
    outside this module's name scope).

    Example:
      encoder = SonnetModule("/path/to/saved_model", callable="encoder")
      with tf.GradientTape() as tape:
        loss = loss_fn(head(encoder(x, is_training=True))) + encoder.regularization_loss()
      params = encoder.trainable_variables + head.trainable_variables
      optimizer.apply(tape.gradient(loss, params), params)

    Args:
      handle_or_piece: A handle (directory, `file://` or `http(s)://`), a loaded object,
        an in-process object implementing the protocol, or an `rsm.Piece`.
      trainable: Whether the piece's `trainable_variables` train. True by default, as
        for every Sonnet module: Sonnet has no frozen flag, a module's variables train
        whenever the optimizer is given `module.trainable_variables`. A frozen module
        (False) has no trainable variables, no regularization loss and always runs the
        inference trace. Unset (None), True unless a signature runs (then always False).
      callable: The name of a named callable (or bare tf.function) to use instead of
        `__call__`.
      arguments: Keyword arguments passed on every call (e.g. `{"dropout_rate": 0.2}`);
        those given to a call take precedence.
      name: The module name (a Python identifier); by default the callable's name, or
        `sonnet_module`.
      signature: The name of a signature to call instead of `__call__` (inference only).
      output_key: With `signature`, the one output to return (else the whole dict).

    Raises:
      HandleError: if a handle cannot be loaded.
      NonConformingError: if the object does not implement the protocol, has no named
        callable `callable` or signature `signature` (the message lists them).
      UnsupportedError: for `trainable=True` with a signature or a TF1 Hub module
        (inference only), or `callable` with a TF1 Hub module.
      ValueError: for both `callable` and `signature`, or `output_key` without a signature.
    """

    # Attributes tf.Module tracking skips: variables that must not train and the named
    # callables' modules (see the class docstring), and the caller's `arguments` (a
    # tf.Variable passed there is the caller's, not the piece's).
    _TF_MODULE_IGNORED_PROPERTIES = compat.ignored_properties(
        "_hidden_variables", "_arguments", "_callables"
    )

    def __init__(
        self,
        handle_or_piece: Any,
        *,
        trainable: bool | None = None,
        callable: str | None = None,  # the fixed public name, though it shadows a builtin
        arguments: Mapping[str, Any] | None = None,
        name: str | None = None,
        signature: str | None = None,
        output_key: str | None = None,
    ):
        # Loaded before `snt.Module.__init__` opens this module's name scope, which would
        # otherwise prefix every restored variable's name.
        root = rsm.as_piece(handle_or_piece)
        entry = choose_entry_point(
            root,
            owner="SonnetModule",
            callable=callable,
            signature=signature,
            output_key=output_key,
            trainable=trainable,
            require_call=False,  # a module may be held for its named callables alone
        )
        super().__init__(name=name or callable)
        self._piece = entry.piece
        signature = entry.signature
        self._signature = SignatureCall(root, signature, entry.output_key) if signature else None
        self._is_trainable = self._signature is None and trainable is not False
        self._arguments = dict(arguments or {})
        snt.allow_empty_variables(self)  # a frozen or stateless piece has none

        piece = self._piece
        train = piece.trainable_variables if self._is_trainable else ()
        train_ids = {id(v) for v in train}
        variables = self.variables
        # Kept as attributes because tracking does not descend into a restored object.
        self._trainable_variables = tuple(train)
        self._non_trainable_variables = tuple(
            v for v in variables if id(v) not in train_ids and not v.trainable
        )
        self._hidden_variables = tuple(
            v for v in variables if id(v) not in train_ids and v.trainable
        )
        # Created in the constructor so their name scopes nest under this module's.
        self._callables = (
            {
                attr: SonnetModule(sub, trainable=trainable, name=attr)
                for attr, sub in root.callables.items()
            }
            if callable is None and signature is None
            else {}
        )

    @property
    def piece(self) -> rsm.Piece:
        """The wrapped piece (the named callable's, if `callable` was given)."""
        return self._piece

    @property
    def trainable(self) -> bool:
        """Whether the piece's trainable variables train."""
        return self._is_trainable

    @property
    def callables(self) -> Mapping[str, SonnetModule]:
        """The piece's named callables as modules, name -> `SonnetModule` (one level)."""
        return dict(self._callables)

    @property
    def signature(self) -> SignatureCall | None:
        """The signature this module calls (inference only), or None."""
        return self._signature

    @property
    def variables(self) -> tuple[tf.Variable, ...]:
        """All the piece's variables (the signature's, with one), in the piece's order."""
        if self._signature is not None:
            return tuple(self._signature.variables)
        return tuple(self._piece.variables)

    def __getattr__(self, name: str) -> Any:
        # Reached only for attributes not otherwise found: named callables.
        callables = self.__dict__.get("_callables", {})
        if name in callables:
            return callables[name]
        raise AttributeError(
            # No `self.name` here: before `__init__` sets it, reading it would recurse.
            f"{type(self).__name__} {self.__dict__.get('_name')!r} has no attribute {name!r}"
            + (f"; named callables: {', '.join(callables)}" if callables else "")
        )

    @snt.no_name_scope
    def __call__(self, inputs: Any, is_training: Any = False, **kwargs: Any) -> rsm.Structure:
        """Runs the piece.

        Args:
          inputs: A Tensor, list or dict of Tensors (numpy arrays are converted).
          is_training: A Python bool, or a scalar boolean Tensor (both traces then run
            under `tf.cond`, or the one its constant value selects). Ignored, apart from
            its type, when the module is frozen: it then runs the inference trace.
          **kwargs: The piece's extra keyword arguments (over `arguments`).

        Returns:
          The piece's outputs: a Tensor, a list or a dict of Tensors.

        Raises:
          InputMismatchError: if `is_training` is not a bool or scalar boolean Tensor, if
            `training` is passed, or if the arguments match no trace of the piece (the
            message lists the accepted inputs).
          NonConformingError: if the piece has no `__call__` and no `signature` was given.
        """
        if type(is_training) is not bool:
            validate_training(is_training, where=self.name, argument="is_training")
        if "training" in kwargs:
            raise rsm.InputMismatchError(
                f"{self.name}: SonnetModule takes Sonnet's `is_training`, not `training`."
            )
        if not self._is_trainable:
            is_training = False
        if self._arguments:
            kwargs = {**self._arguments, **kwargs}
        if self._signature is not None:
            return self._signature(inputs, kwargs)
        # Name scopes only name graph ops; eagerly they have no effect, so the (measurable)
        # cost of entering one is only paid while tracing.
        if tf.inside_function():
            with self.name_scope:
                return self._piece(inputs, is_training, **kwargs)
        return self._piece(inputs, is_training, **kwargs)

    def regularization_loss(self) -> tf.Tensor:
        """Returns the sum of the piece's regularization losses; zero when frozen."""
        if not self._is_trainable:
            return tf.constant(0.0)
        return self._piece.regularization_loss()

    def __repr__(self) -> str:
        piece = self._piece
        return (
            f"SonnetModule(name={self.name!r}, piece={piece.name!r}, "
            f"trainable={self._is_trainable}, variables={len(self.variables)}, "
            f"trainable_variables={len(self._trainable_variables)}, "
            f"regularization_losses={len(piece.regularization_losses) if self._is_trainable else 0}"
            + (f", callables={list(self._callables)}" if self._callables else "")
            + (f", arguments={sorted(self._arguments)}" if self._arguments else "")
            + (", signature (inference only)" if self._signature else "")
            + ")"
        )
