"""Compares the latest results with the adapter issues' targets: `python -m benchmarks.check`.

Prints each target as met or missed with its figure. Not part of the tests.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.run import RESULTS

#: (model, path, reference path, most allowed ratio of medians), from the adapter issues.
TARGETS = (
    ("tiny_mlp", "KerasLayer eager", "raw obj(x)", 1.10),
    ("tiny_mlp", "KerasLayer tf.function", "raw in tf.function", 1.02),
    ("tiny_mlp", "SonnetModule eager", "raw obj(x)", 1.05),
    ("tiny_mlp", "SonnetModule tf.function", "raw in tf.function", 1.05),
    ("tiny_mlp", "to_jax + jax.jit", "raw obj(x)", 0.5),
)


def evaluate(results: dict) -> list[tuple[str, bool | None, str]]:
    """Returns (target, met, figures) for every target and batch size measured."""
    out = []
    medians = {
        (r["model"], r["batch"], r["path"]): r["stats"]["median"]
        for r in results["call"] if r["stats"] is not None
    }
    batches = sorted({r["batch"] for r in results["call"]})
    for model, path, reference, limit in TARGETS:
        for batch in batches:
            name = f"{model} b{batch}: {path} / {reference} <= {limit}"
            a, b = medians.get((model, batch, path)), medians.get((model, batch, reference))
            if a is None or b is None:
                out.append((name, None, "not measured"))
                continue
            ratio = a / b
            out.append((name, ratio <= limit, f"{ratio:.3f} ({a * 1e6:,.0f} µs vs {b * 1e6:,.0f} µs)"))
    return out


def main(argv: list[str] | None = None) -> int:
    """Prints the targets; exit status 1 when one is missed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.check", description=__doc__)
    parser.add_argument("results", nargs="?", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    rows = evaluate(json.loads(args.results.read_text()))
    for name, met, figures in rows:
        print(f"{'MET   ' if met else 'MISSED' if met is False else 'N/A   '} {name}: {figures}")
    return 0 if all(met is not False for _, met, _ in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
