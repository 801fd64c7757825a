"""`python -m conformance` (with `tests` on `PYTHONPATH`): runs the matrix, prints or writes the table.

From the repository root: `PYTHONPATH=tests python -m conformance --readme docs/compatibility.md`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tqdm import tqdm

from conformance import matrix, table


def main(argv: list[str] | None = None) -> int:
    """Runs the matrix; returns 1 if a cell fails other than as documented."""
    parser = argparse.ArgumentParser(prog="python -m conformance", description=__doc__)
    parser.add_argument("--kinds", nargs="+", help="model kinds to run (default: all)")
    parser.add_argument("--readme", type=Path, help="rewrite this README's compatibility block")
    args = parser.parse_args(argv)
    with tqdm(desc="cells", unit="cell") as bar:
        cells = list(matrix.run(kinds=args.kinds, progress=lambda _: bar.update()))
    print(table.plain(cells))
    problems = [p for p in map(matrix.verdict, cells) if p]
    for problem in problems:
        print("FAILED:", problem)
    if args.readme is not None:
        table.write_readme(args.readme, cells)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
