"""A scan's run folder names each new and updated event by its store id (events.csv, summary.json, the page), on
SQLite and PostgreSQL: an alerting script can match them with ``forecaster events`` and the store."""

from __future__ import annotations

import json

import pandas as pd
from conftest import long_data

from forecaster.config import load_config
from forecaster.jobs.scan import scan_job
from forecaster.store import ScanStore


def test_new_and_updated_events_carry_their_store_ids_into_the_run_folder(project, store_url, tmp_path, monkeypatch):
    folder, run = project
    monkeypatch.chdir(folder)
    config = load_config("config.yaml", [f"report.output_dir={tmp_path / 'reports'}"])
    data = long_data()
    first = tmp_path / "first.csv"
    data[data.groupby("id").cumcount() < 422].to_csv(first, index=False)  # ends inside a's burst at rows 420-423
    scan_job(config, "config.yaml", run, first, store_url, report="never")
    store = ScanStore(store_url, create=False)
    (opened,) = store.list_events(series="a", state="open").itertuples()
    summary, run_folder = scan_job(config, "config.yaml", run, folder / "long.csv", store_url)
    touched = store.list_events(scan_id=summary.scan_id).set_index("id")
    store.close()

    written = pd.read_csv(run_folder / "events.csv", parse_dates=["start"])
    assert list(written.columns[:3]) == ["id", "series", "kind"]
    assert sorted(written["id"]) == sorted(touched.index), "every event the scan opened, extended or closed"
    assert written.set_index("id")[["series", "start"]].sort_index().equals(touched[["series", "start"]].sort_index())
    kinds = written.set_index("id")["kind"]
    assert kinds[opened.id] == "updated" and (kinds == "new").sum() == summary.new_events >= 2

    counts = json.loads((run_folder / "summary.json").read_text())
    assert counts["new_event_ids"] == written.loc[written["kind"] == "new", "id"].tolist()
    assert counts["updated_event_ids"] == written.loc[written["kind"] == "updated", "id"].tolist()
    assert counts["removed_event_ids"] == [] and counts["rescore_from"] is None
    table = json.loads((run_folder / "page.json").read_text())["sections"][0]["table"]
    assert table["columns"][0] == "id"
    assert sorted(int(row[0]["text"]) for row in table["rows"]) == sorted(written["id"])
