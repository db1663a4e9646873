"""``scan --rescore-from``: a time that is not a timestamp or after the data is refused in one line before any
work; a re-score alerts only on changes an incremental scan alerts on, and counts and reports the events it removes,
whose ids are never given out again."""

import json
import logging

import pandas as pd
import pytest
from conftest import assert_same_store, long_data
from sqlalchemy import update

from forecaster.cli.main import main
from forecaster.config import load_config
from forecaster.jobs.scan import scan_job
from forecaster.store import ScanStore
from forecaster.store.schema import events as events_table


@pytest.mark.parametrize("value", ["yesterday", "2024-13-45", ""])
def test_a_rescore_from_that_is_not_a_timestamp_is_one_line_before_any_work(
    project, tmp_path, monkeypatch, capsys, value
):
    folder, run = project
    monkeypatch.chdir(folder)
    store = tmp_path / "scans.db"
    command = ["scan", "config.yaml", "--run", str(run), "--store", f"sqlite:///{store}", "--rescore-from", value]
    assert main(command) == 2
    assert capsys.readouterr().err == (
        f"error: --rescore-from {value!r}: not a timestamp; write e.g. 2024-05-01 or '2024-05-01 12:00'\n"
    )
    assert not store.exists(), "nothing is scanned"


def scan(run, url, data, rescore_from=None):
    summary, _ = scan_job(load_config("config.yaml", []), "config.yaml", run, data, url, rescore_from, report="never")
    return summary


def test_a_rescore_from_after_the_data_is_refused_before_the_store_changes_and_clears_no_late_row(
    project, tmp_path, monkeypatch, capsys
):
    folder, run = project
    monkeypatch.chdir(folder)
    url = f"sqlite:///{tmp_path / 'scans.db'}"
    scan(run, url, folder / "long.csv")
    changed = long_data()
    changed.loc[changed.index[-1], "value"] += 1.0  # the last row of series c, scanned already
    changed.to_csv(tmp_path / "changed.csv", index=False)
    assert scan(run, url, tmp_path / "changed.csv").late_rows == 1
    runs = ScanStore(url, create=False).read_table("scan_runs")
    command = ["scan", "config.yaml", "--run", str(run), "--store", url, "--data", str(tmp_path / "changed.csv")]
    assert main([*command, "--rescore-from", "2030-01-01"]) == 2
    assert capsys.readouterr().err == (
        f"error: --rescore-from: nothing to re-score after 2030-01-01 00:00:00: the data ends 2024-01-03 10:15:00 "
        f"({tmp_path / 'changed.csv'}); pass a time at or before 2024-01-03 10:15:00\n"
    )
    pd.testing.assert_frame_equal(ScanStore(url, create=False).read_table("scan_runs"), runs)
    assert scan(run, url, tmp_path / "changed.csv").late_rows == 1, "the changed row is still reported"


def test_a_series_ending_before_the_rescore_time_is_left_as_it_was_and_late_rows_before_it_are_counted(
    project, tmp_path, monkeypatch
):
    folder, run = project
    monkeypatch.chdir(folder)
    url = f"sqlite:///{tmp_path / 'scans.db'}"
    data = long_data()
    scan(run, url, folder / "long.csv")
    before = ScanStore(url, create=False)
    marks, scores = before.read_watermarks(["a"]), before.read_table("scores")
    shorter = data[(data["id"] != "a") | (data["date"] < pd.Timestamp("2024-01-03"))].copy()
    changed = (shorter["id"] == "b") & (shorter["date"] == pd.Timestamp("2024-01-03 10:00"))
    shorter.loc[changed, "value"] += 1.0  # before the re-score time, inside the context: late, not re-scored
    shorter.to_csv(tmp_path / "shorter.csv", index=False)
    summary = scan(run, url, tmp_path / "shorter.csv", rescore_from="2024-01-03 10:05")
    assert summary.skipped == {
        "a": "no row at or after --rescore-from 2024-01-03 10:05:00 (its last row is 2024-01-02 23:55:00): "
        "not re-scored, its scores, events and watermark kept"
    }
    assert summary.n_series == 2 and summary.late_rows == 1
    after = ScanStore(url, create=False)
    assert after.read_watermarks(["a"]) == marks
    stored = after.read_table("scores")
    pd.testing.assert_frame_equal(
        stored[stored["series"] == "a"].reset_index(drop=True), scores[scores["series"] == "a"].reset_index(drop=True)
    )


def test_a_rescore_alerts_only_on_events_changed_as_a_scan_changes_them_and_counts_those_it_removes(
    project, store_url, monkeypatch, capsys, caplog
):
    """Stored events altered so that re-scoring the same rows finds each kind of change, on SQLite and PostgreSQL."""
    folder, run = project
    monkeypatch.chdir(folder)
    scan(run, store_url, folder / "long.csv")
    store = ScanStore(store_url, create=False)
    stored = store.list_events(series="b")
    scored, grown, missing = (stored.iloc[k] for k in range(3))
    with store.engine.begin() as connection:  # what an older detector left: another severity, a shorter event
        connection.execute(update(events_table).where(events_table.c.id == int(scored["id"])).values(severity=99.0))
        connection.execute(
            update(events_table)
            .where(events_table.c.id == int(grown["id"]))
            .values(end=grown["start"].to_pydatetime(), n_points=1, state="closed")
        )
    store.write_series(  # an event the re-score will not find (the highest id), and one missing it will add
        1,
        "b",
        store.read_scores(["b"], pd.Timestamp(0), pd.Timestamp(0)),
        [{**stored.iloc[0].to_dict(), "start": "2024-01-01 01:00", "end": "2024-01-01 01:10", "state": "closed"}],
        [],
        *next(iter(store.read_watermarks(["b"]).values())),
        drop_events=(int(missing["id"]),),
    )
    removed_id = int(store.list_events(series="b")["id"].max())
    store.close()
    command = ["scan", "config.yaml", "--run", str(run), "--store", store_url, "--exit-code", "--report", "always"]
    with caplog.at_level(logging.INFO, logger="forecaster.scan.scanner"):
        assert main([*command, "--rescore-from", "2024-01-01"]) == 1, "the grown event and the one re-added"
    line = capsys.readouterr().out
    assert line.startswith(
        "scan 2: 3 of 3 series scanned (0 up to date, 0 skipped), 2100 rows scored (re-scored from 2024-01-01 "
        "00:00:00), 1 new event, 1 updated event, "
        "1 removed event (no longer found by the re-score, or merged into another), 0 late rows, "
    )
    assert (
        f"series b: the re-score no longer finds 1 stored event, removed: id {removed_id} "
        "(2024-01-01 01:00:00 to 2024-01-01 01:10:00)" in caplog.text
    )
    run_folder = folder / line.split("run folder ")[1].strip()
    summary = json.loads((run_folder / "summary.json").read_text())
    assert (summary["new_events"], summary["updated_events"], summary["removed_events"]) == (1, 1, 1)
    assert summary["removed_event_ids"] == [removed_id] and summary["rescore_from"] == "2024-01-01T00:00:00"
    assert (
        f"Removed 1 stored event that the re-score no longer found or merged into another (id {removed_id}; no new "
        "event gets them)." in json.loads((run_folder / "page.json").read_text())["warnings"]
    )
    store = ScanStore(store_url, create=False)
    last = store.last_scan_id()
    assert store.read_table("scan_runs").set_index("id").loc[last, "removed_events"] == 1
    after = store.list_events(series="b").set_index("start")
    assert after.loc[scored["start"], "severity"] == scored["severity"], "the severity is revised..."
    assert after.loc[scored["start"], "last_scan"] == scored["last_scan"], "...without an alert"
    assert after.loc[grown["start"], ["end", "n_points", "last_scan"]].tolist() == [
        grown["end"],
        grown["n_points"],
        last,
    ]
    assert after.loc[missing["start"], "id"] > removed_id, "a new event never gets a removed one's id"
    assert set(store.list_events(scan_id=last)["id"]) == {int(grown["id"]), after.loc[missing["start"], "id"]}
    written = pd.read_csv(run_folder / "events.csv").set_index("kind")["id"]
    assert (written["updated"], written["new"]) == (int(grown["id"]), after.loc[missing["start"], "id"])
    assert (summary["updated_event_ids"], summary["new_event_ids"]) == ([written["updated"]], [written["new"]])
    store.close()


def test_a_rescore_from_after_a_watermark_scores_the_rows_between_and_leaves_no_late_row(
    project, store_url, tmp_path, monkeypatch
):
    """Series a and b scanned to row 499, c never: a re-score from row 600 scores a and b from row 500 and c
    from its first row, so every row is scored once and the store equals that of ordinary scans."""
    folder, run = project
    monkeypatch.chdir(folder)
    data = long_data()
    times = data["date"].drop_duplicates().reset_index(drop=True)
    for end in (400, 500):
        data[(data["date"] < times[end]) & (data["id"] != "c")].to_csv(tmp_path / f"to_{end}.csv", index=False)
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    for url in (store_url, reference):
        scan(run, url, tmp_path / "to_400.csv")
        scan(run, url, tmp_path / "to_500.csv")
    summary = scan(run, store_url, folder / "long.csv", rescore_from=str(times[600]))
    assert (summary.n_series, summary.rows_scored, summary.late_rows) == (3, 2 * 200 + 700, 0)
    store = ScanStore(store_url, create=False)
    scores = store.read_table("scores")
    store.close()
    for name in ("a", "b", "c"):
        assert scores.loc[scores["series"] == name, "time"].sort_values().tolist() == times.tolist(), name
    later = scan(run, store_url, folder / "long.csv")
    assert (later.up_to_date, later.rows_scored, later.late_rows) == (3, 0, 0)
    scan(run, reference, folder / "long.csv")
    assert_same_store(store_url, reference)


def test_a_rescore_under_keep_scores_counts_no_pruned_score_as_a_late_row(project, tmp_path, monkeypatch):
    """Scores older than store.keep_scores before the watermark were pruned, not missed: a re-score from before the
    watermark checks the rows before it within keep_scores of the watermark, as an ordinary scan does."""
    folder, run = project
    monkeypatch.chdir(folder)
    url = f"sqlite:///{tmp_path / 'scans.db'}"
    data = long_data()
    data[data["date"] < pd.Timestamp("2024-01-03 04:00")].to_csv(tmp_path / "first.csv", index=False)
    config = load_config("config.yaml", ["store.keep_scores=0.25"])  # 6 h before each series' 10:15 watermark
    for path in (tmp_path / "first.csv", folder / "long.csv"):
        scan_job(config, "config.yaml", run, path, url, None, report="never")
    assert ScanStore(url, create=False).read_table("scores")["time"].min() == pd.Timestamp("2024-01-03 04:00")
    summary, _ = scan_job(config, "config.yaml", run, folder / "long.csv", url, "2024-01-03 06:00", report="never")
    assert summary.late_rows == 0, "rows from 2024-01-02 23:55 to 04:00 had scores, pruned by keep_scores"
