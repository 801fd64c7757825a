"""Benchmark results as a markdown report and a PNG chart of ratios per path."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def _time(seconds: float, scale: float) -> str:
    value = seconds * scale
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def _band(band: list[float] | None) -> str:
    return "n/a" if band is None else f"{band[0]:.2f}–{band[1]:.2f}"


def _timed_table(rows: list[dict[str, Any]], first: str, unit: str, scale: float) -> list[str]:
    lines = [f"| {first} | median {unit} | p10–p90 {unit} | ratio | paired | band (p25–p75) |", "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        s = r["stats"]
        if s is None:
            lines.append(f"| {r['path']} | n/a | n/a | {r['error']} | | |")
        else:
            lines.append(
                f"| {r['path']} | {_time(s['median'], scale)} | {_time(s['p10'], scale)}–{_time(s['p90'], scale)} "
                f"| {_ratio(r['ratio'])} | {_ratio(r['paired_ratio'])} | {_band(r.get('paired_band'))} |"
            )
    return lines


def header(results: dict[str, Any]) -> str:
    """One line: when, where, with what.

    Args:
      results: What `benchmarks.run` wrote.

    Returns:
      The line.
    """
    m = results["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
    devices = "; ".join(m["jax_devices"]) or "no JAX"
    return (
        f"{results['started']} on {m['cpu']} ({m['cores']} cores; JAX devices: {devices}), "
        f"{m['os']}, Python {m['python']}; {versions}."
    )


def markdown(results: dict[str, Any]) -> str:
    """The results as markdown: a call-time table per model and batch, then load and memory.

    Args:
      results: What `benchmarks.run` wrote.

    Returns:
      The markdown text.
    """
    lines = [
        f"Measured {header(results)}",
        "",
        f"Command: `{results['command']}` ({results['seconds']:.0f} s).",
        "",
        "Per-call time in µs: median and p10–p90 over timed blocks (a block repeats the call "
        "to last about 20 ms), all paths interleaved, each model in fresh processes that "
        "alternate the path order. *ratio*: median over the baseline's median; *paired*: "
        "median over rounds of the per-round ratio, robust to load that drifts during the "
        "run; *band*: its interquartile range, by which `python -m benchmarks.check` decides "
        "a target. Lower is better.",
    ]
    cases = list(dict.fromkeys((r["model"], r["batch"]) for r in results["call"]))
    for model, batch in cases:
        rows = [r for r in results["call"] if (r["model"], r["batch"]) == (model, batch)]
        lines += ["", f"**{model}, batch {batch}** (ratios to `{rows[0]['baseline']}`)", ""]
        lines += _timed_table(rows, "path", "µs", 1e6)
    jax_rows = results.get("keras_jax", [])
    for model, batch in dict.fromkeys((r["model"], r["batch"]) for r in jax_rows):
        lines += [
            "",
            f"**Keras on the JAX backend, {model}, batch {batch}**: `KerasLayer` against the same "
            "network in Keras, in a child process with `KERAS_BACKEND=jax`; each path's ratios "
            "are to the native path below it, timed interleaved with it",
            "",
        ]
        lines += _timed_table([r for r in jax_rows if (r["model"], r["batch"]) == (model, batch)], "path", "µs", 1e6)
    for model in dict.fromkeys(r["model"] for r in results.get("load", [])):
        rows = [r for r in results["load"] if r["model"] == model]
        lines += ["", f"**Load time, {model}** in ms, each load afresh (ratios to `{rows[0]['baseline']}`)", ""]
        lines += _timed_table(rows, "loader", "ms", 1e3)
    for first in results.get("first_result", []):
        base = first["seconds"][first["baseline"]]
        lines += [
            "",
            f"**Time to first output**, {first['model']} batch {first['batch']}: from the SavedModel's path "
            "to the first result (loading, wrapping or converting, compiling), in one fresh process "
            "after a warm-up on a tiny model.",
            "",
            f"| consumer | seconds | ratio to `{first['baseline']}` |",
            "|---|---:|---:|",
        ]
        lines += [f"| {k} | {v:,.2f} | {v / base:.2f}× |" for k, v in first["seconds"].items()]
    for mem in results.get("memory", []):
        base = mem["added_mib"][mem["baseline"]]
        lines += [
            "",
            f"**Peak RSS added** by loading {mem['model']} ({mem['weights_mib']:.1f} MiB of weights), "
            "each in a fresh process after a warm-up load; a wrapper that copied the weights "
            "would add their size over loading alone.",
            "",
            f"| scenario | MiB added at the peak | over `{mem['baseline']}` | MiB held after |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {k} | {v:,.1f} | {v - base:+,.1f} | {mem['steady_mib'][k]:,.1f} |" for k, v in mem["added_mib"].items()
        ]
    return "\n".join(lines) + "\n"


def chart(results: dict[str, Any], path: Path) -> None:
    """Writes the chart: call-time ratios per path, then load times and memory if measured.

    Every panel is "lower is better": ratios to the baseline per model and batch (log scale),
    median load time per loader and model, and RSS added at the peak per scenario.

    Args:
      results: What `benchmarks.run` wrote.
      path: The PNG file.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = [r for r in results["call"] if r["ratio"] is not None]
    loads = [r for r in results.get("load", []) if r["stats"] is not None]
    memory = {f"{k} ({m['model']})": v for m in results.get("memory", []) for k, v in m["added_mib"].items()}
    names = list(dict.fromkeys(r["path"] for r in rows))
    cases = list(dict.fromkeys((r["model"], r["batch"]) for r in rows))
    heights = [0.22 * len(names) * max(1, len(cases)) + 1.2]
    heights += [0.3 * len(loads) + 1.2] if loads else []
    heights += [0.3 * len(memory) + 1.2] if memory else []
    fig, axes = plt.subplots(len(heights), 1, figsize=(11, sum(heights)), height_ratios=heights, squeeze=False)
    _call_panel(axes[0][0], rows, names, cases)
    axes[0][0].set_title(
        f"Call time relative to the baseline (lower is better), {results['machine']['cpu']}, {results['date']}"
    )
    panels = iter(row[0] for row in axes[1:])
    if loads:
        ax = next(panels)
        labels = [f"{r['path']} ({r['model']})" for r in loads]
        ax.barh(labels, [r["stats"]["median"] for r in loads])
        ax.invert_yaxis()
        ax.set_xlabel("median load time, s")
        ax.set_title("Load time (lower is better)")
    if memory:
        ax = next(panels)
        ax.barh(list(memory), list(memory.values()))
        ax.invert_yaxis()
        weights = ", ".join(f"{m['model']} {m['weights_mib']:.1f}" for m in results["memory"])
        ax.set_xlabel(f"MiB of RSS added at the peak (MiB of weights: {weights})")
        ax.set_title("Memory (lower is better)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _call_panel(ax: Any, rows: list[dict[str, Any]], names: list[str], cases: list[tuple[str, int]]) -> None:
    import numpy as np

    height = 0.8 / max(1, len(cases))
    for i, case in enumerate(cases):
        ratio = {r["path"]: r["ratio"] for r in rows if (r["model"], r["batch"]) == case}
        ax.barh(np.arange(len(names)) + i * height, [ratio.get(n, np.nan) for n in names], height,
                label=f"{case[0]}, batch {case[1]}")
    ax.axvline(1.0, color="black", linewidth=0.8)
    ax.set_yticks(np.arange(len(names)) + 0.4 - height / 2, names)
    ax.invert_yaxis()
    ax.set_xscale("log")
    baselines = " or ".join(dict.fromkeys(r["baseline"] for r in rows))
    ax.set_xlabel(f"median per-call time / that of {baselines}, same model and batch (log scale)")
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.legend(fontsize="small", loc="lower right")
