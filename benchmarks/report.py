"""Turning benchmark results into a markdown table and a PNG chart."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:,.0f}"


def markdown(results: dict[str, Any]) -> str:
    """The results as markdown: a call-overhead table per model, then load and memory."""
    m = results["machine"]
    lines = [
        f"Benchmarks of {results['date']} on {m['cpu']} ({m['cores']} cores, {results['device']}), "
        f"Python {m['python']}, " + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v) + ".",
        "",
        "Per-call time in µs (median, p10–p90 over timed blocks) and the ratio of medians to "
        "the raw loaded object's call `obj(x)`, all paths interleaved in one process.",
    ]
    cases = sorted({(r["model"], r["batch"]) for r in results["call"]}, key=lambda c: (c[0], c[1]))
    for model, batch in cases:
        lines += ["", f"**{model}, batch {batch}**", "", "| path | median µs | p10–p90 µs | ratio |", "|---|---:|---:|---:|"]
        for r in results["call"]:
            if (r["model"], r["batch"]) != (model, batch):
                continue
            if r["stats"] is None:
                lines.append(f"| {r['path']} | n/a | n/a | {r['error']} |")
                continue
            s = r["stats"]
            lines.append(f"| {r['path']} | {_us(s['median'])} | {_us(s['p10'])}–{_us(s['p90'])} | {r['ratio']:.2f}× |")
    if results.get("load"):
        lines += ["", "**Load time** (ms, median; ratio to `tf.saved_model.load`)", "", "| model | loader | median ms | ratio |", "|---|---|---:|---:|"]
        lines += [
            f"| {r['model']} | {r['loader']} | {r['stats']['median'] * 1e3:,.1f} | {r['ratio']:.2f}× |"
            if r["stats"] else f"| {r['model']} | {r['loader']} | n/a | {r['error']} |"
            for r in results["load"]
        ]
    if results.get("memory"):
        mem = results["memory"]
        lines += ["", f"**Peak RSS added** by loading {mem['model']} (MiB; wrapping must add no copy of the weights)", "", "| scenario | MiB |", "|---|---:|"]
        lines += [f"| {k} | {v:,.1f} |" for k, v in mem["added_mib"].items()]
    return "\n".join(lines) + "\n"


def chart(results: dict[str, Any], path: Path) -> None:
    """Writes a bar chart of ratios per path, one group per model and batch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    rows = [r for r in results["call"] if r["ratio"] is not None]
    cases = sorted({(r["model"], r["batch"]) for r in rows})
    names = list(dict.fromkeys(r["path"] for r in rows))
    fig, ax = plt.subplots(figsize=(12, 0.45 * len(names) * len(cases) ** 0.5 + 3))
    height = 0.8 / max(1, len(cases))
    for i, case in enumerate(cases):
        by_path = {r["path"]: r["ratio"] for r in rows if (r["model"], r["batch"]) == case}
        values = [by_path.get(n, np.nan) for n in names]
        ax.barh(np.arange(len(names)) + i * height, values, height, label=f"{case[0]}, batch {case[1]}")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks(np.arange(len(names)) + 0.4 - height / 2, names)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("per-call time / raw obj(x) (median, log scale)")
    ax.set_title(f"Call overhead, {results['machine']['cpu']}, {results['date']}")
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
