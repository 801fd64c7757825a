"""The command-line entry point every benchmark command shares."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Callable, Sequence

Main = Callable[[Sequence[str] | None], int]


def command(
    prog: str,
    doc: str,
    arguments: Callable[[argparse.ArgumentParser], None],
    execute: Callable[[argparse.Namespace], int],
) -> Main:
    """Makes a command's `main(argv=None) -> exit status`.

    Args:
      prog: How the command is run (e.g. `python -m benchmarks.check`).
      doc: The module's docstring; its first paragraph is the command's description.
      arguments: Adds the command's arguments to a parser.
      execute: Runs the command on the parsed arguments, which also hold `argv`, the
        arguments as given; returns the exit status.

    Returns:
      `main`: parses its `argv` (default: the command line's) and runs the command;
      TensorFlow's start-up logs stay hidden unless `--verbose` is given.
    """

    def main(argv: Sequence[str] | None = None) -> int:
        parser = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0])
        arguments(parser)
        parser.add_argument("--verbose", action="store_true", help="show the frameworks' start-up logs")
        given = list(sys.argv[1:] if argv is None else argv)
        args = parser.parse_args(given)
        args.argv = given
        # The GPU machine has no TensorFlow, and nothing to quiet.
        if not args.verbose and importlib.util.find_spec("tensorflow") is not None:
            from reusable_savedmodel.adapters.cli.quiet import quiet_frameworks

            quiet_frameworks()
        return execute(args)

    return main
