"""Puts the latest results into the docs' benchmarks page: `python -m benchmarks.readme [PAGE]`.

Replaces what lies between `<!-- benchmarks:start -->` and `<!-- benchmarks:end -->` (and
nothing else) with the date, machine and command, the chart, and the targets not met. The
chart and the full tables (`benchmarks/results/latest.{png,md}`) are copied beside the page
(`assets/benchmarks.png`, `benchmark-tables.md`): the documentation site serves only what
lies under `docs/`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from benchmarks import check, cli
from benchmarks.run import RESULTS

START, END = "<!-- benchmarks:start -->", "<!-- benchmarks:end -->"


#: Where the chart and the full tables are copied, relative to the page.
CHART, TABLES = "assets/benchmarks.png", "benchmark-tables.md"


def block(results: dict[str, Any], verdicts: list[check.Verdict]) -> str:
    """The page block's body.

    Args:
      results: A CPU run's results.
      verdicts: The targets' verdicts.

    Returns:
      Markdown.
    """
    met = sum(v.outcome is check.Outcome.MET for v in verdicts)
    other = [str(v) for v in verdicts if v.outcome is not check.Outcome.MET]
    return "\n".join([
        f"Latest run: {results['date']}, `{results['command']}` (`make bench`) in "
        f"{results['seconds'] / 60:.1f} min on {results['machine']['cpu']}, {results['machine']['cores']} cores "
        f"(shared with other work: ratios within a few percent of a target flip between runs; the "
        f"*paired* ratio is the steadier one). Full tables for every path, model and batch: "
        f"[the full tables]({TABLES}). Refresh: `make bench`, then "
        f"`python -m benchmarks.readme`.",
        "",
        f"![Per-call time relative to the raw loaded object, lower is better]({CHART})",
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
      text: The page.
      body: The new body.

    Returns:
      The new page.

    Raises:
      ValueError: if the markers are missing or out of order.
    """
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"expected {START} ... {END} in the page")
    return text[: start + len(START)] + "\n" + body + "\n" + text[end:]


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("readme", nargs="?", type=Path, default=Path("docs/benchmarks.md"))
    parser.add_argument("--results", type=Path, default=RESULTS / "latest.json")


def _execute(args: argparse.Namespace) -> int:
    results = json.loads(args.results.read_text())
    page = args.readme.parent
    (page / CHART).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.results.with_suffix(".png"), page / CHART)
    shutil.copyfile(args.results.with_suffix(".md"), page / TABLES)
    body = block(results, check.report(args.results))
    args.readme.write_text(replace_block(args.readme.read_text(), body))
    print(f"updated {args.readme} from {args.results}")
    return 0


main = cli.command("python -m benchmarks.readme", __doc__, _arguments, _execute)


if __name__ == "__main__":
    sys.exit(main())
