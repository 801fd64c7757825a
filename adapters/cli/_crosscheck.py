"""The `rsm crosscheck HANDLE` command: the model in every installed consumer."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from reusable_savedmodel.adapters.cli._handles import HANDLE_HELP, handle_ready

#: The consumers' names as `adapters.crosscheck.CONSUMERS` lists them (a test keeps the two
#: equal), so that a wrong `--consumers` name is reported before TensorFlow is imported.
CONSUMER_NAMES = (
    "Piece", "KerasLayer", "SonnetModule", "to_jax", "FlaxModule", "hub.KerasLayer", "KerasLayer[jax]"
)


def _crosscheck(args: argparse.Namespace) -> int:
    unknown = [name for name in args.consumers or () if name not in CONSUMER_NAMES]
    if unknown:
        print(f"rsm crosscheck: unknown consumers {unknown}; known: {', '.join(CONSUMER_NAMES)}", file=sys.stderr)
        return 2
    handle_ready(args.handle, verbose=args.verbose)
    from reusable_savedmodel.adapters.crosscheck import crosscheck

    total = len(args.consumers or CONSUMER_NAMES)
    done = iter(range(1, total + 1))

    def progress(result: Any) -> None:
        # On stderr: stdout holds only the report (JSON with --json).
        print(f"[{next(done)}/{total}] {result.consumer}: {result.verdict}", file=sys.stderr, flush=True)

    report = crosscheck(
        args.handle,
        consumers=args.consumers,
        callable=args.callable,
        signature=args.signature,
        progress=progress,
    )
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
            "with tf.saved_model.load's object. A model with only signatures (Keras 3's "
            "model.export()) runs through serving_default, for inference only. Exit status 0 when "
            "the model passes rsm check, no consumer disagrees or fails and some consumer beyond the "
            "bare Piece agrees; 1 otherwise, with the reason on the last line before the notes."
        ),
    )
    command.add_argument("handle", help=HANDLE_HELP)
    command.add_argument("--json", action="store_true", help="print JSON")
    command.add_argument(
        "--consumers", nargs="+", metavar="NAME", help="run only these consumers (default: every installed one)"
    )
    entry = command.add_mutually_exclusive_group()
    entry.add_argument(
        "--callable", metavar="NAME", help="check this named callable (or tf.function) instead of __call__"
    )
    entry.add_argument(
        "--signature",
        metavar="NAME",
        help="check this signature instead of __call__ (inference only; default for a model "
        "with only signatures: serving_default)",
    )
    command.set_defaults(run=_crosscheck)
