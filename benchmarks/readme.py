"""Puts the latest results into the README: `python -m benchmarks.readme [README.md]`.

Replaces what lies between `<!-- benchmarks:start -->` and `<!-- benchmarks:end -->` (and
nothing else) with the date, machine and command, the chart, and the targets not met (the
full tables stay in `benchmarks/results/latest.md`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks import check, cli
from benchmarks.run import RESULTS

START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"


def block(results: dict[str, Any], verdicts: list[check.Verdict], chart: str) -> str:
    """The README block's body.

    Args:
      results: A CPU run's results.
      verdicts: The targets' verdicts.
      chart: The chart's path, relative to the README.

    Returns:
      Markdown.
    """
    met = sum(v.met is True for v in verdicts)
    other = [str(v) for v in verdicts if v.met is not True]
    return "\n".join([
        f"Latest run: {results['date']}, `{results['command']}` (`make bench`) in "
        f"{results['seconds'] / 60:.1f} min on {results['machine']['cpu']}, {results['machine']['cores']} cores "
        f"(shared with other work: ratios within a few percent of a target flip between runs; the "
        f"*paired* ratio is the steadier one). Full tables for every path, model and batch: "
        f"[benchmarks/results/latest.md](benchmarks/results/latest.md). Refresh: `make bench`, then "
        f"`python -m benchmarks.readme`.",
        "",
        f"![Per-call time relative to the raw loaded object, lower is better]({chart})",
        "",
        f"**Targets** (`python -m benchmarks.check`): {met} MET; not met or not measured:",
        "",
        "```text",
        *other,
        "```",
    ])


def replace_block(text: str, body: str) -> str:
    """`text` with the body between the markers replaced.

    Args:
      text: The README.
      body: The new body.

    Returns:
      The new README.

    Raises:
      ValueError: if the markers are missing or out of order.
    """
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"expected {START} ... {END} in the README")
    return text[: start + len(START)] + "\n" + body + "\n" + text[end:]


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("readme", nargs="?", type=Path, default=Path("README.md"))
    parser.add_argument("--results", type=Path, default=RESULTS / "latest.json")


def _execute(args: argparse.Namespace) -> int:
    results = json.loads(args.results.read_text())
    chart = Path(os.path.relpath(args.results.with_suffix(".png").resolve(), args.readme.resolve().parent)).as_posix()
    body = block(results, check.report(args.results), chart)
    args.readme.write_text(replace_block(args.readme.read_text(), body))
    print(f"updated {args.readme} from {args.results}")
    return 0


main = cli.command("python -m benchmarks.readme", __doc__, _arguments, _execute)


if __name__ == "__main__":
    sys.exit(main())
