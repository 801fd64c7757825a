"""`rsm.scan`: the front that turns a handle or an object into a directory for the scanner."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import tensorflow as tf

from reusable_savedmodel.interface._piece import Piece
from reusable_savedmodel.interface.handles import resolve
from reusable_savedmodel.interface.scanner import ScanReport, scan_directory


def scan(x: Any, **remote_options: Any) -> ScanReport:
    """Flags every op in a model's graphs that is not reviewed pure computation.

    Args:
      x: A handle (directory, `file://`, archive or http(s) URL), a Piece, or a loaded or
        in-process object. Handles are scanned before anything is loaded; objects without
        a handle are saved to a temporary directory first.
      **remote_options: Options for remote handles (`sha256`, `timeout`, ...).

    Returns:
      A `ScanReport`; `report.raise_if_unsafe()` refuses a model with any finding.

    Raises:
      HandleError: if a handle names no readable SavedModel.
      DownloadError: if a remote handle cannot be fetched.
    """
    if isinstance(x, Piece) and x.handle is not None:
        x = x.handle
    if isinstance(x, (str, os.PathLike)):
        return scan_directory(resolve(x, **remote_options), os.fspath(x))
    obj = x.obj if isinstance(x, Piece) else x
    with tempfile.TemporaryDirectory(prefix="rsm-scan-") as tmp:
        tf.saved_model.save(obj, tmp)
        return scan_directory(Path(tmp), target=f"in-process {type(obj).__name__}")
