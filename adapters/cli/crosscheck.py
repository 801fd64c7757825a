"""The `rsm crosscheck HANDLE` command: the model in every installed consumer."""

from __future__ import annotations

import argparse
from typing import Any


def _crosscheck(args: argparse.Namespace) -> int:
    from reusable_savedmodel.adapters.crosscheck import crosscheck

    report = crosscheck(args.handle, consumers=args.consumers)
    print(report.dumps() if args.json else report)
    return 0 if report.ok else 1


def add_commands(subparsers: Any) -> None:
    """Adds `crosscheck` to the `rsm` parser's subcommands.

    Args:
      subparsers: What `ArgumentParser.add_subparsers()` returned.
    """
    command = subparsers.add_parser(
        "crosscheck",
        help="run the model in every installed consumer and compare each with the raw TF object",
        description=(
            "Loads the model in Piece, KerasLayer, SonnetModule, to_jax, FlaxModule, "
            "tensorflow_hub's KerasLayer and KerasLayer[jax] (Keras on the JAX backend, in a child "
            "interpreter), each when installed, and compares outputs in both training "
            "modes, gradients, state updates, regularization, frozen mode and named callables "
            "with tf.saved_model.load's object. Exit status 0 when every consumer that can run "
            "the model agrees, 1 otherwise."
        ),
    )
    command.add_argument("handle", help="directory, archive, file:// or http(s):// handle")
    command.add_argument("--json", action="store_true", help="print JSON")
    command.add_argument(
        "--consumers", nargs="+", metavar="NAME", help="run only these consumers (default: every installed one)"
    )
    command.set_defaults(run=_crosscheck)
