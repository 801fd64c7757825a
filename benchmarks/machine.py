"""What the figures were measured on: CPU, cores, accelerator and library versions."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import platform
from pathlib import Path
from typing import Any

_DISTRIBUTIONS = (
    "reusable-savedmodel", "tensorflow", "keras", "dm-sonnet", "jax", "jaxlib", "flax",
    "tf2jax", "tf-keras", "tensorflow-hub", "numpy",
)


def _cpu() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _jax_devices() -> list[str]:
    if importlib.util.find_spec("jax") is None:
        return []
    import jax

    return [f"{d.platform}: {d.device_kind}" for d in jax.devices()]


def describe() -> dict[str, Any]:
    """The machine and library versions.

    Returns:
      `{"cpu", "cores", "os", "python", "jax_devices", "versions"}`; a library that is not
      installed has version None.
    """
    return {
        "cpu": _cpu(),
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "jax_devices": _jax_devices(),
        "versions": {d: _version(d) for d in _DISTRIBUTIONS},
    }
