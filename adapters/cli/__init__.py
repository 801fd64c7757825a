"""The `rsm` command line: inspect, check and demo (remote commands live in cli_remote)."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence

from reusable_savedmodel.adapters.cli import crosscheck as cli_crosscheck
from reusable_savedmodel.interface.errors import ReusableError


def _inspect(args: argparse.Namespace) -> int:
    from reusable_savedmodel.interface.loading import load

    piece = load(args.handle)
    print(piece.spec.dumps() if args.json else piece.spec.tree(args.handle))
    return 0


def _check(args: argparse.Namespace) -> int:
    from reusable_savedmodel.interface.check import check

    report = check(args.handle, task=args.task)
    print(report.dumps() if args.json else report)
    return 0 if report.ok else 1


def _demo(args: argparse.Namespace) -> int:
    from reusable_savedmodel.adapters import demo

    demo.run(args.handle)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Returns the `rsm` argument parser."""
    parser = argparse.ArgumentParser(
        prog="rsm", description="Inspect, check and use Reusable SavedModels."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    inspect = commands.add_parser("inspect", help="print what a SavedModel accepts and holds")
    inspect.add_argument("handle", help="directory, file:// or http(s):// handle")
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.set_defaults(run=_inspect)

    check = commands.add_parser("check", help="check a SavedModel against the protocol")
    check.add_argument("handle")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.add_argument("--task", help="also check a Common SavedModel API task's shapes")
    check.set_defaults(run=_check)

    demo = commands.add_parser("demo", help="the main job on the bundled default model")
    demo.add_argument("handle", nargs="?", help="a SavedModel to use instead of the default")
    demo.set_defaults(run=_demo)

    cli_crosscheck.add_commands(commands)
    if importlib.util.find_spec("reusable_savedmodel.adapters.cli.remote") is not None:
        from reusable_savedmodel.adapters.cli import remote as cli_remote

        cli_remote.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `rsm`; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ReusableError as error:
        print(f"rsm {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
