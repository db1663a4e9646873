"""The command line as a user meets it: help, inspect, run, and one-line errors."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecaster.errors import DataError, StoreBusyError

ROOT = Path(__file__).resolve().parents[2]


def forecaster(*args, cwd):
    """Run the CLI in a subprocess and return the completed process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "forecaster.cli.main", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True
    )


@pytest.fixture
def workdir(tmp_path):
    """A temporary working folder holding a copy of the shipped configs and data."""
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    shutil.copytree(ROOT / "data", tmp_path / "data")
    return tmp_path


def test_help_lists_every_command(tmp_path):
    result = forecaster("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in (
        "inspect",
        "run",
        "train",
        "backtest",
        "forecast",
        "detect",
        "check-cell",
        "claims",
        "report",
        "compare",
    ):
        assert command in result.stdout
    assert forecaster("run", "--help", cwd=tmp_path).returncode == 0


def test_inspect_prints_a_profile_and_writes_json(workdir):
    result = forecaster("inspect", "data/ett/ETTh1.csv", cwd=workdir)
    assert result.returncode == 0, result.stderr
    assert "17,420" in result.stdout and "frequency" in result.stdout
    (profile_path,) = (workdir / "reports").glob("inspect-ETTh1-*/profile.json")
    profile = json.loads(profile_path.read_text())
    assert profile["rows"] == 17420
    assert profile["frequency"] == "h"
    assert profile["columns"]["OT"]["missing"] == 0


def test_inspect_reports_gaps_duplicates_and_non_numeric_columns(tmp_path):
    times = (
        pd.date_range("2022-01-01", periods=10, freq="h").delete([3, 4]).append(pd.DatetimeIndex(["2022-01-01 05:00"]))
    )
    frame = pd.DataFrame({"timestamp": times, "v": np.arange(9.0), "kind": list("abcdefghi")})
    frame.loc[0, "v"] = np.nan
    frame.to_csv(tmp_path / "messy.csv", index=False)
    result = forecaster("inspect", "messy.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (profile_path,) = (tmp_path / "reports").glob("inspect-messy-*/profile.json")
    profile = json.loads(profile_path.read_text())
    assert profile["time_column"] == "timestamp"
    assert profile["missing_timestamps"] == 2 and profile["gap_runs"] == 1
    assert profile["duplicate_timestamps"] == 1
    assert profile["unsorted_rows"] == 1
    assert profile["columns"]["v"]["missing"] == 1
    assert profile["columns"]["kind"]["numeric"] is False


@pytest.mark.slow
def test_run_writes_a_complete_run_folder(workdir):
    result = forecaster(
        "run", "configs/etth1_demo.yaml", "--set", "data.max_rows=3000", "--set", "training.epochs=1", cwd=workdir
    )
    assert result.returncode == 0, result.stderr
    (run,) = [p for p in (workdir / "reports").iterdir() if p.name.startswith("etth1_demo-")]
    for name in (
        "config.yaml",
        "metrics.json",
        "index.html",
        "forecasts.csv",
        "predictions.parquet",
        "model/model.keras",
    ):
        assert (run / name).is_file()
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["data"]["rows_truncated"] == 17420 - 3000
    assert sum(metrics["windows"]["windows"].values()) > 0
    assert "max_rows: 3000" in (run / "config.yaml").read_text()
    assert list((run / "figures").glob("*.png"))


def write_csv(path, text):
    path.write_text(text)
    return path.name


HOURS = [f"2020-01-01 {h:02d}:00" for h in range(24)] + [f"2020-01-02 {h:02d}:00" for h in range(24)]


def series_csv(rows):
    return "date,OT\n" + "".join(f"{t},{v}\n" for t, v in rows)


BAD_INPUTS = {
    "empty": ("", "the file is empty"),
    "header_only": ("date,OT\n", "the file has a header but no data rows"),
    "duplicates": (series_csv([(t, 1.0) for t in HOURS] + [(HOURS[5], 2.0)]), "rows share 1 timestamp (first"),
    "non_numeric": (
        series_csv([(t, "x" if i == 7 else 1.0) for i, t in enumerate(HOURS)]),
        "non-numeric target/covariate columns: 'OT' has 'x' in row 8",
    ),
    "mixed_zones": (
        series_csv([(t + ("+01:00" if i % 2 else "+00:00"), 1.0) for i, t in enumerate(HOURS)]),
        "mixes time zones",
    ),
    "too_short": (series_csv([(t, 1.0) for t in HOURS[:10]]), "needs at least 120"),
    "bad_time": (series_csv([("soon" if i == 3 else t, 1.0) for i, t in enumerate(HOURS)]), "'soon' in row 4"),
    "missing_column": ("date,temp\n" + "".join(f"{t},1\n" for t in HOURS), "no column 'OT'"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_data_fails_with_one_clear_line(workdir, case):
    text, expected = BAD_INPUTS[case]
    name = write_csv(workdir / f"{case}.csv", text)
    result = forecaster(
        "run", "configs/etth1_demo.yaml", "--set", f"data.path={name}", "--set", "data.past_covariates=[]", cwd=workdir
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and expected in lines[0]
    assert "Traceback" not in result.stderr
    assert not (workdir / "reports").exists() or not any((workdir / "reports").iterdir())


def test_config_errors_fail_with_one_clear_line(workdir):
    result = forecaster("run", "configs/etth1_demo.yaml", "--set", "windows.lookbak=3", cwd=workdir)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: --set: unknown key 'windows.lookbak'; did you mean 'windows.lookback'?"


def test_debug_flag_shows_the_traceback(workdir):
    result = forecaster("--debug", "run", "configs/etth1_demo.yaml", "--set", "data.path=nope.csv", cwd=workdir)
    assert result.returncode != 0
    assert "Traceback" in result.stderr and "DataError" in result.stderr


@pytest.mark.slow
def test_train_then_forecast_from_the_command_line(workdir):
    overrides = ["--set", "data.max_rows=2000", "--set", "training.epochs=1"]
    trained = forecaster("train", "configs/etth1_demo.yaml", *overrides, cwd=workdir)
    assert trained.returncode == 0, trained.stderr
    run_dir = trained.stdout.strip().splitlines()[-1].removeprefix("trained run: ")
    result = forecaster("forecast", "--run", run_dir, "--data", "data/ett/ETTh1.csv", cwd=workdir)
    assert result.returncode == 0, result.stderr
    forecasts = pd.read_csv(workdir / result.stdout.strip().removeprefix("forecasts: "))
    assert len(forecasts) == 24 and forecasts["target_time"].iloc[0] == "2018-06-26 20:00:00"
    trained_page = (workdir / run_dir / "index.html").read_text()
    assert (
        "forecasting OT 24 steps ahead from the last 96 steps of 11 inputs, on data/ett/ETTh1.csv (1 series, one row every 1 h)."
        in trained_page
    )
    forecast_page = (workdir / result.stdout.strip().removeprefix("forecasts: ")).parent / "index.html"
    assert "Forecasts of OT for the next 24 steps of 1 series" in forecast_page.read_text()
    missing = forecaster("forecast", "--run", "reports/nope", "--data", "data/ett/ETTh1.csv", cwd=workdir)
    assert missing.returncode == 2
    assert (
        missing.stderr.strip()
        == "error: reports/nope: no such run folder; pass a folder under reports/ written by forecaster train"
    )


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["runn"], "error: forecaster: argument COMMAND: invalid choice: 'runn'"),
        (["run"], "error: forecaster run: the following arguments are required: CONFIG; see forecaster run --help"),
        (["events", "--state", "opn"], "error: forecaster events: argument --state: invalid choice: 'opn'"),
    ],
)
def test_usage_errors_are_one_line_too(argv, line, capsys):
    from forecaster.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert len(err.strip().splitlines()) == 1 and err.startswith(line)


def test_a_bug_exits_70_with_its_traceback_never_1(monkeypatch, capsys):
    """1 means 'events found' to a scheduler running scan --exit-code; a crash must not read as that."""
    from forecaster.cli import inspect as inspect_command
    from forecaster.cli.main import INTERNAL_ERROR, main

    def broken(args):
        raise RuntimeError("a bug")

    monkeypatch.setattr(inspect_command, "run_inspect", broken)
    assert main(["inspect", "data.csv"]) == INTERNAL_ERROR == 70
    stderr = capsys.readouterr().err
    assert "RuntimeError: a bug" in stderr and "internal error in forecaster" in stderr


def test_the_page_s_read_this_first_warnings_are_printed_as_notes(tmp_path, capsys):
    """run and detect print what their page says to read first, so a terminal user sees it too."""
    from forecaster.cli.main import print_page_notes
    from forecaster.reports.html import write_index_html
    from forecaster.runs import RunFolder

    with RunFolder(tmp_path, "detect") as run:
        write_index_html(run, "a detection", [], ["23 events."], ["Normal rows were flagged 8 times the target."])
    print_page_notes(run.final_path)
    assert capsys.readouterr().out == "note: Normal rows were flagged 8 times the target.\n"


def test_scan_takes_one_source_of_rows(capsys):
    from forecaster.cli.main import main

    with pytest.raises(SystemExit) as raised:
        main(["scan", "c.yaml", "--run", "r", "--data", "x.csv", "--data-query", "SELECT 1"])
    assert raised.value.code == 2
    assert "argument --data-query: not allowed with argument --data" in capsys.readouterr().err


@pytest.mark.parametrize("unbuffered", ["1", ""], ids=["unbuffered", "buffered"])
def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path, unbuffered):
    """``forecaster events | head -1``: once the reader of stdout has gone, stop as Unix tools do, exit 0, say nothing.

    Buffered, the print succeeds and the broken pipe shows only when stdout is flushed.
    """
    from forecaster.store import ScanStore

    url = f"sqlite:///{tmp_path / 'scans.db'}"
    ScanStore(url).close()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": unbuffered}
    command = subprocess.Popen(
        [sys.executable, "-m", "forecaster.cli.main", "events", "--store", url],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    command.stdout.close()  # the reader goes before the command, still importing, writes anything
    stderr = command.stderr.read()
    assert command.wait() == 0, stderr
    assert stderr == ""


@pytest.mark.parametrize(
    ("error", "code", "line"),
    [
        (RuntimeError("a bug"), 70, "error: an internal error in forecaster"),
        (DataError("bad.csv: no rows"), 2, "error: bad.csv: no rows"),
        (StoreBusyError("scans.db: another scan holds the lock"), 75, "error: scans.db: another scan holds the lock"),
    ],
    ids=["bug", "user error", "store busy"],
)
def test_debug_shows_the_traceback_and_keeps_the_exit_code(monkeypatch, capsys, error, code, line):
    """--debug adds the traceback; it must not turn every error into 1, which scan --exit-code reads as events found."""
    from forecaster.cli import inspect as inspect_command
    from forecaster.cli.main import main

    def broken(args):
        raise error

    monkeypatch.setattr(inspect_command, "run_inspect", broken)
    assert main(["--debug", "inspect", "data.csv"]) == code
    stderr = capsys.readouterr().err
    assert stderr.startswith("Traceback") and type(error).__name__ in stderr
    assert stderr.strip().splitlines()[-1].startswith(line)


def test_version_prints_the_package_version(capsys):
    from forecaster import __version__
    from forecaster.cli.main import main

    with pytest.raises(SystemExit) as raised:
        main(["--version"])
    assert raised.value.code == 0
    assert capsys.readouterr().out == f"forecaster {__version__}\n"
