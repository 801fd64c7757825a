"""The `rsm` command line.

Arguments and handles are checked before any framework is imported: `rsm --help`,
`--version`, usage errors, path errors and `rsm cache ...` import no TensorFlow, and a
command that needs it imports it only once its handle is resolved. Framework start-up logs
stay out of the output unless `--verbose` is given.

`main` (the `rsm` entry point; `python -m reusable_savedmodel.adapters.cli`) is this
package's public surface; its modules are internal.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from reusable_savedmodel._version import __version__
from reusable_savedmodel.adapters.cli import _crosscheck as crosscheck_command
from reusable_savedmodel.adapters.cli import _remote as remote_commands
from reusable_savedmodel.adapters.cli._errors import describe
from reusable_savedmodel.adapters.cli._handles import HANDLE_HELP, frameworks_ready, handle_ready
from reusable_savedmodel.interface import ReusableError
from reusable_savedmodel.interface.kit import TASKS

#: Exit statuses: 0 success, 1 a finding (failed check, unsafe scan, disagreeing crosscheck),
#: 2 a usage error or a handle that cannot be used.
USAGE_ERROR = 2


def _inspect(args: argparse.Namespace) -> int:
    handle_ready(args.handle, verbose=args.verbose)
    from reusable_savedmodel.interface import load

    piece = load(args.handle)
    print(piece.spec.dumps() if args.json else piece.spec.tree(args.handle))
    return 0


def _check(args: argparse.Namespace) -> int:
    handle_ready(args.handle, verbose=args.verbose)
    from reusable_savedmodel.interface import check

    report = check(args.handle, task=args.task)
    print(report.dumps() if args.json else report)
    return 0 if report.ok else 1


def _demo(args: argparse.Namespace) -> int:
    if args.handle is None:
        frameworks_ready(args.verbose)
    else:
        handle_ready(args.handle, verbose=args.verbose)
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
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="show the frameworks' own start-up logs and the full text of network errors",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    inspect = commands.add_parser(
        "inspect",
        help="print what a SavedModel accepts and holds",
        description=(
            "Loads the model and prints what it accepts and holds: each call's inputs and "
            "outputs, the `training` values it is traced for, its keyword arguments, how many "
            "variables (and trainable ones, and their bytes) and regularization losses it has, "
            "and the same for each named callable and signature."
        ),
    )
    inspect.add_argument("handle", help=HANDLE_HELP)
    inspect.add_argument("--json", action="store_true", help="print JSON")
    inspect.set_defaults(run=_inspect)

    check = commands.add_parser(
        "check",
        help="check a SavedModel against the protocol (exit 1 on an error finding)",
        description=(
            "Checks the model against every rule of the Reusable SavedModel protocol and prints "
            "each finding with its code (RSM1xx), severity and where it is. Exit status 1 when "
            "a finding is an error."
        ),
        epilog=f"tasks (--task):\n{_task_help()}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.add_argument("handle", help=HANDLE_HELP)
    check.add_argument("--json", action="store_true", help="print JSON")
    check.add_argument(
        "--task", choices=sorted(TASKS), metavar="TASK",
        help="also check the shapes of a Common SavedModel API task (listed below)",
    )
    check.set_defaults(run=_check)

    demo = commands.add_parser(
        "demo",
        help="the main job in every installed framework, on the bundled model or yours",
        description=(
            "Takes a model through every installed framework (wrap it, compare with "
            "TensorFlow, one fine-tuning step) and ends with a crosscheck table."
        ),
    )
    demo.add_argument(
        "handle", nargs="?", help=f"the model to use instead of the bundled one: {HANDLE_HELP}"
    )
    demo.set_defaults(run=_demo)

    remote_commands.add_commands(commands)
    crosscheck_command.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `rsm`; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except ReusableError as error:
        message = describe(error, handle=getattr(args, "handle", None), verbose=args.verbose)
        print(f"rsm {args.command}: {message}", file=sys.stderr)
        return USAGE_ERROR


__all__ = ["main"]

if __name__ == "__main__":
    sys.exit(main())
