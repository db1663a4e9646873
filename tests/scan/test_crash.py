"""Scans as separate processes: SIGKILLed at several points then re-run, and two at once on one store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
from conftest import assert_same_store
from sqlalchemy import create_engine, func, select

from forecaster.config import load_config
from forecaster.jobs.scan import scan_job
from forecaster.store import ScanStore
from forecaster.store.schema import scan_runs, watermarks

pytestmark = pytest.mark.slow


def start_scan(folder, run, url, *extra):
    command = [
        sys.executable,
        "-m",
        "forecaster.cli.main",
        "scan",
        "config.yaml",
        "--run",
        str(run),
        "--store",
        url,
        "--set",
        "scan.group_size=1",
        *extra,
    ]
    return subprocess.Popen(
        command,
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )


def reference_store(folder, run, tmp_path, monkeypatch):
    monkeypatch.chdir(folder)
    url = f"sqlite:///{tmp_path / 'reference.db'}"
    scan_job(load_config("config.yaml", []), "config.yaml", run, folder / "long.csv", url)
    return url


def wait_until(process, url, started, n_watermarks, timeout=300):
    """Poll the store until the scan is running with at least ``n_watermarks`` series committed."""
    engine = create_engine(url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                with engine.connect() as connection:
                    running = connection.execute(select(func.count()).where(scan_runs.c.status == "running")).scalar()
                    marks = connection.execute(select(func.count()).select_from(watermarks)).scalar()
                if running and marks >= started + n_watermarks:
                    return True
            except Exception:  # the tables may not exist yet
                pass
            time.sleep(0.02)
        return False
    finally:
        engine.dispose()


def test_a_scan_killed_at_several_points_and_run_again_ends_as_an_uninterrupted_one(
    project, tmp_path, store_url, monkeypatch
):
    folder, run = project
    reference = reference_store(folder, run, tmp_path, monkeypatch)
    ScanStore(store_url).close()
    kills = 0
    points = (0, 1, 2) if store_url.startswith("sqlite") else (0, 1)  # fewer on PostgreSQL: each run starts Keras anew
    for committed in points:
        process = start_scan(folder, run, store_url)
        done = wait_until(process, store_url, committed, 0 if committed == 0 else 1)
        if done:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait(timeout=300)
    assert kills >= 2, "the scans finished before they could be killed"
    final = start_scan(folder, run, store_url)
    out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err.decode()[-2000:]
    assert_same_store(store_url, reference)
    store = ScanStore(store_url, create=False)
    statuses = store.read_table("scan_runs")["status"].tolist()
    store.close()
    assert statuses[-1] == "finished" and statuses.count("interrupted") >= kills - 1


def test_two_scans_at_once_take_turns_and_leave_what_one_scan_leaves(project, tmp_path, monkeypatch):
    """On SQLite, the default store (PostgreSQL's advisory lock is tested in-process in tests/store)."""
    folder, run = project
    store_url = f"sqlite:///{tmp_path / 'scans.db'}"
    reference = reference_store(folder, run, tmp_path, monkeypatch)
    ScanStore(store_url).close()
    processes = [start_scan(folder, run, store_url, "--set", "scan.lock_timeout=300") for _ in range(2)]
    results = [process.communicate(timeout=400) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], [err.decode()[-1000:] for _, err in results]
    assert_same_store(store_url, reference)
    lines = sorted(out.decode().strip().splitlines()[-1] for out, _ in results)
    assert "0 of 3 series scanned (3 up to date, 0 skipped)" in lines[1]
