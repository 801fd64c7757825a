"""The benchmark harness: `python -m benchmarks` (or `make bench`).

On the CPU (`--device cpu`, the default) it exports the models, times every call path on
every model and batch size in one process, interleaved (Keras on the JAX backend in a
child process: `benchmarks.keras_jax`), times loading and wrapping, and measures the
peak memory wrapping adds; it writes `results/latest.json`, `.md` and `.png`.

On a GPU machine without TensorFlow (`--device gpu`) it times the JAX-side paths on
models converted beforehand on a machine with TensorFlow
(`python -m benchmarks.gpu_artifacts DIR`, then carry DIR over and run
`python -m benchmarks --device gpu --artifacts DIR`) against the same network written
natively in Flax; it writes `results/latest-gpu.*`. That side imports no TensorFlow.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import shlex
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import cli, machine, models, report, suite, timing

RESULTS = Path(__file__).parent / "results"
#: The file stem each device's results are written under.
STEMS = {"cpu": "latest", "gpu": "latest-gpu"}
#: The model whose weights make copies plain in the memory figures, and the warm-up one.
MEMORY_MODEL, WARM_UP_MODEL = "wide_mlp", "tiny_mlp"
#: The model whose time to first output is measured.
FIRST_RESULT_MODEL = "mobilenet_v2"


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", choices=tuple(STEMS), default="cpu")
    parser.add_argument("--artifacts", type=Path, help="--device gpu: what benchmarks.gpu_artifacts wrote")
    parser.add_argument("--models", nargs="+", default=["keras_mlp", "tiny_mlp", "mlp", models.REAL_MODEL], choices=list(models.SHAPES))
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 8])
    parser.add_argument("--repeats", type=int, default=25, help="most timed blocks per path")
    parser.add_argument("--min-repeats", type=int, default=5, help="fewest timed blocks per path")
    parser.add_argument("--number", type=int, default=50, help="most calls per block")
    parser.add_argument("--budget", type=float, default=10.0, help="seconds of timed blocks per case")
    parser.add_argument("--load-models", nargs="*", default=["mlp", models.REAL_MODEL], choices=list(models.SHAPES))
    parser.add_argument("--load-budget", type=float, default=20.0, help="seconds of timed loads per model")
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    parser.add_argument("--no-first-result", action="store_true", help="skip the time-to-first-output subprocess")
    parser.add_argument("--no-keras-jax", action="store_true", help="skip the Keras-on-JAX subprocess")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--quick", action="store_true",
        help=f"a development subset: calls on keras_mlp and {models.REAL_MODEL} at batch 1, short budgets, no "
        "loads (slow on the real model: add --load-models) and no subprocesses",
    )


#: What `--quick` sets (over the defaults, not over options given with it).
QUICK = {
    "models": ["keras_mlp", models.REAL_MODEL], "batches": [1], "repeats": 8, "min_repeats": 3, "budget": 3.0,
    "load_models": [], "load_budget": 5.0, "no_memory": True, "no_first_result": True,
    "no_keras_jax": True,
}


def _cpu(args: argparse.Namespace, settings: timing.Settings) -> dict[str, Any]:
    from benchmarks import first_result, keras_jax, loading, memory, paths
    from benchmarks.source import Source

    builders = {name: builder for name, (builder, module) in paths.PATHS.items() if importlib.util.find_spec(module)}
    with tempfile.TemporaryDirectory(prefix="rsm-bench-") as tmp:
        workdir = Path(tmp)
        with suite.Progress("export", len(args.models), "models") as bar:
            for name in args.models:
                bar.set_postfix_str(name)
                models.export(name, workdir)
                bar.advance(1)
        results: dict[str, Any] = {
            "call": suite.call_overhead(
                args.models, lambda m: Source(models.export(m, workdir)), builders, [paths.BASELINE],
                args.batches, settings,
            )
        }
        on_jax = all(map(importlib.util.find_spec, ("keras", "jax")))
        if on_jax and not args.no_keras_jax and keras_jax.MODEL in args.models:
            results["keras_jax"] = keras_jax.rows(models.export(keras_jax.MODEL, workdir), args.batches, settings)
        load_settings = timing.Settings(repeats=args.repeats, min_repeats=3, max_number=1, budget_s=args.load_budget, warmup=0)
        results["load"] = suite.load_times(
            args.load_models, lambda m: models.export(m, workdir), loading.LOADERS, loading.BASELINE, load_settings
        )
        if not args.no_first_result:
            with suite.Progress("first result", 1, "model") as bar:
                results["first_result"] = {
                    "model": FIRST_RESULT_MODEL,
                    "batch": 1,
                    "baseline": first_result.BASELINE,
                    "seconds": first_result.seconds_to_first_output(
                        models.export(FIRST_RESULT_MODEL, workdir), models.export(WARM_UP_MODEL, workdir),
                        (1, *models.SHAPES[FIRST_RESULT_MODEL]), (1, *models.SHAPES[WARM_UP_MODEL]),
                    ),
                }
                bar.advance(1)
        if not args.no_memory:
            path, warm_up = models.export(MEMORY_MODEL, workdir), models.export(WARM_UP_MODEL, workdir)
            with suite.Progress("memory", 1, "model") as bar:
                added = memory.added_mib(path, warm_up, bar.advance)
                results["memory"] = {
                    "model": MEMORY_MODEL,
                    "weights_mib": memory.weights_mib(path),
                    "baseline": memory.BASELINE,
                    "added_mib": {k: v["peak"] for k, v in added.items()},
                    "steady_mib": {k: v["steady"] for k, v in added.items()},
                }
    return results


def _gpu(args: argparse.Namespace, settings: timing.Settings) -> dict[str, Any]:
    from benchmarks import jax_paths
    from reusable_savedmodel.adapters.jax import load_jax_piece

    if args.artifacts is None:
        raise SystemExit("--device gpu needs --artifacts DIR (made by `python -m benchmarks.gpu_artifacts DIR`)")
    names = [m for m in args.models if (args.artifacts / m).is_dir()]
    if not names:
        raise SystemExit(f"{args.artifacts} holds none of the models {args.models}")
    return {
        "call": suite.call_overhead(
            names, lambda m: load_jax_piece(args.artifacts / m), jax_paths.PATHS, jax_paths.BASELINES,
            args.batches, settings,
        )
    }


def write(results: dict[str, Any], out: Path, stem: str) -> list[Path]:
    """Writes the JSON, the markdown table and the chart.

    Args:
      results: What `main` gathered.
      out: The directory.
      stem: The file stem (`latest` or `latest-gpu`).

    Returns:
      The three files.
    """
    out.mkdir(parents=True, exist_ok=True)
    files = [out / f"{stem}.json", out / f"{stem}.md", out / f"{stem}.png"]
    files[0].write_text(json.dumps(results, indent=1) + "\n")
    files[1].write_text(report.markdown(results))
    report.chart(results, files[2])
    return files


def _apply_quick(args: argparse.Namespace) -> None:
    """Sets `QUICK`'s settings on `args`, except those given on the command line."""
    given = {a.split("=")[0] for a in args.argv if a.startswith("--")}
    for name, value in QUICK.items():
        if f"--{name.replace('_', '-')}" not in given:
            setattr(args, name, value)


def _execute(args: argparse.Namespace) -> int:
    if args.quick:
        _apply_quick(args)
    settings = timing.Settings(
        repeats=args.repeats, min_repeats=args.min_repeats, max_number=args.number, budget_s=args.budget, warmup=0
    )
    started = datetime.datetime.now(datetime.timezone.utc)
    results: dict[str, Any] = {
        "date": started.date().isoformat(),
        "started": started.isoformat(timespec="seconds"),
        "command": shlex.join(["python", "-m", "benchmarks", *args.argv]),
        "device": args.device,
        "machine": machine.describe(),
        "settings": {k: v for k, v in vars(args).items() if k not in ("out", "artifacts", "argv")},
    }
    results.update((_gpu if args.device == "gpu" else _cpu)(args, settings))
    results["seconds"] = round((datetime.datetime.now(datetime.timezone.utc) - started).total_seconds(), 1)
    files = write(results, args.out, STEMS[args.device])
    print(files[1].read_text())
    print("wrote", *files)
    return 0


main = cli.command(
    "python -m benchmarks", __doc__, _arguments, _execute, uses_tensorflow=lambda args: args.device == "cpu"
)
