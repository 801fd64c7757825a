"""Where `rsm.load(path)` and `SonnetModule(path)` spend their time beyond `tf.saved_model.load`.

`python -m benchmarks.load_parts [MODEL] [REPEATS]` exports MODEL (default the ResNet-50
slice) and times, in one process, each step `rsm.load` takes (resolving the handle, the
file checks before loading, the registered-op check, wrapping the loaded object),
`tf.saved_model.load` itself, and building a `SonnetModule` on an already loaded piece;
prints each one's median over REPEATS (default 6) in ms.
"""

from __future__ import annotations

import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import models


def _median_ms(call: Callable[[], Any], repeats: int) -> float:
    seconds = []
    for _ in range(repeats):
        gc.collect()  # as the load benchmark does: no earlier load's garbage in this one's time
        start = time.perf_counter()
        call()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds) * 1e3


def main(model: str = models.RESNET_MODEL, repeats: int = 6) -> None:
    """Prints the medians.

    Args:
      model: A key of `models.EXPORTERS`.
      repeats: Timed calls of each step.
    """
    import tensorflow as tf

    from reusable_savedmodel import interface as rsm
    from reusable_savedmodel.adapters.sonnet import SonnetModule
    from reusable_savedmodel.interface import _loading as steps

    with tempfile.TemporaryDirectory() as directory:
        text = str(models.export(model, Path(directory)))
        path = steps.resolve(text)
        proto = steps.check_before_load(path, text)
        obj, piece = tf.saved_model.load(text), rsm.load(text)
        parts = {
            "resolve": lambda: steps.resolve(text),
            "check_before_load": lambda: steps.check_before_load(path, text),
            "require_ops": lambda: steps.require_ops(proto, text),
            "Piece(loaded object)": lambda: steps.Piece(obj, handle=text),
            "SonnetModule(loaded piece)": lambda: SonnetModule(piece),
            "tf.saved_model.load": lambda: tf.saved_model.load(text),
        }
        for name, call in parts.items():
            print(f"{name:28s} {_median_ms(call, repeats):9.1f} ms")


if __name__ == "__main__":
    main(*sys.argv[1:2], *(int(a) for a in sys.argv[2:3]))
