"""The graph security scan of a SavedModel directory, before TensorFlow loads anything.

The scan takes a directory and knows nothing of handles or pieces: `rsm.scan` (in
`interface/_scanning.py`) resolves a handle, or saves an in-process object, and hands the
directory here. `scan_directory` and `enforce` are the room's entry points;
`check_before_load` (the files `rsm.load` checks, `saved_model.pb` parsed once) and
`require_contained`/`saved_model_dir` (no link out of the directory, for `rsm.save`) are
the file checks run before TensorFlow reads a model; `SAVED_MODEL_FILES` names the file
that makes a directory a SavedModel. The names below are this package's
public surface; its modules are internal. Each is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reusable_savedmodel.interface._lazy import lazy_names

if TYPE_CHECKING:
    from reusable_savedmodel.interface.scanner._allowlist_scan import (
        ScanFinding,
        ScanReport,
        enforce,
        scan_directory,
    )
    from reusable_savedmodel.interface.scanner._contained_files import (
        SAVED_MODEL_FILES,
        require_contained,
        saved_model_dir,
    )
    from reusable_savedmodel.interface.scanner._saved_model_files import check_before_load

__getattr__, __dir__ = lazy_names(
    __name__,
    {
        **dict.fromkeys(
            ("ScanFinding", "ScanReport", "enforce", "scan_directory"),
            "reusable_savedmodel.interface.scanner._allowlist_scan",
        ),
        **dict.fromkeys(
            ("SAVED_MODEL_FILES", "require_contained", "saved_model_dir"),
            "reusable_savedmodel.interface.scanner._contained_files",
        ),
        "check_before_load": "reusable_savedmodel.interface.scanner._saved_model_files",
    },
)

__all__ = [
    "SAVED_MODEL_FILES",
    "ScanFinding",
    "ScanReport",
    "check_before_load",
    "enforce",
    "require_contained",
    "saved_model_dir",
    "scan_directory",
]
