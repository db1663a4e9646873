"""Run folders: one folder under ``reports/`` per run, written all-or-nothing.

A run is assembled in a hidden staging folder and renamed into place only when
it completes, so a failed run never leaves a half-written folder behind and
never touches earlier runs. A staging folder records its owner (host and
process id); one left by a process that was killed is removed by the next run
in the same output folder. Run folders are created with the user's umask, so
a shared reports folder stays readable to colleagues.
"""

from __future__ import annotations

import datetime as dt
import errno
import fcntl
import hashlib
import json
import logging
import math
import os
import re
import secrets
import shutil
import socket
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Callable

import yaml

from forecaster.errors import BackupBusyError, RunError
from forecaster.versions import VERSIONS_FILE, software_versions

logger = logging.getLogger(__name__)

STAGING_PREFIX = ".staging-"
OWNER_FILE = ".owner.json"
ORPHAN_AGE_S = 24 * 3600
"""A staging folder without an owner record (written by an older version) is removed once this old."""
DISK_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG)


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
        self._on_commit: list[Callable[[], None]] = []

    def on_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once the folder is renamed into place (not when the run fails), e.g. drop a training backup."""
        self._on_commit.append(action)

    def __enter__(self) -> "RunFolder":
        check_output_dir(self.output_dir)
        remove_stale_staging(self.output_dir)
        self.path = self.output_dir / f"{STAGING_PREFIX}{self.name}-{secrets.token_hex(4)}"
        try:
            self.path.mkdir()  # mode 0777 less the umask, unlike mkdtemp's 0700
            (self.path / OWNER_FILE).write_text(json.dumps({"host": socket.gethostname(), "pid": os.getpid()}))
            (self.path / "figures").mkdir()
        except OSError as exc:
            shutil.rmtree(self.path, ignore_errors=True)
            raise RunError(f"{self.output_dir}: cannot create a run folder here ({exc.strerror})") from None
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self.path is not None
        if exc_type is not None:
            shutil.rmtree(self.path, ignore_errors=True)
            if isinstance(exc, OSError) and is_disk_error(exc):
                raise RunError(
                    f"{self.output_dir}: cannot write the run folder ({describe_os_error(exc)}); the partial folder "
                    "was removed: free space or choose another report.output_dir, then run again"
                ) from None
            return
        (self.path / OWNER_FILE).unlink()
        self.write_json(VERSIONS_FILE, software_versions())
        self.final_path = self._free_final_path()
        os.replace(self.path, self.final_path)
        self.path = self.final_path
        for action in self._on_commit:
            action()

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


class TrainingBackup:
    """The backup folder of one training, written by one process at a time.

    :meth:`acquire` takes an exclusive lock on ``<folder>.lock`` (``flock``,
    released by the kernel when the process dies, so a killed run never
    blocks the next); a second process of the same training is refused with
    :class:`~forecaster.errors.BackupBusyError` (exit code 75).

    Args:
        folder: the backup folder (``<output_dir>/.backup/<name>-<key>``).
    """

    def __init__(self, folder: str | Path) -> None:
        self.path = Path(folder)
        self.lock_path = self.path.with_name(f"{self.path.name}.lock")
        self._handle = None

    @classmethod
    def keyed(cls, output_dir: str | Path, name: str, settings: dict, *arrays: Any) -> "TrainingBackup":
        """The (unlocked) backup of training ``name`` with ``settings`` on the data ``arrays``.

        The folder is ``<output_dir>/.backup/<name>-<key>``, the key the first
        12 hex digits of a SHA-256 of the settings (as sorted JSON) and of the
        arrays' bytes: the same training on the same data finds its backup
        again, and any change to either starts afresh.

        Args:
            output_dir: the runs' output folder (``report.output_dir``).
            name: the training's name (the run name, with a suffix per kind of training).
            settings: JSON-ready settings (the resolved config).
            *arrays: numpy arrays of the training data.

        Returns:
            The :class:`TrainingBackup`; call :meth:`acquire` before training into it.
        """
        data_hash = hashlib.sha256()
        for array in arrays:
            data_hash.update(array.tobytes())
        key = {"config": settings, "data_sha256": data_hash.hexdigest()}
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:12]
        return cls(Path(output_dir) / ".backup" / f"{name}-{digest}")

    def acquire(self) -> "TrainingBackup":
        """Take the lock.

        Returns:
            ``self``.

        Raises:
            BackupBusyError: when another process holds it, naming that process.
            RunError: when the lock file cannot be created (see :func:`check_output_dir`).
        """
        try:
            self.lock_path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(self.lock_path, "a+")
        except OSError as exc:
            raise RunError(f"{self.lock_path}: cannot create the training lock ({describe_os_error(exc)})") from None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            handle.close()
            raise BackupBusyError(
                f"{self.path}: {owner} is training this config already; wait for it to finish (or stop it) and run "
                "again, or give this run another name or report.output_dir"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"process {os.getpid()} on {socket.gethostname()}")
        handle.flush()
        self._handle = handle
        return self

    def remove(self) -> None:
        """Delete the backup (its run folder is committed) and release the lock."""
        shutil.rmtree(self.path, ignore_errors=True)
        self.release()

    def release(self) -> None:
        """Release the lock, keeping the backup for a later resume."""
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def check_output_dir(output_dir: str | Path) -> Path:
    """Make sure run folders can be written under ``output_dir`` before any work starts.

    Creates the folder (and its parents) when missing, then writes and
    removes a probe file, which catches read-only file systems that
    permission bits alone do not show.

    Args:
        output_dir: the parent of run folders (``report.output_dir``).

    Returns:
        The folder.

    Raises:
        RunError: naming the folder, when it is a file, cannot be created or is not writable.
    """
    folder = Path(output_dir)
    if folder.exists() and not folder.is_dir():
        raise RunError(f"{folder}: report.output_dir is a file, not a folder; point report.output_dir at a folder")
    probe = folder / f".probe-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise RunError(
            f"{folder}: cannot write run folders here ({describe_os_error(exc)}); choose another report.output_dir "
            "or fix its permissions"
        ) from None
    return folder


def remove_stale_staging(output_dir: Path) -> list[Path]:
    """Remove the staging folders of runs that died before finishing.

    A staging folder is stale when its owner record names this host and a
    process that no longer exists, or when it has no owner record and is
    older than :data:`ORPHAN_AGE_S`. Folders of live processes and of other
    hosts are left alone.

    Args:
        output_dir: the parent of run folders.

    Returns:
        The folders removed.
    """
    removed = []
    host = socket.gethostname()
    for folder in Path(output_dir).glob(f"{STAGING_PREFIX}*"):
        try:
            owner = json.loads((folder / OWNER_FILE).read_text())
            stale = owner.get("host") == host and not process_alive(int(owner["pid"]))
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            try:
                stale = time.time() - folder.stat().st_mtime > ORPHAN_AGE_S
            except OSError:
                continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            logger.info("removed %s, left by a run that did not finish", folder)
            removed.append(folder)
    return removed


def process_alive(pid: int) -> bool:
    """Whether a process with id ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by another user
        return True
    return True


def is_disk_error(exc: OSError) -> bool:
    """Whether ``exc`` says the disk is full, read-only or forbidden (so the user must act), not a bug."""
    return exc.errno in DISK_ERRORS or "No space left" in str(exc)


def describe_os_error(exc: OSError) -> str:
    """A short reason for an operating-system error, e.g. ``No space left on device``."""
    return exc.strerror or str(exc).splitlines()[0][:120] or type(exc).__name__


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
