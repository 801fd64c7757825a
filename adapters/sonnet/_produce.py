"""`from_sonnet`: a Sonnet 2 module as an in-process Reusable SavedModel."""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sonnet as snt
import tensorflow as tf

from reusable_savedmodel import interface as rsm
from reusable_savedmodel.interface.kit import variable_name

#: A regularizer in Sonnet's form: variables in, scalar float loss out
#: (`snt.regularizers.L1`, `L2`, `OrthogonalRegularizer`, or any such callable).
Regularizer = Callable[[Sequence[tf.Variable]], tf.Tensor]
#: A named callable for `from_sonnet`: `(target, input_signature)` or `(target,
#: input_signature, training_arg)`, the target a submodule or a method of a module.
SonnetCallable = tuple[Callable[..., Any], Any] | tuple[Callable[..., Any], Any, str | None]


@dataclasses.dataclass(frozen=True)
class _SonnetDeclaration:
    """How to call the module and what to train; a plain object so tracking ignores it."""

    training_arg: str | None
    regularizers: Mapping[str, Regularizer]
    trainable_variables: tuple[tf.Variable, ...] | None
    #: The module's method to call.
    method: str = "__call__"
    #: For a named callable: train only those of `trainable_variables` its call uses,
    #: and skip regularizer patterns that match none of them.
    part: bool = False


class SonnetExport(rsm.ReusableModule):
    """A Sonnet module (or one of its methods) behind the Reusable SavedModel protocol.

    Made by `from_sonnet`, for the module and for each named callable.
    """

    def __init__(
        self,
        module: snt.Module,
        input_signature: Any,
        declaration: _SonnetDeclaration,
        tensor_kwargs: Mapping[str, tf.TensorSpec] | None,
        python_kwargs: Mapping[str, Sequence[Any]] | None,
    ):
        super().__init__(input_signature, tensor_kwargs=tensor_kwargs, python_kwargs=python_kwargs)
        self._module = module
        self._sonnet = declaration

    @property
    def module(self) -> snt.Module:
        """The exported Sonnet module."""
        return self._module

    def call(self, inputs: rsm.Structure, training: bool = False, **kwargs: Any) -> rsm.Structure:
        """Calls the module's method, passing `training` as its training argument."""
        if self._sonnet.training_arg is not None:
            kwargs[self._sonnet.training_arg] = training
        return getattr(self._module, self._sonnet.method)(inputs, **kwargs)

    def select_trainable_variables(self, variables: Sequence[tf.Variable]) -> Sequence[tf.Variable]:
        """The declared `trainable_variables`, or every used variable whose flag is True.

        Raises:
          ValueError: if a declared trainable variable is not used by the module's call or
            has `trainable=False`.
        """
        chosen = self._sonnet.trainable_variables
        if chosen is None:
            return super().select_trainable_variables(variables)
        if self._sonnet.part:
            chosen_ids = {id(v) for v in chosen}
            return [v for v in variables if id(v) in chosen_ids]
        used = {id(v) for v in variables}
        for v in chosen:
            if id(v) not in used:
                raise ValueError(
                    f"trainable_variables: {variable_name(v)} is not used by the module's call."
                )
            if not v.trainable:
                raise ValueError(f"trainable_variables: {variable_name(v)} has trainable=False.")
        return list(chosen)

    def regularization(self) -> Sequence[Callable[[], tf.Tensor]]:
        """One loss per regularizer pattern: the regularizer of the matching variables.

        Raises:
          ValueError: if a pattern matches no trainable variable (of the module; a named
            callable leaves such a pattern out).
        """
        losses = []
        names = [(variable_name(v), v) for v in self.trainable_variables]
        for pattern, regularizer in self._sonnet.regularizers.items():
            matched = [v for n, v in names if fnmatch.fnmatchcase(n, pattern)]
            if not matched and self._sonnet.part:
                continue
            if not matched:
                known = ", ".join(sorted(n for n, _ in names)) or "none"
                raise ValueError(
                    f"regularizers: pattern {pattern!r} matches no trainable variable; "
                    f"trainable variables: {known}."
                )
            losses.append(_bind(regularizer, matched))
        return losses


def _bind(regularizer: Regularizer, variables: list[tf.Variable]) -> Callable[[], tf.Tensor]:
    """A zero-argument loss: `regularizer(variables)` as a float32 scalar."""
    return lambda: tf.cast(regularizer(variables), tf.float32)


def _build(
    module: snt.Module, method: str, input_signature: Any, training_arg: str | None, hint: str
) -> str | None:
    """Creates the variables `module.<method>` uses (running no update).

    Returns:
      The training argument to pass: `training_arg`, or None when the method has that
      parameter but refuses any value for it (`snt.nets.MLP` without dropout raises on
      `is_training`): then one trace without it serves both `training` values.

    Raises:
      ValueError: if the method has no parameter `training_arg` (`hint` says what to do).
    """
    method_fn = getattr(module, method)
    if training_arg is None:
        snt.build(method_fn, input_signature)
        return None
    try:
        snt.build(method_fn, input_signature, **{training_arg: False})
        return training_arg
    except TypeError as error:
        # Sonnet's method wrappers hide the signature, so the call itself tells.
        if f"unexpected keyword argument '{training_arg}'" not in str(error):
            raise
        raise ValueError(
            f"{module.name}.{method} has no parameter {training_arg!r}; {hint}"
        ) from error
    except ValueError as error:
        if training_arg not in str(error):
            raise
        refusal = error
    try:
        snt.build(method_fn, input_signature)
    except Exception as error:
        raise ValueError(
            f"{module.name}.{method} refuses {training_arg}=False ({refusal}) and fails "
            f"without it ({error}); {hint}"
        ) from error
    return None


def _method_of(target: Any) -> tuple[snt.Module | None, str]:
    """`(module, method name)` for a bound method of an `snt.Module`, else `(None, "")`.

    The name is looked up on the class: Sonnet's method wrappers rename the function.
    """
    owner, function = getattr(target, "__self__", None), getattr(target, "__func__", None)
    if not isinstance(owner, snt.Module) or function is None:
        return None, ""
    for name in dir(type(owner)):
        if getattr(type(owner), name, None) is function:
            return owner, name
    return None, ""


def _callable_export(
    name: str, value: Any, root: SonnetExport, declaration: _SonnetDeclaration
) -> SonnetExport:
    """The `SonnetExport` of one entry of `from_sonnet(callables=...)`."""
    where = f"callables[{name!r}]"
    if not isinstance(value, tuple) or len(value) not in (2, 3):
        raise TypeError(
            f"from_sonnet: {where} must be (target, input_signature) or (target, "
            f"input_signature, training_arg), got {type(value).__name__}"
            + (f" of {len(value)}" if isinstance(value, tuple) else "") + "."
        )
    target, input_signature, training_arg = (*value, declaration.training_arg)[:3]
    module, method = (target, "__call__") if isinstance(target, snt.Module) else _method_of(target)
    if module is None:
        raise TypeError(
            f"from_sonnet: the target of {where} must be an snt.Module or a method of one "
            f"(e.g. module.encode), got {type(target).__name__}."
        )
    training_arg = _build(
        module,
        method,
        input_signature,
        training_arg,
        f"give {where} as (target, input_signature, <its training flag's name, or None>).",
    )
    return SonnetExport(
        module,
        input_signature,
        dataclasses.replace(
            declaration,
            training_arg=training_arg,
            trainable_variables=tuple(root.trainable_variables),
            method=method,
            part=True,
        ),
        None,
        None,
    )


def from_sonnet(
    module: snt.Module,
    *,
    input_signature: Any,
    training_arg: str | None = "is_training",
    regularizers: Mapping[str, Regularizer] | None = None,
    trainable_variables: Sequence[tf.Variable] | None = None,
    tensor_kwargs: Mapping[str, tf.TensorSpec] | None = None,
    python_kwargs: Mapping[str, Sequence[Any]] | None = None,
    callables: Mapping[str, SonnetCallable] | None = None,
) -> rsm.Piece:
    """Returns a Sonnet module as an in-process Reusable SavedModel.

    The module's variables are created (with `snt.build`, which runs no update) if it
    has not been called yet, then `__call__` is traced for `training=False` and `True`
    and every declared kwarg combination. `rsm.save(piece, path)` writes it; the
    Piece's variables are the module's own.

    Regularizers are given as `{name_pattern: regularizer}`: each entry becomes one of
    the `regularization_losses`, `regularizer(variables)` over the trainable variables
    whose Sonnet name (`variable.name` without `:0`, e.g. `mlp/linear_0/w`) matches the
    glob pattern (`fnmatch`, case-sensitive), e.g. `{"*/w": snt.regularizers.L2(1e-4)}`.
    This form is chosen because Sonnet keeps regularizers outside modules and applies
    one regularizer to a list of variables (`l2(module.trainable_variables)`): each entry
    is exactly that call. Names, unlike variable objects, exist before Sonnet creates
    variables on first call, print readably, and can key a dict (`tf.Variable` is
    unhashable). A pattern matching no trainable variable is an error, so typos do not
    silently drop a loss.

    Named callables expose a submodule or a method on its own, e.g.
    `callables={"encoder": (module.encoder, tf.TensorSpec([None, 4], tf.float32))}` gives
    `piece.callables["encoder"]` (`obj.encoder(x, training=False)` once saved). The
    target is an `snt.Module` (called) or a method of one (`module.encode`); a third
    item names its training flag when it differs from `training_arg` (None for one
    without, like `snt.Linear`). A callable takes no extra keyword arguments. It reads
    the module's own variables (saved once); its `trainable_variables` are those of the
    module's it uses, and its regularization losses the `regularizers` entries matching
    any of them, over those.

    Args:
      module: The Sonnet module (or any callable `snt.Module`).
      input_signature: A nest of `tf.TensorSpec` for the positional input (a spec, a
        list or a dict of specs); None for dimensions that vary (the batch).
      training_arg: The name of the module's training flag, passed the protocol's
        `training`; None for modules without one (both traces are then the same). A
        module that has the parameter but refuses it (`snt.nets.MLP` without dropout
        raises on `is_training`) is traced without it, as for None.
      regularizers: `{name_pattern: regularizer}` as described above.
      trainable_variables: The variables to fine-tune, if not all the used variables
        with `trainable=True` (leave out what must not be fine-tuned).
      tensor_kwargs: Extra keyword arguments of the module's call that may be Tensors,
        name -> spec (the module must give each a default).
      python_kwargs: Extra Python-valued keyword arguments, name -> values to trace
        (default first).
      callables: Name -> `(target, input_signature)` or `(target, input_signature,
        training_arg)` as described above. Names are Python identifiers not starting
        with `_`.

    Returns:
      An `rsm.Piece` over a `SonnetExport` (`piece.obj.module` is `module`).

    Raises:
      TypeError: if `module` is not an `snt.Module`, a regularizer key is not a str, or
        a callable is not such a tuple or its target not a module or a module's method.
      ValueError: if `module.__call__` (or a callable's target) has no parameter
        `training_arg` (or refuses it and fails without it), a regularizer pattern matches no trainable variable, a declared
        trainable variable is not used or not trainable, a callable's name is not
        admissible, or a callable uses variables the module's call does not.
    """
    if not isinstance(module, snt.Module):
        raise TypeError(f"from_sonnet expects an snt.Module, got {type(module).__name__}.")
    regularizers = dict(regularizers or {})
    for key in regularizers:
        if not isinstance(key, str):
            raise TypeError(
                f"regularizers keys are variable name patterns (str) such as 'mlp/linear_0/w' "
                f"or '*/w', got {type(key).__name__} {key!r}."
            )
    training_arg = _build(
        module,
        "__call__",
        input_signature,
        training_arg,
        "pass training_arg=<its training flag's name>, or None for a module without one.",
    )
    declaration = _SonnetDeclaration(
        training_arg=training_arg,
        regularizers=regularizers,
        trainable_variables=tuple(trainable_variables) if trainable_variables is not None else None,
    )
    export = SonnetExport(module, input_signature, declaration, tensor_kwargs, python_kwargs)
    export.finalize_reusable()
    export.add_callables(
        callables or {}, lambda name, value: _callable_export(name, value, export, declaration)
    )
    return rsm.Piece(export, name=module.name)
