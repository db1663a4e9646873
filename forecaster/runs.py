"""Run folders: one folder under ``reports/`` per run, written all-or-nothing.

A run is assembled in a hidden staging folder and renamed into place only when
it completes, so a failed run never leaves a half-written folder behind and
never touches earlier runs.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import shutil
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from forecaster.errors import RunError
from forecaster.versions import VERSIONS_FILE, software_versions


class RunFolder:
    """A run folder being written; use as a context manager.

    Inside the ``with`` block, files go to ``self.path`` (the staging folder).
    On normal exit the folder is renamed to ``final_path``; on an exception it
    is deleted and the exception propagates.

    Args:
        output_dir: parent folder, created if missing.
        name: run name; the folder is ``<name>-<YYYYmmdd-HHMMSS>`` with a
            numeric suffix when that name is taken.
    """

    def __init__(self, output_dir: str | Path, name: str) -> None:
        self.output_dir = Path(output_dir)
        self.name = _safe_name(name)
        self.path: Path | None = None
        self.final_path: Path | None = None

    def __enter__(self) -> "RunFolder":
        try:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            self.path = Path(tempfile.mkdtemp(prefix=f".staging-{self.name}-", dir=self.output_dir))
        except OSError as exc:
            raise RunError(f"{self.output_dir}: cannot create a run folder here ({exc.strerror})") from None
        (self.path / "figures").mkdir()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self.path is not None
        if exc_type is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            return
        self.write_json(VERSIONS_FILE, software_versions())
        self.final_path = self._free_final_path()
        os.replace(self.path, self.final_path)
        self.path = self.final_path

    def figure_path(self, stem: str) -> Path:
        """Return the path of figure ``stem`` (PNG) inside the run folder."""
        assert self.path is not None
        return self.path / "figures" / f"{stem}.png"

    def write_json(self, relative: str, payload: Any) -> Path:
        """Write ``payload`` as strict, indented JSON (NaN and infinities as ``null``) to ``relative``."""
        text = json.dumps(_finite(payload), indent=2, default=_json_default, allow_nan=False)
        return self._write_text(relative, text + "\n")

    def write_yaml(self, relative: str, payload: Any) -> Path:
        """Write ``payload`` as YAML (key order kept) to ``relative`` inside the run folder."""
        return self._write_text(relative, yaml.safe_dump(payload, sort_keys=False))

    def write_text(self, relative: str, text: str) -> Path:
        """Write ``text`` to ``relative`` inside the run folder."""
        return self._write_text(relative, text)

    def _write_text(self, relative: str, text: str) -> Path:
        assert self.path is not None
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    def _free_final_path(self) -> Path:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        candidate = self.output_dir / f"{self.name}-{stamp}"
        suffix = 1
        while candidate.exists():
            suffix += 1
            candidate = self.output_dir / f"{self.name}-{stamp}-{suffix}"
        return candidate


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-.")
    return cleaned or "run"


def _finite(value: Any) -> Any:
    """Replace NaN and infinite floats by None, recursively (numpy scalars and arrays too), so the JSON is strict."""
    if getattr(getattr(value, "dtype", None), "kind", "") in tuple("biufc") and hasattr(value, "tolist"):
        value = value.tolist()  # a numpy scalar or array: Python numbers, NaN among them, in nested lists
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def _json_default(value: Any) -> Any:
    """Make numpy scalars, arrays, paths and timestamps JSON-serialisable."""
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (Path, dt.date, dt.datetime)) or hasattr(value, "isoformat"):
        return str(value)
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")
