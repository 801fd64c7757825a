"""The adapter issues' targets, met or missed: `python -m benchmarks.check [RESULTS]`.

Reads a CPU run's JSON (default `results/latest.json`) and, beside it, the GPU run's
(`latest-gpu.json`), and prints every target with its figures. Exit status 1 when one is
missed. Not part of the tests: timings on a shared machine are noisy.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from benchmarks import cli, loading, timing
from benchmarks.run import RESULTS


@dataclasses.dataclass(frozen=True)
class Target:
    """`path`'s median at most `limit` times `reference`'s, same run, same model and batch."""

    issue: int
    path: str
    reference: str
    limit: float


#: Call-time targets; checked on the MLPs, where the call is mostly overhead (on
#: MobileNetV2 compute hides it; its ratios are in the tables).
CALL_TARGETS = (
    Target(3, "KerasLayer eager", "raw obj(x)", 1.10),
    Target(3, "KerasLayer tf.function", "raw in tf.function", 1.02),
    Target(4, "SonnetModule eager", "raw obj(x)", 1.05),
    Target(4, "SonnetModule tf.function", "raw in tf.function", 1.05),
    Target(5, "to_jax + jax.jit", "raw obj(x)", 0.50),
)
CALL_MODELS = ("tiny_mlp", "mlp")
LOAD_TARGETS = (Target(6, loading.CACHE_HIT, loading.LOCAL, 1.05),)
GPU_TARGETS = (
    Target(5, "to_jax + jax.jit", "native Flax jax.jit", 1.10),
    Target(5, "FlaxModule nnx.jit", "native Flax nnx.jit", 1.10),
)


@dataclasses.dataclass(frozen=True)
class Verdict:
    """One target on one model (and batch): met (True), missed (False) or not measured (None)."""

    target: Target
    case: str
    met: bool | None
    figures: str

    def __str__(self) -> str:
        word = {True: "MET", False: "MISSED", None: "N/A"}[self.met]
        t = self.target
        return f"{word:<6} issue {t.issue}: {t.path} <= {t.limit:.2f}x {t.reference} | {self.case}: {self.figures}"


def _verdicts(targets: tuple[Target, ...], rows: list[dict[str, Any]], keys: tuple[str, ...], unit: str) -> Iterator[Verdict]:
    scale = {"us": 1e6, "ms": 1e3}[unit]
    stats = {(*(r[k] for k in keys), r["path"]): timing.Stats.from_json(r["stats"]) for r in rows if r["stats"]}
    cases = list(dict.fromkeys(tuple(r[k] for k in keys) for r in rows))
    for target in targets:
        for case in cases:
            name = " batch ".join(str(k) for k in case)
            path, reference = stats.get((*case, target.path)), stats.get((*case, target.reference))
            if path is None or reference is None:
                yield Verdict(target, name, None, "not measured")
                continue
            ratio = path.median / reference.median
            figures = (
                f"{ratio:.3f}x ({path.median * scale:,.1f} vs {reference.median * scale:,.1f} {unit}; "
                f"paired {timing.paired_ratio(path, reference):.3f}x)"
            )
            yield Verdict(target, name, ratio <= target.limit, figures)


def evaluate(results: dict[str, Any], gpu: dict[str, Any] | None) -> list[Verdict]:
    """Every target on every case measured.

    Args:
      results: A CPU run's results.
      gpu: A GPU run's results, or None when there was none.

    Returns:
      The verdicts, CPU call targets first, then load, then GPU.
    """
    calls = [r for r in results["call"] if r["model"] in CALL_MODELS]
    verdicts = [*_verdicts(CALL_TARGETS, calls, ("model", "batch"), "us")]
    verdicts += _verdicts(LOAD_TARGETS, results.get("load", []), ("model",), "ms")
    on_gpu = gpu is not None and any(d.startswith(("gpu", "cuda")) for d in gpu["machine"]["jax_devices"])
    if on_gpu:
        verdicts += _verdicts(GPU_TARGETS, gpu["call"], ("model", "batch"), "us")
    else:
        why = "no GPU run" if gpu is None else f"no GPU run (the --device gpu run had {gpu['machine']['jax_devices']})"
        verdicts += [Verdict(t, "GPU", None, f"not measured: {why}") for t in GPU_TARGETS]
    return verdicts


def report(results_path: Path, gpu_path: Path | None = None) -> list[Verdict]:
    """Reads the result files and evaluates the targets.

    Args:
      results_path: A CPU run's JSON.
      gpu_path: A GPU run's JSON; default `latest-gpu.json` beside `results_path`. A
        missing file means no GPU run.

    Returns:
      The verdicts.
    """
    gpu_path = gpu_path or results_path.with_name("latest-gpu.json")
    gpu = json.loads(gpu_path.read_text()) if gpu_path.is_file() else None
    return evaluate(json.loads(results_path.read_text()), gpu)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("results", nargs="?", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--gpu", type=Path, help="a --device gpu run's JSON (default: latest-gpu.json beside RESULTS)")


def _execute(args: argparse.Namespace) -> int:
    verdicts = report(args.results, args.gpu)
    for verdict in verdicts:
        print(verdict)
    return 1 if any(v.met is False for v in verdicts) else 0


#: Exit status 1 when a target is missed.
main = cli.command("python -m benchmarks.check", __doc__, _arguments, _execute)


if __name__ == "__main__":
    sys.exit(main())
