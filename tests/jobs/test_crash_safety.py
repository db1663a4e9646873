"""Kills, torn backups, concurrent runs and unwritable places, tried the way an operator meets them.

Training runs in subprocesses that SIGKILL themselves at chosen points
(``crash_driver.py``); each test then runs the job again and compares it with
an uninterrupted run of the same config: the weights must be bit-identical
and the metrics equal.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecaster.cli.main import main

pytestmark = pytest.mark.slow

DRIVER = Path(__file__).with_name("crash_driver.py")
CONFIG = """name: tiny
data: {path: series.csv, target_columns: [load], past_covariates: [temp]}
windows: {lookback: 24, horizon: 6}
model: {units: 4, dropout: 0.1, quantiles: [0.1, 0.5, 0.9]}
training: {epochs: 5, batch_size: 32, patience: 2, max_train_windows: 96, schedule: plateau, verbose: 0}
report: {output_dir: reports}
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project folder with a tiny series and config, and the run folder of one uninterrupted training."""
    folder = tmp_path_factory.mktemp("project")
    n = 400
    wave = np.sin(2 * np.pi * np.arange(n) / 24)
    noise = np.random.default_rng(0).normal(0, 0.5, n)
    frame = pd.DataFrame(
        {"date": pd.date_range("2024-01-01", periods=n, freq="h"), "load": 20 + 5 * wave + noise, "temp": 10 + wave}
    )
    frame.to_csv(folder / "series.csv", index=False)
    (folder / "tiny.yaml").write_text(CONFIG)
    assert drive(folder, "none").returncode == 0
    return folder


def drive(folder: Path, point: str, epoch: int = 0, *args: str) -> subprocess.CompletedProcess:
    """Run ``forecaster train tiny.yaml`` in ``folder``, killed at ``point`` of ``epoch``."""
    command = [sys.executable, str(DRIVER), point, str(epoch), "--", "train", "tiny.yaml", *args]
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=600)


def runs(folder: Path) -> list[Path]:
    return sorted(path for path in (folder / "reports").glob("tiny-*") if path.is_dir())


def weights(run: Path) -> list[np.ndarray]:
    import keras

    import forecaster.models  # noqa: F401  (registers the custom layers)

    return keras.saving.load_model(run / "model" / "model.keras", safe_mode=True).get_weights()


def training(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())["training"]


def errors(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


def test_killed_at_every_point_resumes_bit_identical(project, tmp_path):
    """Kill after a checkpoint, while writing one, before one, mid-batch and before the run folder is committed."""
    reference = runs(project)[0]
    folder = tmp_path / "killed"
    folder.mkdir()
    for name in ("series.csv", "tiny.yaml"):
        (folder / name).write_bytes((project / name).read_bytes())
    backup = None
    for point, epoch in [
        ("after-checkpoint", 1),
        ("mid-checkpoint", 2),
        ("mid-batch", 3),
        ("before-checkpoint", 3),
        ("before-commit", 0),
    ]:
        result = drive(folder, point, epoch)
        assert result.returncode == -signal.SIGKILL, (point, result.stderr[-2000:])
        assert runs(folder) == []
        backup = next((folder / "reports" / ".backup").glob("tiny-*[!k]"))
        assert (backup / "checkpoint.npz").is_file(), point
    assert list((folder / "reports").glob(".staging-*")), "the kill before commit leaves a staging folder"
    final = drive(folder, "none")
    assert final.returncode == 0, final.stderr[-2000:]
    resumed = runs(folder)[0]
    assert not list((folder / "reports").glob(".staging-*")), "the next run removes the dead run's staging folder"
    assert not backup.exists(), (sorted(backup.parent.rglob("*")), final.stderr[-3000:])
    for left, right in zip(weights(resumed), weights(reference), strict=True):
        np.testing.assert_array_equal(left, right)
    expected, got = training(reference), training(resumed)
    assert got["history"] == expected["history"] and got["epochs"] == expected["epochs"] == 5
    assert got["best_val_loss"] == expected["best_val_loss"]
    assert expected["resumes"] == []
    assert [resume["completed_epochs"] for resume in got["resumes"]] == [2, 2, 3, 3, 5]
    assert os.stat(resumed).st_mode & 0o777 == 0o777 & ~current_umask()


def test_a_torn_or_foreign_checkpoint_is_ignored_with_one_warning(project, tmp_path):
    folder = tmp_path / "torn"
    folder.mkdir()
    for name in ("series.csv", "tiny.yaml"):
        (folder / name).write_bytes((project / name).read_bytes())
    assert drive(folder, "after-checkpoint", 0).returncode == -signal.SIGKILL
    checkpoint = next((folder / "reports" / ".backup").glob("tiny-*/checkpoint.npz"))
    checkpoint.write_bytes(checkpoint.read_bytes()[:5000])
    result = drive(folder, "none")
    assert result.returncode == 0
    warnings = [line for line in result.stderr.splitlines() if "ignoring the training checkpoint" in line]
    assert len(warnings) == 1 and "unreadable" in warnings[0]
    for left, right in zip(weights(runs(folder)[0]), weights(runs(project)[0]), strict=True):
        np.testing.assert_array_equal(left, right)
    assert training(runs(folder)[0])["resumes"] == []


def test_a_second_run_of_the_same_config_exits_75_while_the_first_trains(project, tmp_path):
    folder = tmp_path / "twice"
    folder.mkdir()
    for name in ("series.csv", "tiny.yaml"):
        (folder / name).write_bytes((project / name).read_bytes())
    first = subprocess.Popen(
        [sys.executable, str(DRIVER), "hold-lock", "0", "--", "train", "tiny.yaml"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 300
        while not list((folder / "reports" / ".backup").glob("tiny-*/checkpoint.npz")):
            assert first.poll() is None and time.time() < deadline
            time.sleep(0.5)
        second = drive(folder, "none")
        assert second.returncode == 75
        assert errors(second) == [line for line in second.stderr.splitlines() if line.strip()][-1:]
        assert f"process {first.pid} on" in errors(second)[0] and "is training this config already" in errors(second)[0]
    finally:
        first.kill()
        first.wait()
    assert runs(folder) == []


@pytest.mark.parametrize("kind", ["file", "read-only"])
def test_unusable_output_folders_fail_before_any_work(project, tmp_path, monkeypatch, capsys, kind):
    monkeypatch.chdir(project)
    target = tmp_path / "out"
    if kind == "file":
        target.write_text("not a folder")
        expected = "report.output_dir is a file, not a folder"
    else:
        target.mkdir()
        if os.geteuid() == 0:
            if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(target)]).returncode != 0:
                pytest.skip("running as root without permission to mount a read-only tmpfs")
        else:
            target.chmod(0o555)
        expected = "cannot write run folders here (Read-only file system)" if os.geteuid() == 0 else "Permission denied"
    monkeypatch.setattr("forecaster.jobs.commands.load_windows", lambda *args: pytest.fail("the data was loaded first"))
    try:
        code = main(["train", "tiny.yaml", "--set", f"report.output_dir={target}"])
    finally:
        if kind == "read-only" and os.geteuid() == 0:
            subprocess.run(["umount", str(target)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.startswith(f"error: {target}: ") and expected in err and len(err.splitlines()) == 1


def test_a_full_disk_is_one_line_and_leaves_no_partial_file(project, tmp_path, monkeypatch, capsys):
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs to fill needs root")
    target = tmp_path / "small"
    target.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(target)]).returncode != 0:
        pytest.skip("no permission to mount a tmpfs")
    monkeypatch.chdir(project)
    try:
        code = main(["train", "tiny.yaml", "--set", f"report.output_dir={target}"])
        err = capsys.readouterr().err.strip()
        left = sorted(str(path.relative_to(target)) for path in target.rglob("*") if path.is_file())
    finally:
        subprocess.run(["umount", str(target)])
    assert code == 2 and len(err.splitlines()) == 1 and "No space left on device" in err
    assert "the partial file was removed" in err or "the partial folder was removed" in err
    assert not [name for name in left if name.endswith(".tmp") or ".staging-" in name], left


def test_stale_staging_folders_of_dead_processes_are_removed(tmp_path):
    from forecaster.runs import OWNER_FILE, RunFolder

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    reports = tmp_path / "reports"
    for name, pid in [("dead", dead.pid), ("alive", os.getpid())]:
        staging = reports / f".staging-{name}-0000"
        staging.mkdir(parents=True)
        (staging / OWNER_FILE).write_text(json.dumps({"host": os.uname().nodename, "pid": pid}))
    with RunFolder(reports, "next") as run:
        run.write_text("x.txt", "x")
    assert sorted(path.name for path in reports.glob(".staging-*")) == [".staging-alive-0000"]


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
