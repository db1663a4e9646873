"""Late rows: changed rows are seen only among the raw rows a series' context keeps for scoring, and counted in words.

The tiny project keeps 97 raw rows per series (seasonal_periods 4h x seasonal_cycles 2 at 5-minute steps, plus the
row at that clock time), so with the watermark at position 399 the rows at positions 303..399 are compared.
"""

from __future__ import annotations

import logging

import pytest
from conftest import long_data

from forecaster.cli.main import main
from forecaster.store import ScanStore

KEPT = "of the last 97 rows kept for scoring (changes to older rows are not seen)"


@pytest.fixture
def at_project(project, monkeypatch):
    folder, run = project
    monkeypatch.chdir(folder)
    return folder, run


def rows(start, end, changed=()):
    """Rows of every series at positions ``start <= i < end``, series b's values at ``changed`` positions raised."""
    data = long_data()
    position = data.groupby("id").cumcount()
    data.loc[(data["id"] == "b") & position.isin(changed), "value"] += 1.0
    return data[(position >= start) & (position < end)]


def scan_cli(run, url, frame, path, capsys, caplog):
    frame.to_csv(path, index=False)
    caplog.clear()
    assert (
        main(["scan", "config.yaml", "--run", str(run), "--store", url, "--data", str(path), "--report", "never"]) == 0
    )
    warnings = [
        r.getMessage() for r in caplog.records if r.name == "forecaster.scan.scanner" and r.levelno == logging.WARNING
    ]
    return capsys.readouterr().out.strip().splitlines()[-1], warnings


def test_a_changed_row_counts_while_in_the_kept_rows_and_n_series_counts_series_scanned(
    at_project, tmp_path, capsys, caplog
):
    _, run = at_project
    url = f"sqlite:///{tmp_path / 'scans.db'}"
    scan_cli(run, url, rows(0, 400), tmp_path / "first.csv", capsys, caplog)
    line, warnings = scan_cli(run, url, rows(0, 400, changed=(302, 303)), tmp_path / "changed.csv", capsys, caplog)
    assert line == (
        "scan 2: 0 of 3 series scanned (3 up to date, 0 skipped), 0 rows scored, 0 new events, 0 updated events, "
        "1 late row, pooled threshold for 3 series; no run folder"
    ), "the change at 303 is among the kept rows, the one at 302 is not"
    assert warnings == [f"series b: 1 row changed since scanned, {KEPT}; re-score them with --rescore-from"]
    line, _ = scan_cli(run, url, rows(0, 410, changed=(302, 303)), tmp_path / "later.csv", capsys, caplog)
    assert ", 30 rows scored, " in line and ", 1 late row, " in line, "compared with the rows kept up to watermark 399"
    line, warnings = scan_cli(run, url, rows(0, 420, changed=(302, 303)), tmp_path / "latest.csv", capsys, caplog)
    assert ", 30 rows scored, " in line and ", 0 late rows, " in line and warnings == [], "303 left the kept rows"
    store = ScanStore(url, create=False)
    assert store.read_table("scan_runs")["n_series"].tolist() == [3, 0, 3, 3], "series scanned, not series read"
    store.close()


def test_unscored_and_changed_late_rows_are_named_in_one_line_per_series(at_project, tmp_path, capsys, caplog):
    _, run = at_project
    url = f"sqlite:///{tmp_path / 'scans.db'}"
    scan_cli(run, url, rows(1, 400), tmp_path / "first.csv", capsys, caplog)
    line, warnings = scan_cli(run, url, rows(0, 400, changed=(350, 351)), tmp_path / "late.csv", capsys, caplog)
    assert ", 5 late rows, " in line
    assert sorted(warnings) == [
        "series a: 1 late row not scored before; re-score them with --rescore-from",
        f"series b: 1 late row not scored before and 2 rows changed since scanned, {KEPT}; "
        "re-score them with --rescore-from",
        "series c: 1 late row not scored before; re-score them with --rescore-from",
    ]
