"""reusable_savedmodel.interface: the framework-neutral core.

`from reusable_savedmodel import interface as rsm`, then `rsm.load`, `rsm.Piece`,
`rsm.check`, `rsm.save`, `rsm.ReusableModule`. Imports TensorFlow and nothing from Keras,
Sonnet, JAX or Flax; TensorFlow itself is imported on first use of a name that needs it,
so importing this package (or its errors) is cheap.

The names below (`__all__`) are the core's public surface, and `kit` the one module
adapters import besides; every other module here is internal and may move.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reusable_savedmodel.interface._errors import (
    CheckFailedError,
    DownloadError,
    HandleError,
    InputMismatchError,
    MissingExtraError,
    MissingOpError,
    NonConformingError,
    ResolverPluginError,
    ReusableError,
    UnsafeModelError,
    UnsupportedError,
)
from reusable_savedmodel.interface._lazy import lazy_names

if TYPE_CHECKING:
    from reusable_savedmodel.interface._authoring import ReusableModule
    from reusable_savedmodel.interface._conformance import (
        RULES,
        Finding,
        Report,
        Rule,
        Severity,
        check,
    )
    from reusable_savedmodel.interface._loading import as_piece, load
    from reusable_savedmodel.interface._piece import Piece
    from reusable_savedmodel.interface._protocol import (
        ReusableCallable,
        ReusableSavedModel,
        Structure,
    )
    from reusable_savedmodel.interface._saving import save
    from reusable_savedmodel.interface._scanning import scan
    from reusable_savedmodel.interface._spec import (
        CallSpec,
        KwargSpec,
        PieceSpec,
        SignatureSpec,
        TraceSpec,
    )
    from reusable_savedmodel.interface.handles import resolve
    from reusable_savedmodel.interface.scanner import ScanFinding, ScanReport

#: Public name -> the module that defines it (imported on first use of the name). No module
#: of this package may share a public name: importing a submodule binds its name on the
#: package, hiding the lazy one.
__getattr__, __dir__ = lazy_names(
    __name__,
    {
        "ReusableModule": "reusable_savedmodel.interface._authoring",
        **dict.fromkeys(
            ("RULES", "Finding", "Report", "Rule", "Severity", "check"),
            "reusable_savedmodel.interface._conformance",
        ),
        "resolve": "reusable_savedmodel.interface.handles",
        **dict.fromkeys(("ScanFinding", "ScanReport"), "reusable_savedmodel.interface.scanner"),
        "scan": "reusable_savedmodel.interface._scanning",
        **dict.fromkeys(("as_piece", "load"), "reusable_savedmodel.interface._loading"),
        "Piece": "reusable_savedmodel.interface._piece",
        **dict.fromkeys(
            ("ReusableCallable", "ReusableSavedModel", "Structure"),
            "reusable_savedmodel.interface._protocol",
        ),
        "save": "reusable_savedmodel.interface._saving",
        **dict.fromkeys(
            ("CallSpec", "KwargSpec", "PieceSpec", "SignatureSpec", "TraceSpec"),
            "reusable_savedmodel.interface._spec",
        ),
    },
)


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
    "ResolverPluginError",
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
