"""Keeping framework start-up logs out of the CLI's output (unless `--verbose`).

TensorFlow and XLA print C++ log lines while TensorFlow is imported (CUDA probing, CPU
feature notices, absl's own banner) before any Python setting can reach them, and Python
loggers (`tensorflow`, `absl`) warn about things the CLI already reports. The CLI sets the
log levels before anything imports TensorFlow, and imports TensorFlow once with the
process's native stderr pointed at /dev/null; Python's own errors are printed after the
import, so they are never hidden.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator

#: Environment variables that quiet the frameworks' native logging (kept if already set).
QUIET_ENVIRONMENT = {
    "TF_CPP_MIN_LOG_LEVEL": "3",  # TensorFlow C++: errors only from fatal
    "GRPC_VERBOSITY": "ERROR",
    "ABSL_MIN_LOG_LEVEL": "3",
}


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Points file descriptor 2 at /dev/null inside the block (C++ logs write there)."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def quiet_frameworks() -> None:
    """Silences framework start-up logs for the rest of the process.

    Call before anything imports TensorFlow. Warnings from the library itself (the
    `reusable_savedmodel` loggers) still show.
    """
    for name, value in QUIET_ENVIRONMENT.items():
        os.environ.setdefault(name, value)
    with native_stderr_silenced():
        import tensorflow  # noqa: F401  (its import is what prints)
    for name in ("tensorflow", "absl", "jax._src.xla_bridge", "h5py"):
        logging.getLogger(name).setLevel(logging.ERROR)
