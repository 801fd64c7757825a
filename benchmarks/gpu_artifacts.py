"""Prepares the GPU run where TensorFlow is: `python -m benchmarks.gpu_artifacts OUT_DIR`.

The GPU machine has JAX and Flax but no TensorFlow. Here each model is exported, converted
with `to_jax`, and its `JaxPiece` saved (a `jax.export` serialization per trace for cpu and
cuda, plus the weights) to `OUT_DIR/<model>`; that loads with JAX alone. Carry OUT_DIR to
the GPU machine and run `python -m benchmarks --device gpu --artifacts OUT_DIR` there.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from benchmarks import cli, models

#: cpu too, so that the GPU side can be tried here (it falls back to the CPU).
PLATFORMS = ("cpu", "cuda")


def prepare(out: Path, names: Sequence[str], platforms: Sequence[str] = PLATFORMS) -> list[Path]:
    """Exports, converts and saves each model; replaces what `out` held for it.

    Args:
      out: The directory to write to.
      names: The models (keys of `models.EXPORTERS`).
      platforms: `jax.export` platforms to serialize for.

    Returns:
      The saved `JaxPiece` directories.
    """
    from reusable_savedmodel.adapters.jax import to_jax

    written = []
    with tempfile.TemporaryDirectory(prefix="rsm-gpu-artifacts-") as tmp:
        for name in names:
            target = out / name
            shutil.rmtree(target, ignore_errors=True)
            written.append(to_jax(str(models.export(name, Path(tmp)))).save(target, platforms=platforms))
    return written


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("out", type=Path, help="directory to write (e.g. benchmarks/results/tmp/gpu)")
    parser.add_argument("--models", nargs="+", default=["tiny_mlp", "mlp", "mobilenet_v2"], choices=list(models.EXPORTERS))


def _execute(args: argparse.Namespace) -> int:
    for path in prepare(args.out, args.models):
        print("wrote", path)
    return 0


main = cli.command(
    "python -m benchmarks.gpu_artifacts", __doc__, _arguments, _execute, uses_tensorflow=lambda args: True
)


if __name__ == "__main__":
    sys.exit(main())
