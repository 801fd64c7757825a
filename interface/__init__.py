"""reusable_savedmodel.interface: the framework-neutral core.

`from reusable_savedmodel import interface as rsm`, then `rsm.load`, `rsm.Piece`,
`rsm.check`, `rsm.save`, `rsm.ReusableModule`. Imports TensorFlow and nothing from Keras,
Sonnet, JAX or Flax; TensorFlow itself is imported on first use of a name that needs it,
so importing this package (or its errors) is cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from reusable_savedmodel.interface.errors import (
    CheckFailedError,
    DownloadError,
    HandleError,
    InputMismatchError,
    MissingExtraError,
    MissingOpError,
    NonConformingError,
    ReusableError,
    UnsafeModelError,
    UnsupportedError,
)

if TYPE_CHECKING:
    from reusable_savedmodel.interface.authoring import ReusableModule
    from reusable_savedmodel.interface.conformance import (
        RULES,
        Finding,
        Report,
        Rule,
        Severity,
        check,
    )
    from reusable_savedmodel.interface.handles.resolve import resolve
    from reusable_savedmodel.interface.loading import as_piece, load
    from reusable_savedmodel.interface.piece import Piece
    from reusable_savedmodel.interface.protocol import (
        ReusableCallable,
        ReusableSavedModel,
        Structure,
    )
    from reusable_savedmodel.interface.saving import save
    from reusable_savedmodel.interface.scanner.allowlist_scan import ScanFinding, ScanReport
    from reusable_savedmodel.interface.scanning import scan
    from reusable_savedmodel.interface.spec import (
        CallSpec,
        KwargSpec,
        PieceSpec,
        SignatureSpec,
        TraceSpec,
    )

#: Public name -> the module (under this package) that defines it. No module may share a
#: public name: importing a submodule binds its name on the package, hiding the lazy one.
_LAZY = {
    "ReusableModule": "authoring",
    **dict.fromkeys(("RULES", "Finding", "Report", "Rule", "Severity", "check"), "conformance"),
    "resolve": "handles.resolve",
    **dict.fromkeys(("ScanFinding", "ScanReport"), "scanner.allowlist_scan"),
    "scan": "scanning",
    **dict.fromkeys(("as_piece", "load"), "loading"),
    "Piece": "piece",
    **dict.fromkeys(("ReusableCallable", "ReusableSavedModel", "Structure"), "protocol"),
    "save": "saving",
    **dict.fromkeys(("CallSpec", "KwargSpec", "PieceSpec", "SignatureSpec", "TraceSpec"), "spec"),
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


__all__ = [
    "RULES",
    "CallSpec",
    "CheckFailedError",
    "DownloadError",
    "Finding",
    "HandleError",
    "InputMismatchError",
    "MissingExtraError",
    "MissingOpError",
    "KwargSpec",
    "NonConformingError",
    "Piece",
    "PieceSpec",
    "Report",
    "ReusableCallable",
    "ReusableError",
    "ReusableModule",
    "ReusableSavedModel",
    "Rule",
    "ScanFinding",
    "ScanReport",
    "Severity",
    "SignatureSpec",
    "Structure",
    "TraceSpec",
    "UnsafeModelError",
    "UnsupportedError",
    "as_piece",
    "check",
    "load",
    "resolve",
    "save",
    "scan",
]
