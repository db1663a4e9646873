"""The software a run was made with: recorded as ``versions.json`` in every run folder.

Knowing the versions of forecaster, Keras, its backend, numpy and pandas (and
the git commit of a source checkout) is what makes a run folder reproducible
months later, or explains why two runs of one config differ.
"""

from __future__ import annotations

import functools
import os
import platform
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

VERSIONS_FILE = "versions.json"
"""The file in every run folder that records :func:`software_versions`."""
BACKEND_DISTRIBUTIONS = {"tensorflow": ("tensorflow", "tensorflow-cpu"), "jax": ("jax",), "torch": ("torch",)}
"""Distributions that may provide each Keras backend, first found wins."""


def software_versions() -> dict[str, str | None]:
    """Return the versions of the software behind a run, JSON-ready.

    Reads installed distributions' metadata and never imports Keras: the
    backend is the imported Keras's (``keras.backend.backend()``) when Keras
    is loaded, else ``KERAS_BACKEND`` (default ``tensorflow``).

    Returns:
        ``{"forecaster", "python", "keras", "backend", "backend_version",
        "numpy", "pandas", "git_commit"}``; a value is ``None`` when the
        package is not installed or the code is not in a git checkout.

    Example:
        >>> versions = software_versions()
        >>> sorted(versions)[:3]
        ['backend', 'backend_version', 'forecaster']
    """
    keras = sys.modules.get("keras")
    backend = keras.backend.backend() if keras is not None else os.environ.get("KERAS_BACKEND", "tensorflow")
    return {
        "forecaster": _installed("forecaster"),
        "python": platform.python_version(),
        "keras": _installed("keras"),
        "backend": backend,
        "backend_version": next(
            (found for name in BACKEND_DISTRIBUTIONS.get(backend, (backend,)) if (found := _installed(name))), None
        ),
        "numpy": _installed("numpy"),
        "pandas": _installed("pandas"),
        "git_commit": git_commit(),
    }


@functools.lru_cache(maxsize=1)
def git_commit() -> str | None:
    """Return the commit of the git checkout holding this package (``None`` for an installed wheel or no git)."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=Path(__file__).parent, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def _installed(distribution: str) -> str | None:
    try:
        return version(distribution)
    except PackageNotFoundError:
        return None
