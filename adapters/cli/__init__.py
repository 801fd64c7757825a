"""The `rsm` command line.

`rsm --help` and usage errors import no TensorFlow: each command imports what it needs when
it runs. Framework start-up logs stay out of the output unless `--verbose` is given.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from reusable_savedmodel.adapters.cli import crosscheck as crosscheck_command
from reusable_savedmodel.adapters.cli import quiet
from reusable_savedmodel.adapters.cli import remote as remote_commands
from reusable_savedmodel.interface.errors import ReusableError
from reusable_savedmodel.interface.tasks import TASKS

#: Exit statuses: 0 success, 1 a finding (failed check, unsafe scan, disagreeing crosscheck),
#: 2 a usage error or a handle that cannot be used.
USAGE_ERROR = 2


def _inspect(args: argparse.Namespace) -> int:
    from reusable_savedmodel.interface import load

    piece = load(args.handle)
    print(piece.spec.dumps() if args.json else piece.spec.tree(args.handle))
    return 0


def _check(args: argparse.Namespace) -> int:
    from reusable_savedmodel.interface import check

    report = check(args.handle, task=args.task)
    print(report.dumps() if args.json else report)
    return 0 if report.ok else 1


def _demo(args: argparse.Namespace) -> int:
    from reusable_savedmodel.adapters import demo

    return demo.run(args.handle)


def _task_help() -> str:
    width = max(map(len, TASKS))
    return "\n".join(f"  {name:<{width}}  {what}" for name, what in TASKS.items())


def build_parser() -> argparse.ArgumentParser:
    """Returns the `rsm` argument parser."""
    parser = argparse.ArgumentParser(
        prog="rsm", description="Inspect, check, fetch and use Reusable SavedModels."
    )
    parser.add_argument(
        "--verbose", action="store_true", help="show the frameworks' own start-up logs"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    inspect = commands.add_parser("inspect", help="print what a SavedModel accepts and holds")
    inspect.add_argument("handle", help="directory, archive, file:// or http(s):// handle")
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.set_defaults(run=_inspect)

    check = commands.add_parser(
        "check",
        help="check a SavedModel against the protocol (exit 1 on an error finding)",
        epilog=f"tasks (--task):\n{_task_help()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("handle", help="directory, archive, file:// or http(s):// handle")
    check.add_argument("--json", action="store_true", help="print JSON")
    check.add_argument(
        "--task", choices=sorted(TASKS), metavar="TASK",
        help="also check the shapes of a Common SavedModel API task (listed below)",
    )
    check.set_defaults(run=_check)

    demo = commands.add_parser(
        "demo", help="the main job in every installed framework, on the bundled model or yours"
    )
    demo.add_argument("handle", nargs="?", help="a SavedModel to use instead of the bundled one")
    demo.set_defaults(run=_demo)

    remote_commands.add_commands(commands)
    crosscheck_command.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `rsm`; returns the exit status."""
    args = build_parser().parse_args(argv)
    if not args.verbose:
        quiet.quiet_frameworks()
    try:
        return args.run(args)
    except ReusableError as error:
        print(f"rsm {args.command}: {error}", file=sys.stderr)
        return USAGE_ERROR


if __name__ == "__main__":
    sys.exit(main())
