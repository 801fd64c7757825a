"""The handle kinds, registered in one place: one resolver per kind, plug-ins included.

A resolver turns a parsed handle into the local SavedModel directory it names (`Resolver`).
The built-in kinds are listed in `BUILTIN`, in the order they are asked. Other
distributions add kinds without patching this library, through the entry-point group
`reusable_savedmodel.resolvers`: each entry names a class (or any zero-argument callable)
that makes a resolver, e.g. in pyproject.toml

    [project.entry-points."reusable_savedmodel.resolvers"]
    corp = "corp_hub:CorpResolver"

Plug-ins are asked first, in the order of their names, so that one may also claim http(s)
URLs of its own host; the local path kind, last, takes whatever no other kind claims. The
entry points are read, and the plug-ins imported, on the first resolve, once per process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib.metadata
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from reusable_savedmodel.interface._errors import ResolverPluginError, ReusableError
from reusable_savedmodel.interface.handles import _huggingface as huggingface
from reusable_savedmodel.interface.handles import _kaggle as kaggle
from reusable_savedmodel.interface.handles import _local as local
from reusable_savedmodel.interface.handles import _web as web
from reusable_savedmodel.interface.handles._parsed import ParsedHandle

#: The entry-point group of handle kinds from other distributions.
ENTRY_POINT_GROUP = "reusable_savedmodel.resolvers"


@runtime_checkable
class Resolver(Protocol):
    """One handle kind: which handles it takes, and how it makes them a local directory."""

    def supports(self, handle: ParsedHandle) -> bool:
        """Whether this kind resolves `handle`: cheap, no I/O, raises nothing for other kinds."""
        ...

    def resolve(self, handle: ParsedHandle, **options: Any) -> Path:
        """The local SavedModel directory `handle` names, fetched first if need be.

        Args:
          handle: A handle `supports` accepted.
          **options: The keyword arguments `rsm.resolve` got (`sha256`, `timeout`,
            `retries`, `progress`, `offline`); refuse those the kind cannot honor with a
            `HandleError`.

        Returns:
          The directory holding `saved_model.pb` (checked by the caller).
        """
        ...


@runtime_checkable
class CacheNaming(Protocol):
    """A kind whose downloads go into this library's cache (`rsm cache verify|clear HANDLE`)."""

    def cache_name(self, handle: ParsedHandle) -> str:
        """The name of `handle`'s cache entry, the same for every form of one model."""
        ...


#: The built-in kinds, in the order they are asked (after the plug-ins): the most specific
#: first (Kaggle's URLs are http(s) URLs); the local path kind takes whatever is left.
BUILTIN: tuple[Resolver, ...] = (
    huggingface.HfResolver(),
    kaggle.KaggleResolver(),
    web.HttpResolver(),
    local.FileUrlResolver(),
    local.LocalResolver(),
)


@dataclasses.dataclass(frozen=True)
class Plugin:
    """A resolver from an entry point: whatever it does wrong is an error that names it.

    Attributes:
      entry_point: Where it was registered.
      resolver: What the entry point made.
    """

    entry_point: importlib.metadata.EntryPoint
    resolver: Resolver

    @contextlib.contextmanager
    def _blamed(self, what: str, handle: ParsedHandle) -> Iterator[None]:
        try:
            yield
        except ReusableError:
            raise  # the plug-in's own account of a bad handle or a failed download
        except Exception as error:
            raise ResolverPluginError(
                f"{handle.text!r}: the resolver plug-in {_describe(self.entry_point)} failed in "
                f"{what}(): {type(error).__name__}: {error}"
            ) from error

    def supports(self, handle: ParsedHandle) -> bool:
        """Whether the plug-in takes `handle`."""
        with self._blamed("supports", handle):
            return bool(self.resolver.supports(handle))

    def resolve(self, handle: ParsedHandle, **options: Any) -> Path:
        """The plug-in's directory for `handle`.

        Raises:
          ResolverPluginError: if the plug-in raises anything but a `ReusableError`, or
            returns no path.
        """
        with self._blamed("resolve", handle):
            path = self.resolver.resolve(handle, **options)
        if not isinstance(path, (str, os.PathLike)):
            raise ResolverPluginError(
                f"{handle.text!r}: the resolver plug-in {_describe(self.entry_point)} returned "
                f"{type(path).__name__}; expected the path of a SavedModel directory."
            )
        return Path(path)


def _describe(entry_point: importlib.metadata.EntryPoint) -> str:
    """`'corp = corp_hub:CorpResolver' (from corp-hub 1.0, group reusable_savedmodel.resolvers)`."""
    dist = entry_point.dist
    source = f"from {dist.name} {dist.version}, " if dist is not None else ""
    return f"'{entry_point.name} = {entry_point.value}' ({source}group {ENTRY_POINT_GROUP})"


def _load(entry_point: importlib.metadata.EntryPoint) -> Plugin:
    """Imports an entry point and makes its resolver.

    Raises:
      ResolverPluginError: if it cannot be imported or called, or makes no `Resolver`.
    """
    try:
        resolver = entry_point.load()()
    except Exception as error:  # any failure of foreign code: named, chained
        raise ResolverPluginError(
            f"The resolver plug-in {_describe(entry_point)} could not be loaded: "
            f"{type(error).__name__}: {error}. Fix or uninstall its distribution."
        ) from error
    if not isinstance(resolver, Resolver):
        raise ResolverPluginError(
            f"The resolver plug-in {_describe(entry_point)} made a {type(resolver).__name__}; "
            f"expected a resolver, with supports(handle) and resolve(handle, **options)."
        )
    return Plugin(entry_point, resolver)


@functools.cache
def plugins() -> tuple[Plugin, ...]:
    """The installed plug-ins, by entry-point name: loaded on first call, once per process.

    Raises:
      ResolverPluginError: naming the first plug-in that cannot be loaded (not cached: the
        next call tries again).
    """
    entry_points = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    return tuple(_load(ep) for ep in sorted(entry_points, key=lambda ep: (ep.name, ep.value)))


def resolvers() -> tuple[Resolver, ...]:
    """Every resolver, in the order they are asked: the plug-ins, then the built-in kinds."""
    return (*plugins(), *BUILTIN)


def resolver_for(handle: ParsedHandle) -> Resolver:
    """The first resolver that supports `handle` (the local path kind takes any handle).

    Raises:
      ResolverPluginError: if a plug-in cannot be loaded or fails to answer.
    """
    return next(r for r in resolvers() if r.supports(handle))

