"""Scan speed: seconds of `rsm.scan` per MB of `saved_model.pb`: `python -m benchmarks.scan_speed`.

Measured on a generated large graph (many vocabulary tables, whose asset checks once made
the scan's cost grow with readers x nodes, and a deep stack of nested functions) and on
the benchmark model with the largest `saved_model.pb` (`benchmarks.models`). Writes
`results/scan.json`, which `python -m benchmarks.check` reads beside `latest.json`
(target: at most `TARGET_S_PER_MB`).
"""

from __future__ import annotations

import argparse
import functools
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import cli, models
from benchmarks.run import RESULTS

#: The scan-speed target, in seconds per MB of `saved_model.pb`.
TARGET_S_PER_MB = 1.0
#: The generated graph's name in the results.
GENERATED = "generated: 300 tables, 300 functions"
#: The benchmark model with the largest `saved_model.pb`.
REAL_MODEL = "mobilenet_v2"


def export_large_graph(path: Path, tables: int = 300, layers: int = 300) -> Path:
    """Saves a model with `tables` vocabulary tables and `layers` tf.functions.

    Args:
      path: Where the SavedModel goes.
      tables: Text-file lookup tables (asset readers), all used by `__call__`.
      layers: Dense layers, each its own tf.function (a library function of its own).

    Returns:
      `path`.
    """
    import tensorflow as tf

    with tempfile.TemporaryDirectory(prefix="rsm-scan-bench-") as tmp:
        vocabulary = Path(tmp) / "vocab.txt"
        vocabulary.write_text("".join(f"word{i}\n" for i in range(16)))

        class Large(tf.Module):
            def __init__(self) -> None:
                super().__init__()
                self.tables = [
                    tf.lookup.StaticHashTable(
                        tf.lookup.TextFileInitializer(
                            str(vocabulary), tf.string, tf.lookup.TextFileIndex.WHOLE_LINE,
                            tf.int64, tf.lookup.TextFileIndex.LINE_NUMBER,
                        ),
                        -1,
                    )
                    for _ in range(tables)
                ]
                self.weights = [tf.Variable(tf.eye(8)) for _ in range(layers)]
                # Held in a closure, not as attributes: only `__call__` reaches them.
                dense = [tf.function(lambda x, w=w: tf.nn.relu(x @ w)) for w in self.weights]
                self._stack = lambda x: functools.reduce(lambda y, f: f(y), dense, x)

            @tf.function(input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([None, 8], tf.float32)])
            def __call__(self, words, x):
                ids = tf.add_n([tf.cast(t.lookup(words), tf.float32) for t in self.tables])
                return self._stack(x) + ids[:, None]

        tf.saved_model.save(Large(), str(path))
    return path


def seconds_per_mb(path: Path, repeats: int = 3) -> dict[str, Any]:
    """Times `rsm.scan` on a SavedModel (best of `repeats`, after one untimed scan) per MB.

    Args:
      path: The SavedModel.
      repeats: How many scans to time.

    Returns:
      `mb`, `seconds` (the fastest scan), `s_per_mb`, and the scan's `nodes` and `functions`.
    """
    from reusable_savedmodel import interface as rsm

    report = rsm.scan(path)  # untimed: the first scan imports TensorFlow
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        rsm.scan(path)
        times.append(time.perf_counter() - start)
    mb = (path / "saved_model.pb").stat().st_size / 1e6
    return {
        "mb": mb,
        "seconds": min(times),
        "s_per_mb": min(times) / mb,
        "nodes": report.nodes,
        "functions": report.functions,
    }


def rows(workdir: Path) -> list[dict[str, Any]]:
    """Scan speed on the generated graph and on `REAL_MODEL`, exported under `workdir`."""
    generated = export_large_graph(workdir / "large_graph")
    return [
        {"model": GENERATED, **seconds_per_mb(generated)},
        {"model": REAL_MODEL, **seconds_per_mb(models.export(REAL_MODEL, workdir))},
    ]


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=RESULTS / "scan.json")


def _execute(args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="rsm-bench-") as tmp:
        results = rows(Path(tmp))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"target_s_per_mb": TARGET_S_PER_MB, "rows": results}, indent=1) + "\n")
    for row in results:
        print(f"{row['model']}: {row['s_per_mb']:.3f} s/MB ({row['seconds']:.2f} s, {row['mb']:.2f} MB, "
              f"{row['nodes']} nodes in {row['functions']} graphs)")
    return 0


main = cli.command("python -m benchmarks.scan_speed", __doc__, _arguments, _execute, uses_tensorflow=lambda args: True)


if __name__ == "__main__":
    raise SystemExit(main())
