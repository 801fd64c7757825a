"""The timed phases: call overhead per model and batch, and load time per model.

Both build every path first (a path that fails to build or to run once is reported with
its error, not timed), then time the rest interleaved and take ratios to a baseline.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from benchmarks import cache_hit, models, timing
from benchmarks.binding import Bind

T = TypeVar("T")
_FORMAT = "{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total} {unit} [{elapsed}<{remaining}{postfix}]"


class Progress(tqdm):
    """A progress bar advanced by fractions (a timed block is a share of a case).

    Args:
      desc: What is measured.
      total: How many units.
      unit: What a unit is.
    """

    def __init__(self, desc: str, total: int, unit: str):
        super().__init__(total=total, desc=desc, unit=unit, bar_format=_FORMAT)

    def advance(self, share: float) -> None:
        """Moves on by `share` units, never past the total (float shares add up unevenly).

        Args:
          share: Units done.
        """
        self.update(min(share, self.total - self.n))


def _attempt(makers: Mapping[str, Callable[[], T]]) -> tuple[dict[str, T], dict[str, str]]:
    made, errors = {}, {}
    for name, make in makers.items():
        try:
            made[name] = make()
        except Exception as error:  # reported in the results with its message
            errors[name] = f"{type(error).__name__}: {error}"[:300]
    return made, errors


def _first_call(bind: Bind, x: Any) -> Callable[[], Any]:
    call = bind(x)
    timing.block(call())  # traces or compiles, and shows the path runs at all
    return call


def rows_of(
    names: Sequence[str], stats: Mapping[str, timing.Stats], errors: Mapping[str, str], baselines: Sequence[str]
) -> list[dict[str, Any]]:
    """One result row per path, its ratios taken to the first baseline measured.

    Args:
      names: The paths, in report order.
      stats: Path -> its timings (paths timed together, so their samples pair by round).
      errors: Path -> why it was not timed.
      baselines: Candidate baselines, in preference order.

    Returns:
      Rows with `path`, `baseline`, `stats` (JSON form), `ratio` (of medians),
      `paired_ratio` and `paired_band` (its p25 and p75; see `timing.paired_band`), `error`.
    """
    baseline = next((b for b in baselines if b in stats), None)
    rows = []
    for name in names:
        row: dict[str, Any] = {"path": name, "baseline": baseline, "stats": None, "ratio": None,
                               "paired_ratio": None, "paired_band": None, "error": errors.get(name)}
        if name in stats:
            row["stats"] = stats[name].to_json()
            if baseline is not None:
                row["ratio"] = stats[name].median / stats[baseline].median
                row["paired_ratio"] = timing.paired_ratio(stats[name], stats[baseline])
                row["paired_band"] = list(timing.paired_band(stats[name], stats[baseline]))
        rows.append(row)
    return rows


def _rows(
    names: Sequence[str],
    calls: Mapping[str, Callable[[], Any]],
    errors: Mapping[str, str],
    baselines: Sequence[str],
    settings: timing.Settings,
    progress: Callable[[float], None],
) -> list[dict[str, Any]]:
    return rows_of(names, timing.interleaved(calls, settings, progress) if calls else {}, errors, baselines)


def call_overhead(
    names: Sequence[str],
    source_of: Callable[[str], Any],
    builders: Mapping[str, Callable[[Any], Bind]],
    baselines: Sequence[str],
    batches: Sequence[int],
    settings: timing.Settings,
) -> list[dict[str, Any]]:
    """Times every path on every model and batch size.

    Args:
      names: The models (keys of `models.SHAPES`).
      source_of: Model name -> what the builders take (made once per model).
      builders: Path name -> builder.
      baselines: Ratios are taken against the first of these that was measured.
      batches: Batch sizes.
      settings: How long to time.

    Returns:
      One row per model, batch and path: `model`, `batch`, `path`, `baseline`, `stats`
      (seconds; see `timing.Stats`), `ratio` (of medians), `paired_ratio`, `error`.
    """
    rows = []
    with Progress("call overhead", len(names) * len(batches), "cases") as bar:
        for model in names:
            bar.set_postfix_str(f"{model}: loading, wrapping, converting")
            source = source_of(model)
            binds, errors = _attempt({n: functools.partial(b, source) for n, b in builders.items()})
            for batch in batches:
                bar.set_postfix_str(f"{model} batch {batch}: first calls")
                x = models.inputs(model, batch)
                calls, failed = _attempt({n: functools.partial(_first_call, b, x) for n, b in binds.items()})
                bar.set_postfix_str(f"{model} batch {batch}: timing")
                rows += [
                    {"model": model, "batch": batch, **row}
                    for row in _rows(list(builders), calls, {**errors, **failed}, baselines, settings, bar.advance)
                ]
    return rows


def load_times(
    names: Sequence[str],
    path_of: Callable[[str], Path],
    loaders: Mapping[str, Callable[[Path, str], Callable[[], Any]]],
    baseline: str,
    settings: timing.Settings,
) -> list[dict[str, Any]]:
    """Times every loader on every model, each load afresh; the cached URL is a cache hit.

    Args:
      names: The models.
      path_of: Model name -> its SavedModel directory.
      loaders: Loader name -> builder (see `benchmarks.loading`).
      baseline: The loader ratios are taken against.
      settings: How long to time (one load per block).

    Returns:
      One row per model and loader, as `call_overhead`'s rows without `batch` (`path`
      names the loader).
    """
    rows = []
    with Progress("load time", len(names), "models") as bar:
        for model in names:
            bar.set_postfix_str(model)
            path = path_of(model)
            with cache_hit.staged(path) as url:
                calls, errors = _attempt({n: functools.partial(b, path, url) for n, b in loaders.items()})
                rows += [{"model": model, **row} for row in _rows(list(loaders), calls, errors, [baseline], settings, bar.advance)]
    return rows
