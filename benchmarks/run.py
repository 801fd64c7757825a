"""The benchmark harness: `python -m benchmarks` (or `make bench`).

Times every call path on every model and batch size in one process, interleaved, and
writes `results/latest.json`, `results/latest.md` and `results/latest.png`.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import importlib.util
import json
import os
import platform
import tempfile
from pathlib import Path
from typing import Any

from tqdm import tqdm

from benchmarks import models, paths, report, timing

RESULTS = Path(__file__).parent / "results"
_VERSIONS = ("tensorflow", "keras", "dm-sonnet", "jax", "flax", "tf2jax", "tf-keras", "tensorflow-hub")


def machine() -> dict[str, Any]:
    """The machine and library versions the figures come from."""
    cpu = platform.processor() or platform.machine()
    if Path("/proc/cpuinfo").exists():
        names = [line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")]
        cpu = names[0] if names else cpu
    versions = {}
    for dist in _VERSIONS:
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "versions": versions}


def available_paths(device: str) -> dict[str, paths.Builder]:
    """The paths whose framework is installed (on `gpu`, only the JAX-side ones)."""
    return {
        name: builder
        for name, (builder, module, on_gpu) in paths.PATHS.items()
        if importlib.util.find_spec(module) is not None and (device == "cpu" or on_gpu)
    }


def _build(builders: dict[str, Any], *args: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """Builds each path; a path that fails to build is reported in the results, not timed."""
    built, errors = {}, {}
    for name, builder in builders.items():
        try:
            built[name] = builder(*args)
        except Exception as error:  # recorded with its message in the results
            errors[name] = f"{type(error).__name__}: {error}"[:300]
    return built, errors


def call_overhead(workdir: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Times every available path for each model and batch size."""
    rows = []
    builders = available_paths(args.device)
    cases = [(m, b) for m in args.models for b in args.batches]
    bar = tqdm(total=len(cases) * len(builders) * args.repeats, desc="call overhead", unit="block")
    for model, batch in cases:
        path, x = models.export(model, workdir), models.inputs(model, batch)
        number = args.number if model != "mobilenet_v2" else max(1, args.number // 10)
        built, errors = _build(builders, path, x)
        stats = timing.interleaved(
            built, repeats=args.repeats, number=number, sync=paths.sync, progress=bar.update
        )
        bar.update(len(errors) * args.repeats)
        baseline = paths.BASELINE if paths.BASELINE in stats else next(iter(stats))
        ratio = timing.ratios(stats, baseline)
        for name in builders:
            rows.append({
                "model": model, "batch": batch, "path": name,
                "stats": stats[name].to_json() if name in stats else None,
                "ratio": ratio.get(name), "baseline": baseline, "error": errors.get(name),
            })
    bar.close()
    return rows


def load_times(workdir: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Times loading (and wrapping) from a local path."""
    from benchmarks import loading

    rows = []
    for model in args.load_models:
        built, errors = _build(loading.LOADERS, models.export(model, workdir))
        stats = timing.interleaved(built, repeats=args.load_repeats, number=1, warmup=1)
        ratio = timing.ratios(stats, loading.BASELINE)
        rows += [{"model": model, "loader": n, "stats": s.to_json(), "ratio": ratio[n]} for n, s in stats.items()]
        rows += [{"model": model, "loader": n, "stats": None, "ratio": None, "error": e} for n, e in errors.items()]
    return rows


def main(argv: list[str] | None = None) -> int:
    """Runs the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--device", choices=("cpu", "gpu"), default="cpu")
    parser.add_argument("--models", nargs="+", default=list(models.MODELS), choices=list(models.MODELS))
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 32])
    parser.add_argument("--repeats", type=int, default=7, help="timed blocks per path")
    parser.add_argument("--number", type=int, default=30, help="calls per block")
    parser.add_argument("--load-models", nargs="*", default=["mlp", "mobilenet_v2"])
    parser.add_argument("--load-repeats", type=int, default=5)
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="rsm-bench-") as tmp:
        workdir = Path(tmp)
        results: dict[str, Any] = {
            "date": datetime.date.today().isoformat(),
            "device": args.device,
            "machine": machine(),
            "call": call_overhead(workdir, args),
        }
        if args.device == "cpu":
            results["load"] = load_times(workdir, args)
            if not args.no_memory:
                from benchmarks import memory

                results["memory"] = {
                    "model": "mobilenet_v2",
                    "added_mib": memory.peak_added_mib(models.export("mobilenet_v2", workdir)),
                }
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "latest" if args.device == "cpu" else "latest-gpu"
    (args.out / f"{stem}.json").write_text(json.dumps(results, indent=2))
    (args.out / f"{stem}.md").write_text(report.markdown(results))
    report.chart(results, args.out / f"{stem}.png")
    print(report.markdown(results))
    return 0
