"""The value an attribute has when its op runs: placeholders resolved through the caller.

Inside a library function, an attribute may be a placeholder (`AttrValue.placeholder`) that
the runtime fills in when it instantiates the function for one call. Where the values come
from depends on the runtime path: the attribute map of the function-valued attribute that
names the callee (`PartitionedCall.f`, `If.then_branch`, `While.body`, `Case.branches`, ...)
or the calling node's own attributes (a direct call, whose op is the function's name, and a
call op that the runtime inlines). Both are taken as possible bindings.

A binding (`Env`) maps placeholder names to values already resolved in the caller. A value
that is still a placeholder after resolution (unbound, or bound to the caller's own unbound
placeholder) is *unresolvable*: TensorFlow would fail to instantiate the function, but the
scanner treats it as unsafe for every op whose safety depends on that attribute.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tensorflow.core.framework import attr_value_pb2, node_def_pb2

from reusable_savedmodel.interface import _compat as compat

AttrValue = attr_value_pb2.AttrValue
#: Placeholder name -> the value one caller binds it to.
Env = Mapping[str, AttrValue]
#: The binding of a function nobody binds anything for (every placeholder unresolvable).
EMPTY: Env = {}
#: A hashable form of an `Env`, to judge each distinct binding once.
EnvKey = tuple[tuple[str, bytes], ...]


def is_resolved(value: AttrValue) -> bool:
    """Whether a value holds no placeholder, also inside function-valued attributes."""
    kind = value.WhichOneof("value")
    if kind == "placeholder":
        return False
    if kind == "func":
        return all(is_resolved(v) for v in value.func.attr.values())
    if kind == "list" and value.list.func:
        return all(is_resolved(v) for f in value.list.func for v in f.attr.values())
    return True


def resolve(value: AttrValue, env: Env) -> AttrValue:
    """The value with its placeholders replaced by what `env` binds (unbound ones stay).

    Args:
      value: An attribute value of a node inside the function `env` binds.
      env: The binding of that function's placeholders.

    Returns:
      `value` itself when it holds no placeholder, else a resolved copy.
    """
    if is_resolved(value):
        return value
    if value.WhichOneof("value") == "placeholder":
        # A bound value was resolved in the caller already: never resolve it twice.
        return env.get(value.placeholder, value)
    resolved = AttrValue()
    resolved.CopyFrom(value)
    functions = [resolved.func] if resolved.WhichOneof("value") == "func" else list(resolved.list.func)
    for function in functions:
        for name, inner in function.attr.items():
            function.attr[name].CopyFrom(resolve(inner, env))
    return resolved


def placeholder_names(values: Iterable[AttrValue]) -> set[str]:
    """Every placeholder name used in `values`, also inside function-valued attributes."""
    names: set[str] = set()
    pending = list(values)
    while pending:
        value = pending.pop()
        kind = value.WhichOneof("value")
        if kind == "placeholder":
            names.add(value.placeholder)
        elif kind == "func":
            pending += value.func.attr.values()
        elif kind == "list" and value.list.func:
            pending += [v for f in value.list.func for v in f.attr.values()]
    return names


def bind(source: Mapping[str, AttrValue], env: Env, wanted: set[str]) -> dict[str, AttrValue]:
    """The binding a caller passes: `source` resolved in the caller's `env`, cut to `wanted`.

    Args:
      source: The attribute map that binds the callee (a call's `f.attr`, or the call
        node's own attributes).
      env: The caller's binding.
      wanted: The placeholder names the callee uses (others cannot matter).

    Returns:
      Name -> resolved value for the wanted names that `source` binds.
    """
    # Loop over the smaller side: a callee using many names must not cost that much per call.
    names = wanted if len(wanted) <= len(source) else [n for n in source if n in wanted]
    return {name: resolve(source[name], env) for name in names if name in source}


def key(env: Env) -> EnvKey:
    """A hashable form of a binding."""
    return tuple(sorted((n, v.SerializeToString(deterministic=True)) for n, v in env.items()))


def effective(node: node_def_pb2.NodeDef, name: str, envs: Iterable[Env]) -> list[AttrValue | None]:
    """The values attribute `name` of `node` takes, one per binding; None where unresolvable.

    Args:
      node: A node of a function (or of the top-level graph).
      name: The attribute.
      envs: The bindings its function is reached with.

    Returns:
      For each binding, the effective value: the node's value with placeholders resolved,
      or the op's registered default when the node leaves it unset; None where a
      placeholder stays unbound or the attribute has no value at all.
    """
    if name not in node.attr:  # membership first: indexing a proto map inserts an entry
        default = compat.attr_default(node.op, name)
        return [default for _ in envs]
    value = node.attr[name]
    return [v if is_resolved(v := resolve(value, env)) else None for env in envs]
