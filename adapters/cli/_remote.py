"""The `rsm` commands for remote handles: `scan`, `fetch`, `cache list|verify|clear`."""

from __future__ import annotations

import argparse
import datetime
import json
from typing import Any

from reusable_savedmodel.adapters.cli._handles import HANDLE_HELP, handle_ready
from reusable_savedmodel.interface.kit import counted


def _scan(args: argparse.Namespace) -> int:
    handle_ready(args.handle, verbose=args.verbose)
    from reusable_savedmodel.interface import scan

    report = scan(args.handle)
    print(report.dumps() if args.json else report)
    return 1 if args.strict and not report.safe else 0


def _fetch(args: argparse.Namespace) -> int:
    from reusable_savedmodel.interface import resolve  # no TensorFlow

    options = {"sha256": args.sha256} if args.sha256 else {}
    print(resolve(args.handle, **options))
    return 0


def _cache_list(args: argparse.Namespace) -> int:
    from reusable_savedmodel.interface.kit import Cache

    cache = Cache()
    entries = cache.entries()
    if args.json:
        print(json.dumps({"root": str(cache.root), "entries": [e.to_json() for e in entries]}, indent=2))
        return 0
    print(f"cache {cache.root}: {counted(len(entries), 'entry', 'entries')}")
    for e in entries:
        m = e.manifest
        when = datetime.datetime.fromtimestamp(m.created).isoformat(timespec="seconds") if m else "-"
        size = f"{m.size / 1024:,.0f} KiB" if m else "-"
        state = "ok" if e.problem is None else f"BROKEN ({e.problem})"
        print(f"  {m.handle if m else e.key}\n    {e.path}  {size}  {when}  {state}")
    return 0


def _cache_verify(args: argparse.Namespace) -> int:
    from reusable_savedmodel.interface.kit import Cache, cache_name

    cache = Cache()
    checked = cache.verify(cache_name(args.handle) if args.handle else None)
    broken = [e for e in checked if e.problem is not None]
    for e in checked:
        name = e.manifest.handle if e.manifest else e.key
        print(f"  {name}: {'ok' if e.problem is None else f'BROKEN ({e.problem})'}")
    print(f"verified {counted(len(checked), 'entry', 'entries')} in {cache.root}: {len(broken)} broken")
    return 1 if broken else 0


def _cache_clear(args: argparse.Namespace) -> int:
    from reusable_savedmodel.interface.kit import Cache, cache_name

    cache = Cache()
    removed = cache.clear(cache_name(args.handle) if args.handle else None)
    print(f"removed {counted(len(removed), 'entry', 'entries')} from {cache.root}")
    return 0


def add_commands(subparsers: Any) -> None:
    """Adds `scan`, `fetch` and `cache` to the `rsm` parser's subcommands.

    Args:
      subparsers: What `ArgumentParser.add_subparsers()` returned.
    """
    scan = subparsers.add_parser(
        "scan",
        help="flag every op outside the reviewed pure-computation allowlist",
        description=(
            "Reads saved_model.pb without loading it and flags every op outside the reviewed "
            "pure-computation allowlist, with the function, node and entry point that reach "
            "it. Exit status 1 with --strict when any op is flagged."
        ),
    )
    scan.add_argument("handle", help=HANDLE_HELP)
    scan.add_argument("--json", action="store_true", help="print JSON")
    scan.add_argument("--strict", action="store_true", help="exit with status 1 if any op is flagged")
    scan.set_defaults(run=_scan)

    fetch = subparsers.add_parser(
        "fetch",
        help="download a handle into the cache; print its path",
        description="Downloads (or unpacks) a handle into the cache and prints the local path.",
    )
    fetch.add_argument("handle", help=HANDLE_HELP)
    fetch.add_argument("--sha256", help="expected hex sha256 of the archive")
    fetch.set_defaults(run=_fetch)

    cache = subparsers.add_parser("cache", help="list, verify or clear the download cache")
    actions = cache.add_subparsers(dest="action", required=True)
    listing = actions.add_parser("list", help="list entries, valid or broken")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(run=_cache_list)
    verify = actions.add_parser("verify", help="re-hash entries' files; exit 1 if any changed")
    verify.add_argument("handle", nargs="?", help="the handle whose entry to verify")
    verify.set_defaults(run=_cache_verify)
    clear = actions.add_parser("clear", help="remove every entry, or one handle's")
    clear.add_argument("handle", nargs="?", help="the handle whose entry to remove")
    clear.set_defaults(run=_cache_clear)
