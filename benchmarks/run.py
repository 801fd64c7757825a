"""The benchmark harness: `python -m benchmarks` (or `make bench`).

On the CPU (`--device cpu`, the default) it exports the models, times every call path on
every model and batch size interleaved, each model in fresh processes that alternate the
path order (`benchmarks.passes`; Keras on the JAX backend in a child process of its own:
`benchmarks.keras_jax`), times loading and wrapping, and measures the peak memory wrapping
adds; it writes `results/latest.json`, `.md` and `.png`. The default run is the small
models, where a call is mostly the wrapper's overhead; `--real` runs the real
architectures (`models.REAL_MODELS`) against the anchors users would pick instead and
writes `results/latest-real.*` (`make bench-real`).

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
import os
import shlex
import tempfile
from pathlib import Path
from typing import Any

from benchmarks import cli, machine, models, report, suite, timing

RESULTS = Path(__file__).parent / "results"
#: The file stem each device's results are written under, and the real models' run's.
STEMS = {"cpu": "latest", "gpu": "latest-gpu"}
REAL_STEM = "latest-real"
#: The model whose weights make copies plain in the memory figures, and the warm-up one.
MEMORY_MODEL, WARM_UP_MODEL = "wide_mlp", "tiny_mlp"
#: The model whose time to first output is measured.
FIRST_RESULT_MODEL = "mobilenet_v2"
SMALL_MODELS = ["keras_mlp", "tiny_mlp", "mlp"]


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--device", choices=tuple(STEMS), default="cpu")
    parser.add_argument("--artifacts", type=Path, help="--device gpu: what benchmarks.gpu_artifacts wrote")
    parser.add_argument("--models", nargs="+", default=SMALL_MODELS, choices=list(models.SHAPES))
    parser.add_argument("--batches", nargs="+", type=int, default=[1, 8])
    parser.add_argument("--repeats", type=int, default=24, help="most timed blocks per path, all passes together")
    parser.add_argument("--min-repeats", type=int, default=6, help="fewest timed blocks per path, all passes together")
    parser.add_argument("--number", type=int, default=50, help="most calls per block")
    parser.add_argument("--budget", type=float, default=10.0, help="seconds of timed blocks per case, all passes together")
    parser.add_argument(
        "--passes", type=int, default=2,
        help="fresh processes per model's call timings, alternating the path order (see benchmarks.passes)",
    )
    parser.add_argument("--load-models", nargs="*", default=["mlp"], choices=list(models.SHAPES))
    parser.add_argument("--load-budget", type=float, default=20.0, help="seconds of timed loads per model")
    parser.add_argument("--memory-models", nargs="*", default=[MEMORY_MODEL], choices=list(models.SHAPES))
    parser.add_argument("--first-result-models", nargs="*", default=[FIRST_RESULT_MODEL], choices=list(models.SHAPES))
    parser.add_argument("--no-memory", action="store_true", help="skip the memory subprocesses")
    parser.add_argument("--no-first-result", action="store_true", help="skip the time-to-first-output subprocess")
    parser.add_argument("--no-keras-jax", action="store_true", help="skip the Keras-on-JAX subprocess")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument(
        "--real", action="store_true",
        help=f"the real models ({', '.join(models.REAL_MODELS)}) at batch 1: calls, training steps, loads, "
        f"first output and memory against the anchors; writes {REAL_STEM}.*",
    )
    parser.add_argument(
        "--quick", action="store_true",
        help=f"a development subset: calls on keras_mlp and {models.REAL_MODEL} at batch 1, one pass, short "
        "budgets, no loads (slow on the real model: add --load-models) and no subprocesses",
    )


#: What `--real` sets (over the defaults, not over options given with it).
REAL = {
    "models": list(models.REAL_MODELS), "batches": [1], "load_models": list(models.REAL_MODELS),
    "load_budget": 10.0, "memory_models": list(models.REAL_MODELS), "first_result_models": list(models.REAL_MODELS),
    "no_keras_jax": True,
}
#: What `--quick` sets (likewise; with `--real`, all but the models).
QUICK = {
    "models": ["keras_mlp", models.REAL_MODEL], "batches": [1], "repeats": 8, "min_repeats": 3, "budget": 3.0,
    "passes": 1, "load_models": [], "load_budget": 5.0, "no_memory": True, "no_first_result": True,
    "no_keras_jax": True,
}


def _cpu(args: argparse.Namespace, settings: timing.Settings) -> dict[str, Any]:
    from benchmarks import first_result, keras_jax, loading, memory, passes, paths

    with tempfile.TemporaryDirectory(prefix="rsm-bench-") as tmp:
        workdir = Path(tmp)
        needed = dict.fromkeys([*args.models, *args.load_models, *(() if args.no_memory else args.memory_models),
                                *(() if args.no_first_result else [*args.first_result_models, WARM_UP_MODEL])])
        with suite.Progress("export", len(needed), "models") as bar:
            for name in needed:
                bar.set_postfix_str(name)
                models.export(name, workdir)
                bar.advance(1)
        results: dict[str, Any] = {
            "call": [
                row
                for name in args.models
                for row in passes.call_rows(
                    name, workdir, list(paths.for_model(name)), [paths.BASELINE], args.batches, settings, args.passes
                )
            ]
        }
        on_jax = all(map(importlib.util.find_spec, ("keras", "jax")))
        if on_jax and not args.no_keras_jax and keras_jax.MODEL in args.models:
            results["keras_jax"] = keras_jax.rows(models.export(keras_jax.MODEL, workdir), args.batches, settings)
        load_settings = timing.Settings(
            repeats=args.repeats, min_repeats=3, max_number=1, budget_s=args.load_budget, warmup=0, collect_garbage=True
        )
        results["load"] = suite.load_times(
            args.load_models, lambda m: models.export(m, workdir), loading.LOADERS, loading.BASELINE, load_settings
        )
        if not args.no_first_result:
            warm_up = models.export(WARM_UP_MODEL, workdir)
            results["first_result"] = []
            with suite.Progress("first result", len(args.first_result_models), "models") as bar:
                for name in args.first_result_models:
                    bar.set_postfix_str(name)
                    seconds = first_result.seconds_to_first_output(models.export(name, workdir), warm_up)
                    results["first_result"].append({"model": name, "batch": 1, "baseline": first_result.BASELINE, "seconds": seconds})
                    bar.advance(1)
        if not args.no_memory:
            warm_up = models.export(WARM_UP_MODEL, workdir)
            results["memory"] = []
            with suite.Progress("memory", len(args.memory_models), "models") as bar:
                for name in args.memory_models:
                    path = models.export(name, workdir)
                    bar.set_postfix_str(name)
                    added = memory.added_mib(path, warm_up, lambda share: bar.advance(share))
                    results["memory"].append({
                        "model": name,
                        "weights_mib": memory.weights_mib(path),
                        "baseline": memory.BASELINE,
                        "added_mib": {k: v["peak"] for k, v in added.items()},
                        "steady_mib": {k: v["steady"] for k, v in added.items()},
                    })
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


def apply_presets(args: argparse.Namespace) -> None:
    """Sets `REAL`'s and then `QUICK`'s settings on `args` where asked, except options given.

    Args:
      args: Parsed arguments, with `argv` (the arguments as given).
    """
    given = {a.split("=")[0] for a in args.argv if a.startswith("--")}
    # `--real --quick`: the real models, briefly.
    quick = {k: v for k, v in QUICK.items() if not (args.real and k == "models")}
    for preset in [REAL] * args.real + [quick] * args.quick:
        for name, value in preset.items():
            if f"--{name.replace('_', '-')}" not in given:
                setattr(args, name, value)


def _execute(args: argparse.Namespace) -> int:
    apply_presets(args)
    # One untimed call before calibration: what is timed are steady calls, not compilation.
    settings = timing.Settings(
        repeats=args.repeats, min_repeats=args.min_repeats, max_number=args.number, budget_s=args.budget, warmup=1
    )
    started = datetime.datetime.now(datetime.timezone.utc)
    results: dict[str, Any] = {
        "date": started.date().isoformat(),
        "started": started.isoformat(timespec="seconds"),
        "command": shlex.join(["python", "-m", "benchmarks", *args.argv]),
        "device": args.device,
        "machine": machine.describe(),
        "settings": {k: v for k, v in vars(args).items() if k not in ("out", "artifacts", "argv")},
        # Other work on the machine shows here: the 1-minute load average at the start.
        "load_average": os.getloadavg()[0],
    }
    results.update((_gpu if args.device == "gpu" else _cpu)(args, settings))
    results["load_average_end"] = os.getloadavg()[0]
    results["seconds"] = round((datetime.datetime.now(datetime.timezone.utc) - started).total_seconds(), 1)
    files = write(results, args.out, REAL_STEM if args.real else STEMS[args.device])
    print(files[1].read_text())
    print("wrote", *files)
    return 0


main = cli.command(
    "python -m benchmarks", __doc__, _arguments, _execute, uses_tensorflow=lambda args: args.device == "cpu"
)
