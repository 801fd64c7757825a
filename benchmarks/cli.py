"""The command-line entry point every benchmark command shares."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

Main = Callable[[Sequence[str] | None], int]


def command(
    prog: str,
    doc: str,
    arguments: Callable[[argparse.ArgumentParser], None],
    execute: Callable[[argparse.Namespace], int],
    *,
    uses_tensorflow: Callable[[argparse.Namespace], bool] | None = None,
) -> Main:
    """Makes a command's `main(argv=None) -> exit status`.

    Args:
      prog: How the command is run (e.g. `python -m benchmarks.check`).
      doc: The module's docstring; its first paragraph is the command's description.
      arguments: Adds the command's arguments to a parser.
      execute: Runs the command on the parsed arguments, which also hold `argv`, the
        arguments as given; returns the exit status.
      uses_tensorflow: Parsed arguments -> whether this run imports TensorFlow (the GPU
        side does not: that machine has none). Such runs keep TensorFlow's start-up logs
        out of the output unless `--verbose` is given; None: the command never imports it.

    Returns:
      `main`: parses its `argv` (default: the command line's) and runs the command.
    """

    def main(argv: Sequence[str] | None = None) -> int:
        parser = argparse.ArgumentParser(prog=prog, description=doc.split("\n\n")[0])
        arguments(parser)
        if uses_tensorflow is not None:
            parser.add_argument("--verbose", action="store_true", help="show TensorFlow's start-up logs")
        given = list(sys.argv[1:] if argv is None else argv)
        args = parser.parse_args(given)
        args.argv = given
        if uses_tensorflow is not None and not args.verbose and uses_tensorflow(args):
            from reusable_savedmodel.adapters.cli._quiet import quiet_frameworks

            quiet_frameworks()
        return execute(args)

    return main
