"""`ReusableModule`: write a Reusable SavedModel in plain TensorFlow."""

from __future__ import annotations

import dataclasses
import itertools
import keyword
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import tensorflow as tf

from reusable_savedmodel.interface import _tf_functions as tf_functions
from reusable_savedmodel.interface._protocol import FRAMEWORK_INTERNALS, LIST_ATTRIBUTES, Structure

# Names a named callable may not take: the protocol's own attributes, and those `Piece`
# skips when it looks for named callables.
_RESERVED = frozenset({*LIST_ATTRIBUTES, "signatures", *FRAMEWORK_INTERNALS})


@dataclasses.dataclass(frozen=True)
class _Declaration:
    """What the author declared; a plain object so that tracking ignores it."""

    input_signature: Any
    tensor_kwargs: Mapping[str, tf.TensorSpec]
    python_kwargs: Mapping[str, tuple[Any, ...]]


class ReusableModule(tf.__internal__.tracking.AutoTrackable):
    """Base class for authors of Reusable SavedModels in plain TensorFlow.

    Subclasses create their variables in `__init__` (after calling this one) and implement
    `call(inputs, training=False, **kwargs)`. The instance then has everything the protocol
    asks for: `__call__`, a `tf.function` traced for both `training` values and every
    declared kwarg combination; `variables` (all variables the traces use);
    `trainable_variables` (see `select_trainable_variables`); `regularization_losses` (from
    `regularization`). The lists are made on first use (or by `finalize_reusable`), once
    the subclass has created its variables. Named callables are attributes that are
    themselves `ReusableModule`s (one level); `add_callables` attaches them.

    Example:
      class Scale(rsm.ReusableModule):
        def __init__(self):
          super().__init__(tf.TensorSpec([None], tf.float32))
          self.w = tf.Variable(2.0)

        def call(self, inputs, training=False):
          return inputs * self.w

    Args:
      input_signature: A nest of `tf.TensorSpec` for the positional `inputs` (a spec, a
        list of specs or a dict of specs). Use None for dimensions that vary (the batch).
      tensor_kwargs: Keyword arguments of `call` that may be passed as Tensors, name ->
        spec. `call` must give each a Python default; a trace is made with and without it.
      python_kwargs: Keyword arguments that are Python values, name -> the values to trace
        (e.g. `{"return_hidden": (False, True)}`); the first is expected to be the default.
    """

    def __init__(
        self,
        input_signature: Any,
        *,
        tensor_kwargs: Mapping[str, tf.TensorSpec] | None = None,
        python_kwargs: Mapping[str, Sequence[Any]] | None = None,
    ):
        super().__init__()
        self._declaration = _Declaration(
            input_signature=input_signature,
            tensor_kwargs=dict(tensor_kwargs or {}),
            python_kwargs={k: tuple(v) for k, v in (python_kwargs or {}).items()},
        )
        self._finalized = False
        # Saved as the `__call__` attribute; the class-level `__call__` forwards to it so
        # the instance is callable in process too.
        self.__call__ = tf.function(self.call)  # type: ignore[method-assign]  # tf.Module saves instance attributes

    def __call__(self, inputs: Structure, training: bool = False, **kwargs: Any) -> Structure:  # noqa: D102
        return self.__dict__["__call__"](inputs, training=training, **kwargs)

    def call(self, inputs: Structure, training: bool = False) -> Structure:
        """The forward pass. Subclasses implement it.

        A subclass adds the declared extra keyword arguments (`tensor_kwargs`,
        `python_kwargs`) as parameters with Python defaults.

        Args:
          inputs: As declared by `input_signature`.
          training: A Python bool: whether to run in training mode (dropout, batch norm).

        Returns:
          A Tensor, a list of Tensors or a dict of Tensors.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement call(inputs, training)")

    def select_trainable_variables(self, variables: Sequence[tf.Variable]) -> Sequence[tf.Variable]:
        """Chooses `trainable_variables` from `variables`; by default those with `trainable=True`.

        Override to leave out variables that must not be fine-tuned.
        """
        return [v for v in variables if v.trainable]

    def regularization(self) -> Sequence[Callable[[], tf.Tensor]]:
        """Returns zero-argument callables giving scalar float losses; none by default."""
        return []

    @property
    def input_signature(self) -> Any:
        """The declared input signature."""
        return self._declaration.input_signature

    def __getattr__(self, name: str) -> Any:
        # Only reached for attributes not yet set: the lists before finalization.
        if name in LIST_ATTRIBUTES and not self.__dict__.get("_finalized", True):
            self.finalize_reusable()
            return getattr(self, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def finalize_reusable(self) -> None:
        """Traces `__call__` for every declared combination and sets the three lists.

        Called on first access to a list, by `rsm.as_piece` and by `rsm.save`; calling it
        again does nothing.
        """
        if self._finalized:
            return
        function = self.__dict__["__call__"]
        for kwargs in self._kwarg_combinations():
            for training in (False, True):
                function.get_concrete_function(
                    self._declaration.input_signature, training=training, **kwargs
                )
        for value in list(vars(self).values()):
            if isinstance(value, ReusableModule):
                value.finalize_reusable()
        variables = tf_functions.captured_variables(function)
        self._finalized = True
        self.variables = variables
        self.trainable_variables = list(self.select_trainable_variables(variables))
        self.regularization_losses = [
            loss if tf_functions.is_tf_function(loss) else tf.function(loss, input_signature=[])
            for loss in self.regularization()
        ]

    def add_callables(
        self,
        callables: Mapping[str, Any],
        make: Callable[[str, Any], ReusableModule] | None = None,
    ) -> None:
        """Attaches named callables that share this module's variables.

        Each becomes the public attribute `name`, which `Piece.callables` lists and
        `tf.saved_model.save` stores; variables they share with this module are saved
        once. All names are checked before any callable is made; this module and the
        callables are then finalized, to compare their variables.

        Args:
          callables: Name -> a `ReusableModule` whose traces read only variables of this
            module (a sub-part of it), or what `make` turns into one. Names are Python
            identifiers that do not start with `_` and are neither keywords, protocol
            attributes (`variables`, `trainable_variables`, `regularization_losses`,
            `signatures`) nor attributes this module already has.
          make: `make(name, value) -> ReusableModule`, for producers that take a
            framework's own description of each callable; None if the values already
            are `ReusableModule`s.

        Raises:
          TypeError: if a name is not a str, or a callable is not a `ReusableModule`.
          ValueError: if a name is not admissible, or a callable uses variables this
            module does not (or trains variables this module does not train).
        """
        for name in callables:
            self._check_callable_name(name)
        made = {name: make(name, v) if make else v for name, v in callables.items()}
        self.finalize_reusable()
        variables = {id(v) for v in self.variables}
        trainable = {id(v) for v in self.trainable_variables}
        for name, sub in made.items():
            if not isinstance(sub, ReusableModule):
                raise TypeError(
                    f"named callable {name!r}: expected a ReusableModule, got {type(sub).__name__}."
                )
            sub.finalize_reusable()
            # A callable with variables of its own would be saved with weights the root
            # does not fine-tune: it must be a part of this module.
            foreign = [v.name for v in sub.variables if id(v) not in variables]
            if foreign:
                raise ValueError(
                    f"named callable {name!r} must share the variables of "
                    f"{type(self).__name__}, but it also uses {', '.join(foreign)}."
                )
            untrained = [v.name for v in sub.trainable_variables if id(v) not in trainable]
            if untrained:
                raise ValueError(
                    f"named callable {name!r} would train {', '.join(untrained)}, which "
                    f"{type(self).__name__} does not train."
                )
        for name, sub in made.items():
            setattr(self, name, sub)

    def _check_callable_name(self, name: Any) -> None:
        """Raises unless `name` can be a named callable of this module."""
        if not isinstance(name, str):
            raise TypeError(f"named callable names are str, got {type(name).__name__} {name!r}.")
        if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
            raise ValueError(
                f"named callable {name!r}: expected a Python identifier not starting with "
                f"'_' (it becomes an attribute, e.g. obj.encoder)."
            )
        if name in _RESERVED or name in dir(self):
            raise ValueError(
                f"named callable {name!r} clashes with an attribute of "
                f"{type(self).__name__} or of the protocol; choose another name."
            )

    def _kwarg_combinations(self) -> list[dict[str, Any]]:
        tensor_names = list(self._declaration.tensor_kwargs)
        python_items = list(self._declaration.python_kwargs.items())
        combos = []
        for present in itertools.product((False, True), repeat=len(tensor_names)):
            tensors = {
                n: self._declaration.tensor_kwargs[n] for n, p in zip(tensor_names, present) if p
            }
            for values in itertools.product(*(v for _, v in python_items)):
                combos.append({**tensors, **{k: v for (k, _), v in zip(python_items, values)}})
        return combos
