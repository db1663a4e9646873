"""``scan_runs.detector_run`` names the detection run folder a scan used, not the link or relative path it was given."""

from __future__ import annotations

import os

from sqlalchemy import text

from forecaster.cli.main import main
from forecaster.store import ScanStore


def detector_runs(url):
    store = ScanStore(url, create=False)
    runs = store.read_table("scan_runs")["detector_run"].tolist()
    store.close()
    return runs


def test_a_scan_through_a_link_stores_the_run_folder_it_resolved_and_reads_older_rows(project, tmp_path, monkeypatch):
    folder, run = project
    monkeypatch.chdir(tmp_path)
    os.symlink(os.path.relpath(run, tmp_path), "latest")  # a relative link, as `ln -s reports/... latest` makes
    url = f"sqlite:///{tmp_path / 'scans.db'}"
    command = ["scan", str(folder / "config.yaml"), "--data", str(folder / "long.csv"), "--store", url]
    assert main([*command, "--run", "latest", "--report", "never"]) == 0
    assert detector_runs(url) == [str(run.resolve())]

    store = ScanStore(url)  # the row as scans before this change wrote it: the --run argument as given
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE scan_runs SET detector_run = 'latest'"))
    store.close()
    assert main([*command, "--run", str(run), "--report", "never"]) == 0, "the same run, spelled otherwise, continues"
    assert detector_runs(url) == ["latest", str(run.resolve())]
