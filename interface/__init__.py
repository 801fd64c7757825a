"""reusable_savedmodel.interface: the framework-neutral core.

`from reusable_savedmodel import interface as rsm`, then `rsm.load`, `rsm.Piece`,
`rsm.check`, `rsm.save`, `rsm.ReusableModule`. Imports TensorFlow and nothing from Keras,
Sonnet, JAX or Flax.
"""

from reusable_savedmodel.interface.authoring import ReusableModule
from reusable_savedmodel.interface.check import RULES, Finding, Report, Rule, Severity, check
from reusable_savedmodel.interface.errors import (
    CheckFailedError,
    DownloadError,
    HandleError,
    InputMismatchError,
    NonConformingError,
    ReusableError,
    UnsafeModelError,
)
from reusable_savedmodel.interface.handles.scanning import ScanFinding, ScanReport, scan
from reusable_savedmodel.interface.loading import as_piece, load, resolve
from reusable_savedmodel.interface.piece import Piece
from reusable_savedmodel.interface.protocol import ReusableCallable, ReusableSavedModel, Structure
from reusable_savedmodel.interface.saving import save
from reusable_savedmodel.interface.spec import (
    CallSpec,
    KwargSpec,
    PieceSpec,
    SignatureSpec,
    TraceSpec,
)

__all__ = [
    "RULES",
    "CallSpec",
    "CheckFailedError",
    "DownloadError",
    "Finding",
    "HandleError",
    "InputMismatchError",
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
    "as_piece",
    "check",
    "load",
    "resolve",
    "save",
    "scan",
]
