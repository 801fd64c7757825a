"""Consumers that run in a child interpreter, and the request/response files they share.

Keras fixes its backend when it is first imported, so `KerasLayer` on Keras's JAX backend
cannot run beside the consumers that use Keras on TensorFlow. It runs in a child
interpreter started with `KERAS_BACKEND=jax`, on saved models only: the parent writes
`DIR/request`, the child answers every question the checks may ask (`recorded.record`)
into `DIR/response` (both through `wire`: JSON and npz, no pickle), and `run_checks` runs
on those answers as on any other consumer.
"""

from __future__ import annotations

import dataclasses
import os
import resource
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from reusable_savedmodel.adapters.crosscheck import _wire as wire
from reusable_savedmodel.adapters.crosscheck._compare import Truth
from reusable_savedmodel.adapters.crosscheck._entry import CALL, Entry
from reusable_savedmodel.adapters.crosscheck._errors import (
    ChildFailedError,
    KerasBackendError,
    SavedModelOnlyError,
)
from reusable_savedmodel.adapters.crosscheck._installed import missing
from reusable_savedmodel.adapters.crosscheck._recorded import Recording, ways

#: CPU seconds a child may use before it is stopped. A bound on its work, not on the wall
#: clock, which a machine busy with other work stretches without failing anything.
CPU_LIMIT_S = 1800
#: Wall-clock seconds after which a child is taken for hung (blocked, not slow).
HANG_GUARD_S = 3600.0
_REQUEST, _RESPONSE = "request", "response"
#: How the parent tells the child its CPU limit (`serve` applies it).
_CPU_LIMIT_VARIABLE = "RSM_CHILD_CPU_LIMIT_S"


def run_module(
    module: str,
    args: Sequence[str],
    request: Any,
    directory: Path,
    *,
    env: Mapping[str, str],
    cpu_limit_s: int = CPU_LIMIT_S,
) -> Any:
    """Runs `python -m MODULE *ARGS DIRECTORY` on `request`; returns its response.

    Args:
      module: The child's module; it answers with `serve`.
      args: Arguments before the directory.
      request: What the child reads (a value `wire` carries).
      directory: Where the request and response are written (created if needed).
      env: Variables set for the child on top of this process's environment.
      cpu_limit_s: CPU seconds the child may use before it is stopped.

    Returns:
      The child's response.

    Raises:
      ChildFailedError: if the child exits with an error, uses more than `cpu_limit_s` of
        CPU, or blocks past `HANG_GUARD_S`.
    """
    directory.mkdir(parents=True, exist_ok=True)
    wire.write(directory, _REQUEST, request)
    try:
        done = subprocess.run(
            [sys.executable, "-m", module, *args, os.fspath(directory)],
            env={**os.environ, **env, _CPU_LIMIT_VARIABLE: str(cpu_limit_s)},
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_S,
        )
    except subprocess.TimeoutExpired as error:
        raise ChildFailedError(f"{module} ran {HANG_GUARD_S:g} s without finishing, taken for hung") from error
    if done.returncode == -signal.SIGXCPU:
        raise ChildFailedError(f"{module} used more than {cpu_limit_s} s of CPU and was stopped")
    if done.returncode != 0:
        raise ChildFailedError(
            f"{module} failed (exit status {done.returncode}): {exception_line(done.stderr)}"
        )
    return wire.read(directory, _RESPONSE)


def exception_line(stderr: str) -> str:
    """What a failed child raised ("Type: message"), out of its stderr.

    The stderr also holds the frameworks' start-up log lines, so its start says nothing: the
    exception is the first unindented line after the last traceback header.
    """
    header = "Traceback (most recent call last):"
    if header in stderr:
        after = stderr.rsplit(header, 1)[1].splitlines()
        raised = next((line for line in after if line.strip() and not line[0].isspace()), None)
        if raised is not None:
            return raised.strip()
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "(no output)"


def _limit_cpu(seconds: int) -> None:
    """Stops this process once it has used `seconds` of CPU (start-up included).

    A limit the process already has (set by whoever started the parent) is kept where it is
    lower: a process may lower its limits, never raise them.
    """
    _, hard_now = resource.getrlimit(resource.RLIMIT_CPU)
    hard = seconds + 10 if hard_now == resource.RLIM_INFINITY else min(seconds + 10, hard_now)
    resource.setrlimit(resource.RLIMIT_CPU, (min(seconds, hard), hard))


def serve(directory: Path, answer: Callable[[Any], Any]) -> None:
    """The child's side of `run_module`: answers the request in `directory`.

    Args:
      directory: The directory `run_module` passed.
      answer: Request -> response.
    """
    limit = os.environ.get(_CPU_LIMIT_VARIABLE)
    if limit is not None:
        _limit_cpu(int(limit))
    wire.write(directory, _RESPONSE, answer(wire.read(directory, _REQUEST)))


def require_keras_backend(backend: str) -> None:
    """Raises unless Keras runs on `backend` in this interpreter (a child's first check).

    Raises:
      KerasBackendError: naming the backend Keras runs on and the variable that picks another.
    """
    import keras  # only children that use Keras import it; it fixes its backend here

    running = keras.backend.backend()
    if running != backend:
        raise KerasBackendError(f"Keras runs on {running!r} here: start this process with KERAS_BACKEND={backend}")


#: A saved model to check: its path, the inputs to call it on, the reference figures
#: (for the named callables' inputs).
Job = tuple[os.PathLike | str, Any, Truth]


@dataclasses.dataclass(frozen=True)
class ChildConsumer:
    """A consumer run in a child interpreter, on saved models only.

    Attributes:
      name: The consumer's name in reports.
      module: The child's module (it answers `key -> job` requests, `record` by way).
      requires: Top-level packages it needs.
      install: The command that installs them.
      freezes: Whether it has a frozen mode (`trainable=False`) to check.
      env: Variables set for the child (e.g. `KERAS_BACKEND`).
    """

    name: str
    module: str
    requires: tuple[str, ...]
    install: str
    freezes: bool
    env: tuple[tuple[str, str], ...]

    def missing(self) -> list[str]:
        """The packages it needs that are not installed."""
        return missing(self.requires)

    def record(
        self, jobs: Mapping[str, Job], directory: Path | None = None, *, entry: Entry = CALL
    ) -> dict[str, Recording]:
        """Runs the consumer on every saved model in one child; returns what `run_checks` takes.

        Args:
          jobs: Key -> a saved model to check.
          directory: Where the child's request and response are written (default: a
            temporary directory, removed afterwards).
          entry: The models' entry point to check (default `__call__`).

        Returns:
          Key -> a `Recording`, to hand `run_checks` in place of the consumer, with the
          job's path as the source.

        Raises:
          ChildFailedError: if the child fails.
        """
        if directory is None:
            with tempfile.TemporaryDirectory(prefix="rsm-crosscheck-") as temporary:
                return self.record(jobs, Path(temporary), entry=entry)
        request = {
            key: {
                "source": os.fspath(path),
                # Each way with the inputs to call it on: the entry point's, or a callable's.
                "ways": [
                    (list(way), truth.callables[called].inputs if (called := way[1]) is not None and called in truth.callables else inputs)
                    for way in ways(truth.callables, freezes=self.freezes, entry=entry)
                ],
            }
            for key, (path, inputs, truth) in jobs.items()
        }
        figures = run_module(self.module, (), request, directory, env=dict(self.env))
        return {key: Recording(os.fspath(path), self.freezes, figures[key]) for key, (path, _, _) in jobs.items()}

    def refuse_in_process(self, source: Any) -> None:
        """Raises unless `source` is a saved model's path.

        Raises:
          SavedModelOnlyError: for an in-process object.
        """
        if not isinstance(source, (str, os.PathLike)):
            raise SavedModelOnlyError(
                f"{self.name} runs in an interpreter of its own and takes saved models only; "
                f"got a {type(source).__name__}: crosscheck the model's path instead"
            )
