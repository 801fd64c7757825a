"""CI's oldest-supported runs: `nox` (both sessions), run by `.ci/run` after `make test`.

`make test` proves the newest set (what `pip install -e .[dev]` resolves today); these
sessions prove the lower bounds pyproject.toml declares, in virtualenvs of their own:

- `oldest`: TensorFlow 2.17 with the keras, sonnet and hf extras (ci/oldest.in);
- `oldest_jax`: every extra at its floor; the JAX extra needs TensorFlow 2.20 (ci/oldest-jax.in).

Each installs its exact pins (ci/*.txt, compiled from the .in) first, then the project's
wheel (built from the checkout, not the editable tree) with its extras, as a user would into
an environment that already has them; it fails if that moved any pinned version, and runs a
representative subset of the suite against the installed wheel.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv"
nox.options.sessions = ["oldest", "oldest_jax"]

#: The protocol core, the CLI without extras, hf:// handles, the Keras and Sonnet round trips,
#: crosscheck on the bundled example, the security suite.
OLDEST = (
    "tests/interface/test_piece.py",
    "tests/interface/test_loading.py",
    "tests/interface/test_saving.py",
    "tests/interface/test_check.py",
    "tests/interface/test_compat.py",
    "tests/interface/test_optional_extras.py",
    "tests/interface/handles/test_huggingface.py",
    "tests/adapters/keras/test_keras_layer.py",
    "tests/adapters/keras/test_keras_export.py",
    "tests/adapters/keras/test_keras_compat.py",
    "tests/adapters/sonnet/test_sonnet_module.py",
    "tests/adapters/sonnet/test_sonnet_export.py",
    "tests/adapters/sonnet/test_sonnet_compat.py",
    "tests/adapters/crosscheck/test_crosscheck.py::test_named_callables_and_in_process_objects",
    "tests/security",
)

#: The JAX and Flax round trips, Keras on the JAX backend, the demo on the bundled example
#: in every framework.
OLDEST_JAX = (
    "tests/adapters/jax/test_jax_compat.py",
    "tests/adapters/jax/test_to_jax.py",
    "tests/adapters/jax/test_from_jax.py",
    "tests/adapters/flax/test_flax.py",
    "tests/adapters/keras_jax/test_keras_jax.py",
    "tests/adapters/test_demo.py::test_the_bundled_model_goes_through_every_framework_and_trains",
)


def _wheel(session: nox.Session) -> Path:
    """Builds the project's wheel into a fresh temporary folder, by way of its sdist.

    Through the sdist, as `make release-check` does: a wheel built straight from the checkout
    packs whatever a stale `build/lib` holds (modules renamed or deleted since). Not
    `session.create_tmp()`: it points the session's TMPDIR into the checkout, where the
    tests' own temporary files would then sit.
    """
    out = Path(tempfile.mkdtemp(prefix="rsm-wheel-"))
    session.run(sys.executable, "-m", "build", "--outdir", str(out), ".", silent=True, external=True)
    (wheel,) = out.glob("*.whl")
    return wheel


def _run_oldest(session: nox.Session, pins: str, extras: str, tests: tuple[str, ...]) -> None:
    session.install("-r", pins)
    # A user's environment already holds these versions: installing the package must keep them.
    # Same version number as a reused virtualenv may hold: reinstall, never keep a stale build.
    session.install("--reinstall-package", "reusable-savedmodel", f"{_wheel(session)}[{extras}]")
    session.run("python", "ci/same_versions.py", pins)
    session.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests, *session.posargs)


@nox.session(python="3.11")
def oldest(session: nox.Session) -> None:
    """The subset on TensorFlow 2.17, Keras 3.10, tf-keras 2.17, Sonnet 2.0.2 (no JAX)."""
    _run_oldest(session, "ci/oldest.txt", "keras,sonnet,hf", OLDEST)


@nox.session(python="3.11")
def oldest_jax(session: nox.Session) -> None:
    """The JAX-side subset on TensorFlow 2.20, JAX 0.8.0, Flax 0.12.0, tf2jax 0.3.8, Keras 3.10."""
    _run_oldest(session, "ci/oldest-jax.txt", "all", OLDEST_JAX)
