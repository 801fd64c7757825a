"""Puts the latest results into the docs' benchmarks page and the README: `python -m benchmarks.readme [PAGE]`.

In the page, replaces what lies between `<!-- benchmarks:start -->` and `<!-- benchmarks:end -->`
(and nothing else) with the date, machine and command, the real models' summary table, the
chart, and the targets not met. The chart and the full tables
(`benchmarks/results/latest.{png,md}`, and `latest-real.{png,md}` when there was a `--real`
run) are copied beside the page (`assets/`, `benchmark-tables.md`): the
documentation site serves only what lies under `docs/`. In the README, the summary table
replaces what lies between `<!-- bench-summary:start -->` and `<!-- bench-summary:end -->`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from benchmarks import check, cli, loading, models, timing
from benchmarks.run import REAL_STEM, RESULTS

START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"
SUMMARY_START, SUMMARY_END = "<!-- bench-summary:start -->", "<!-- bench-summary:end -->"


#: Where the charts and the full tables are copied, relative to the page.
CHART, REAL_CHART, TABLES = "assets/benchmarks.png", "assets/benchmarks-real.png", "benchmark-tables.md"

#: The summary's columns: heading -> (call path, training-step path, loader); None: no such path.
COLUMNS = {
    "raw `tf.saved_model.load`": ("raw obj(x)", "raw step (tape)", loading.BASELINE),
    "**`KerasLayer`**": ("KerasLayer eager", "KerasLayer step (tape)", loading.KERAS_LAYER),
    "Keras 3 `TFSMLayer`": ("keras TFSMLayer", "keras TFSMLayer step (tape)", loading.TFSM_LAYER),
    "`hub.KerasLayer` (tf_keras)": ("hub.KerasLayer (tf_keras)", "hub.KerasLayer step (tape)", loading.HUB_LAYER),
    "**`to_jax`** + `jax.jit`": ("to_jax + jax.jit", "to_jax step (jax.grad)", None),
    "tf2jax by hand + `jax.jit`": ("tf2jax by hand + jax.jit", None, None),
}
#: The summary's last column: KerasLayer's paired ratio to the raw object's, per kind.
OURS, RAW = COLUMNS["**`KerasLayer`**"], COLUMNS["raw `tf.saved_model.load`"]
#: How the models are named in the summary.
TITLES = {models.REAL_MODEL: "MobileNetV2 0.35, 96²", models.BERT_MODEL: "BERT-small, seq 128",
          models.RESNET_MODEL: "ResNet-50 slice, 64²"}


def _cell(rows: dict[str, dict[str, Any]], path: str | None, scale: float) -> str:
    row = rows.get(path) if path else None
    if not row or not row["stats"]:
        return "–"
    value = row["stats"]["median"] * scale
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def summary(real: dict[str, Any]) -> str:
    """The short table: per real model, batch 1, the median call, training step and load of
    the raw object, `KerasLayer`, `to_jax` and the anchors, and KerasLayer's paired ratio to
    the raw object with its band.

    Args:
      real: A `--real` run's results.

    Returns:
      Markdown.
    """
    lines = [
        "| batch 1, median (lower is better) | " + " | ".join(COLUMNS) + " | `KerasLayer` ÷ raw (p25–p75) |",
        "|---|" + "---:|" * (len(COLUMNS) + 1),
    ]
    for model in (m for m in models.REAL_MODELS if any(r["model"] == m for r in real["call"])):
        calls = {r["path"]: r for r in real["call"] if r["model"] == model and r["batch"] == 1}
        loads = {r["path"]: r for r in real.get("load", []) if r["model"] == model}
        for kind, index, table, scale, unit in (("call", 0, calls, 1e3, "ms"), ("training step", 1, calls, 1e3, "ms"),
                                                ("load", 2, loads, 1.0, "s")):
            ours, raw = table.get(OURS[index]), table.get(RAW[index])
            ratio = "–"
            if ours and raw and ours["stats"] and raw["stats"]:
                pair = timing.Stats.from_json(ours["stats"]), timing.Stats.from_json(raw["stats"])
                low, high = timing.paired_band(*pair)
                ratio = f"{timing.paired_ratio(*pair):.2f}× ({low:.2f}–{high:.2f})"
            cells = " | ".join(_cell(table, paths[index], scale) for paths in COLUMNS.values())
            lines.append(f"| {TITLES[model]}: {kind}, {unit} | {cells} | {ratio} |")
    return "\n".join(lines)


def block(results: dict[str, Any], real: dict[str, Any] | None, verdicts: list[check.Verdict]) -> str:
    """The page block's body.

    Args:
      results: A CPU run's results.
      real: A `--real` run's results, or None.
      verdicts: The targets' verdicts.

    Returns:
      Markdown.
    """
    count = {o: sum(v.outcome is o for v in verdicts) for o in check.Outcome}
    other = [str(v) for v in verdicts if v.outcome is not check.Outcome.MET]
    runs = [results, *([real] if real else [])]
    measured = "; ".join(
        f"`{r['command']}` in {r['seconds'] / 60:.1f} min"
        + (f" (load average {r['load_average']:.1f} at the start, {r['load_average_end']:.1f} at the end)" if "load_average" in r else "")
        for r in runs
    )
    return "\n".join([
        f"Latest runs: {results['date']}, {measured}, on {results['machine']['cpu']}, "
        f"{results['machine']['cores']} cores shared with other work (noisy: every ratio comes with its "
        f"p25–p75 band, and a target is decided by the band). Full tables for every path, model and "
        f"batch: [the full tables]({TABLES}). Refresh: `make bench` (and `make bench-real`), then "
        f"`python -m benchmarks.readme`.",
        *(["", "Real models (`python -m benchmarks --real`):", "", summary(real), "",
           f"![Real models: per-call time relative to the raw loaded object, lower is better]({REAL_CHART})"]
          if real else []),
        "",
        f"![Per-call time relative to the raw loaded object, lower is better]({CHART})",
        "",
        f"**Targets** (`python -m benchmarks.check`): {count[check.Outcome.MET]} MET, "
        f"{count[check.Outcome.MISSED]} MISSED, {count[check.Outcome.INCONCLUSIVE]} INCONCLUSIVE (the band "
        f"straddles the limit), {count[check.Outcome.NOT_MEASURED]} not measured; all but the met:",
        "",
        "```text",
        *other,
        "```",
    ])


def replace_block(text: str, body: str, start_marker: str = START, end_marker: str = END) -> str:
    """`text` with the body between the markers replaced.

    Args:
      text: The page.
      body: The new body.
      start_marker: The line the body follows.
      end_marker: The line the body precedes.

    Returns:
      The new page.

    Raises:
      ValueError: if the markers are missing or out of order.
    """
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < start:
        raise ValueError(f"expected {start_marker} ... {end_marker} in the page")
    return text[: start + len(start_marker)] + "\n" + body + "\n" + text[end:]


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("readme", nargs="?", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument("--results", type=Path, default=RESULTS / "latest.json")
    parser.add_argument("--summary-in", type=Path, default=Path("README.md"), help="the page with the short summary table")


def _execute(args: argparse.Namespace) -> int:
    results = json.loads(args.results.read_text())
    real_path = args.results.with_name(f"{REAL_STEM}.json")
    real = json.loads(real_path.read_text()) if real_path.is_file() else None
    page = args.readme.parent
    (page / CHART).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.results.with_suffix(".png"), page / CHART)
    if real:
        shutil.copyfile(real_path.with_suffix(".png"), page / REAL_CHART)
    tables = [args.results.with_suffix(".md").read_text(), *([real_path.with_suffix(".md").read_text()] if real else [])]
    (page / TABLES).write_text("\n".join(tables))
    body = block(results, real, check.report(args.results))
    args.readme.write_text(replace_block(args.readme.read_text(), body))
    if real:
        args.summary_in.write_text(
            replace_block(args.summary_in.read_text(), summary(real), SUMMARY_START, SUMMARY_END)
        )
    print(f"updated {args.readme}{f' and {args.summary_in}' if real else ''} from {args.results}")
    return 0


main = cli.command("python -m benchmarks.readme", __doc__, _arguments, _execute)


if __name__ == "__main__":
    sys.exit(main())
