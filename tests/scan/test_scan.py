"""Incremental scans into SQLite and PostgreSQL: chunks equal one scan, idempotence, late data, bad series, the CLI."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pandas as pd
import pytest
from conftest import SERIES, assert_same_store, long_data, read_store
from sqlalchemy import create_engine

from forecaster.cli.main import main
from forecaster.config import load_config
from forecaster.errors import ConfigError, DataError
from forecaster.jobs.scan import scan_job
from forecaster.store import ScanStore


@pytest.fixture
def at_project(project, monkeypatch):
    folder, run = project
    monkeypatch.chdir(folder)
    return folder, run


def scan(run, url, data, *overrides, rescore_from=None):
    config = load_config("config.yaml", list(overrides))
    summary, _ = scan_job(config, "config.yaml", run, data, url, rescore_from)
    return summary


def write(frame, path):
    frame.to_csv(path, index=False)
    return path


def rows_between(frame, start, end):
    """Rows of every series with positions ``start <= i < end`` in their series."""
    position = frame.groupby("id").cumcount()
    return frame[(position >= start) & (position < end)]


def test_a_scan_of_all_the_data_scores_every_point_as_detect_does(at_project, tmp_path):
    folder, run = at_project
    url = f"sqlite:///{tmp_path / 'scans.db'}"
    summary = scan(run, url, folder / "long.csv")
    assert summary.n_series == 3 and summary.rows_scored == 3 * len(long_data()) // 3 and not summary.skipped
    scores, _ = read_store(url)
    detected = pd.read_parquet(run / "scores.parquet").sort_values(["series", "time"]).reset_index(drop=True)
    for column in ("error", "threshold", "likelihood", "log_likelihood", "alarm"):
        np.testing.assert_allclose(
            scores[column].to_numpy(float), detected[column].to_numpy(float), rtol=1e-12, equal_nan=True
        )
    assert (scores["flag"].astype(bool) == detected["flag"]).all() and (scores["source"] == detected["source"]).all()


@pytest.mark.slow
@pytest.mark.parametrize("arrival", ["growing file", "new rows only"])
def test_data_arriving_in_chunks_gives_the_scores_and_events_of_one_scan(at_project, tmp_path, store_url, arrival):
    folder, run = at_project
    data = long_data()
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    scan(run, reference, folder / "long.csv")
    cuts = [0, 300, 431, 523, 604, len(data) // len(SERIES)]
    for k, (start, end) in enumerate(zip(cuts[:-1], cuts[1:])):
        chunk = rows_between(data, 0 if arrival == "growing file" else start, end)
        summary = scan(run, store_url, write(chunk, tmp_path / f"chunk_{k}.csv"))
        assert summary.rows_scored == 3 * (end - start) and summary.late_rows == 0
    assert_same_store(store_url, reference)
    _, events = read_store(store_url)
    assert len(events) >= 3, "the planted bursts make events"


def test_a_second_identical_scan_adds_nothing(at_project, store_url):
    folder, run = at_project
    first = scan(run, store_url, folder / "long.csv")
    before = read_store(store_url)
    second = scan(run, store_url, folder / "long.csv")
    assert first.rows_scored > 0 and first.new_events > 0
    assert (second.n_series, second.rows_scored, second.new_events, second.updated_events, second.late_rows) == (
        0,
        0,
        0,
        0,
        0,
    )
    assert second.up_to_date == 3
    after = read_store(store_url)
    pd.testing.assert_frame_equal(before[0], after[0])
    pd.testing.assert_frame_equal(before[1], after[1])


@pytest.mark.slow
def test_an_event_open_at_a_chunk_boundary_is_extended_not_duplicated(at_project, tmp_path):
    folder, run = at_project
    reference = f"sqlite:///{tmp_path / 'reference.db'}"
    scan(run, reference, folder / "long.csv")
    _, events = read_store(reference)
    long_events = events[events["n_points"] >= 3]
    assert not long_events.empty
    target = long_events.iloc[0]
    times = pd.date_range("2024-01-01", periods=len(long_data()) // 3, freq="5min")
    cut = int(np.searchsorted(times, target["start"])) + 2
    url = f"sqlite:///{tmp_path / 'chunks.db'}"
    data = long_data()
    scan(run, url, write(rows_between(data, 0, cut), tmp_path / "first.csv"))
    store = ScanStore(url, create=False)
    (opened,) = store.list_events(series=target["series"], since=target["start"]).itertuples()
    assert opened.state == "open" and opened.end < target["end"]
    later = scan(run, url, write(rows_between(data, cut, len(times)), tmp_path / "second.csv"))
    assert later.updated_events >= 1
    extended = store.list_events(series=target["series"], since=target["start"])
    assert extended["id"].iloc[0] == opened.id and extended["end"].iloc[0] == target["end"]
    assert extended["first_scan"].iloc[0] < extended["last_scan"].iloc[0]
    store.close()
    assert_same_store(url, reference)


@pytest.mark.slow
def test_late_rows_are_counted_not_rescored_and_rescore_from_replaces_them(at_project, tmp_path):
    folder, run = at_project
    data = long_data()
    n_rows = len(data) // 3
    url = f"sqlite:///{tmp_path / 'scans.db'}"
    scan(run, url, write(rows_between(data, 100, n_rows), tmp_path / "late_start.csv"))
    before, _ = read_store(url)
    changed = data.copy()
    changed.loc[(changed["id"] == "b") & (changed.groupby("id").cumcount() == n_rows - 1), "value"] += 1.0
    summary = scan(run, url, write(changed, tmp_path / "changed.csv"))
    assert summary.late_rows == 3 * 100 + 1 and summary.rows_scored == 0
    pd.testing.assert_frame_equal(read_store(url)[0], before)
    rescore_from = "2024-01-03 06:00"
    summary = scan(run, url, tmp_path / "changed.csv", rescore_from=rescore_from)
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    scan(run, fresh, tmp_path / "changed.csv")
    rescored, fresh_scores = read_store(url)[0], read_store(fresh)[0]
    late = rescored["time"] >= pd.Timestamp(rescore_from)
    assert summary.rows_scored == late.sum()
    pd.testing.assert_frame_equal(
        rescored[late].reset_index(drop=True),
        fresh_scores[fresh_scores["time"] >= pd.Timestamp(rescore_from)].reset_index(drop=True),
        rtol=1e-7,
        atol=1e-9,
    )
    assert (rescored.loc[~late, "time"] >= pd.Timestamp("2024-01-01 08:20")).all(), "scores before the range are kept"
    assert_events_match_after(url, fresh, pd.Timestamp(rescore_from))


def test_rescoring_unchanged_data_from_inside_an_event_alerts_on_nothing(at_project, tmp_path):
    """The same rows re-scored from a time inside a stored event: no new or updated event, no duplicate."""
    folder, run = at_project
    url = f"sqlite:///{tmp_path / 'scans.db'}"
    scan(run, url, folder / "long.csv")
    before = ScanStore(url, create=False).list_events()
    spanning = before[before["end"] > before["start"]].iloc[0]
    inside = (spanning["start"] + (spanning["end"] - spanning["start"]) / 2).floor("5min")
    assert spanning["start"] < inside <= spanning["end"]
    summary = scan(run, url, folder / "long.csv", rescore_from=str(inside))
    assert summary.rows_scored > 0 and (summary.new_events, summary.updated_events) == (0, 0)
    after = ScanStore(url, create=False).list_events()
    pd.testing.assert_frame_equal(after, before)  # same ids, first and last scans: nothing to alert on again


def assert_events_match_after(left, right, start):
    events_left, events_right = read_store(left)[1], read_store(right)[1]
    pd.testing.assert_frame_equal(
        events_left[events_left["end"] >= start].reset_index(drop=True),
        events_right[events_right["end"] >= start].reset_index(drop=True),
    )


def test_rows_of_an_sql_query_scan_like_the_same_rows_from_a_file(at_project, tmp_path):
    folder, run = at_project
    source = f"sqlite:///{tmp_path / 'metrics.db'}"
    engine = create_engine(source)
    long_data().to_sql("metrics", engine, index=False)
    engine.dispose()
    from_file, from_query = f"sqlite:///{tmp_path / 'file.db'}", f"sqlite:///{tmp_path / 'query.db'}"
    scan(run, from_file, folder / "long.csv")
    config = load_config("config.yaml", [f"data.url={source}", "data.path=null"])  # a query needs no data file
    summary, _ = scan_job(
        config, "config.yaml", run, store_url=from_query, data_query="SELECT date, id, value FROM metrics"
    )
    assert summary.n_series == 3
    assert_same_store(from_query, from_file)
    with pytest.raises(DataError, match="no such table"):
        scan_job(config, "config.yaml", run, store_url=from_query, data_query="SELECT * FROM missing_table")
    with pytest.raises(ConfigError, match="needs data.url"):
        scan_job(load_config("config.yaml", []), "config.yaml", run, store_url=from_query, data_query="SELECT 1")


def test_a_bad_series_is_reported_and_the_others_are_scanned(at_project, tmp_path):
    folder, run = at_project
    data = long_data()
    series_dir = tmp_path / "series"
    series_dir.mkdir()
    for name in ("a", "b"):
        write(data[data["id"] == name].drop(columns="id"), series_dir / f"{name}.csv")
    broken = data[data["id"] == "c"].drop(columns="id").astype({"value": object})
    broken.iloc[5, 1] = "n/a?"
    write(broken, series_dir / "c.csv")
    coarse = data[data["id"] == "a"].drop(columns="id").iloc[::2]
    write(coarse, series_dir / "d.csv")
    url = f"sqlite:///{tmp_path / 'scans.db'}"
    summary = scan(run, url, series_dir)
    assert summary.n_series == 2 and set(summary.skipped) == {"c", "d"}
    assert "n/a?" in summary.skipped["c"]
    runs = ScanStore(url, create=False).read_table("scan_runs")
    assert set(json.loads(runs["skipped"].iloc[0])) == {"c", "d"} and runs["status"].iloc[0] == "finished"


def test_an_unseen_series_is_skipped_unless_its_scaling_may_be_fitted(at_project, tmp_path):
    folder, run = at_project
    data = long_data(series=("a", "zz"))
    path = write(data, tmp_path / "unseen.csv")
    url = f"sqlite:///{tmp_path / 'scans.db'}"
    refused = scan(run, url, path)
    assert refused.n_series == 1 and "unseen_series: fit" in refused.skipped["zz"]
    few_rows = write(data.groupby("id").head(10), tmp_path / "few.csv")
    few = scan(run, f"sqlite:///{tmp_path / 'few.db'}", few_rows, "anomaly.unseen_series=fit")
    assert few.scaling_fitted == [] and "only 5 declared-normal rows" in few.skipped["zz"]  # 4 windows of 8: 32
    assert "at least 32 needed" in few.skipped["zz"] and few.n_series == 1
    fitting = f"sqlite:///{tmp_path / 'fitting.db'}"
    half = len(data) // 4
    first = scan(
        run, fitting, write(rows_between(data, 0, 2 * half), tmp_path / "first.csv"), "anomaly.unseen_series=fit"
    )
    assert first.scaling_fitted == ["zz"]
    second = scan(run, fitting, path, "anomaly.unseen_series=fit")
    assert second.scaling_fitted == [] and second.rows_scored == 2 * (len(data) // 2 - 2 * half)


def test_scoring_settings_that_cannot_continue_incrementally_are_refused(at_project, tmp_path):
    folder, run = at_project
    url = f"sqlite:///{tmp_path / 'scans.db'}"
    with pytest.raises(ConfigError, match="causal"):
        scan(run, url, folder / "long.csv", "anomaly.mode=centered")
    with pytest.raises(ConfigError, match="fixed level"):
        scan(run, url, folder / "long.csv", "anomaly.threshold.method=dynamic")
    scan(run, url, folder / "long.csv")
    with pytest.raises(ConfigError, match="differ from those of scan 1"):
        scan(run, url, folder / "long.csv", "anomaly.ewma_span=5")


def test_the_cli_exit_codes_summary_line_and_events_formats(at_project, tmp_path, store_url, capsys):
    folder, run = at_project
    command = ["scan", "config.yaml", "--run", str(run), "--store", store_url, "--exit-code"]
    assert main(command) == 1
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("scan 1: 3 of 3 series scanned (0 up to date, 0 skipped), ") and "run folder" in line
    assert re.search(r", \d+ new events?, \d+ updated events?, 0 late rows[,;] ", line)
    assert main(command) == 0
    assert "0 rows scored" in capsys.readouterr().out
    assert main(["events", "--store", store_url, "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed and {"series", "start", "end", "peak", "severity", "state"} <= set(listed[0])
    assert main(["events", "--store", store_url, "--series", "b", "--format", "csv"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].startswith("id,series,start") and all(",b," in row for row in lines[1:])
    assert main(["events", "--store", store_url, "--since-scan", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == [], "the last scan opened and extended nothing"
    assert main(["events", "--store", store_url, "--min-severity", "1e9"]) == 0
    assert capsys.readouterr().out.strip() == f"no events in {store_url}"
    assert main(["events", "--store", store_url, "--since", "not a time"]) == 2
    assert "--since" in capsys.readouterr().err
    assert main(["events", "--store", store_url, "--series", "bb"]) == 2  # a typo is not "no events"
    assert capsys.readouterr().err.strip() == "error: --series 'bb': no scan has scored this series; did you mean 'b'?"
    store = ScanStore(store_url)
    with store.lock(timeout=0):
        assert main([*command, "--set", "scan.lock_timeout=0.3"]) == 75
    assert "another scan holds the store's lock" in capsys.readouterr().err
    store.close()


def test_a_scan_run_folder_has_the_summary_events_and_a_page(at_project, tmp_path):
    folder, run = at_project
    config = load_config("config.yaml", [])
    summary, run_folder = scan_job(config, "config.yaml", run, folder / "long.csv", f"sqlite:///{tmp_path / 's.db'}")
    assert json.loads((run_folder / "summary.json").read_text())["new_events"] == summary.new_events
    assert len(pd.read_csv(run_folder / "events.csv")) == summary.new_events
    assert (run_folder / "index.html").is_file() and list((run_folder / "figures").glob("scan_events_*.png"))


def test_a_scan_of_quiet_rows_scores_them_but_writes_no_run_folder(at_project, tmp_path):
    folder, run = at_project
    quiet = write(long_data().groupby("id").head(300), tmp_path / "quiet.csv")  # before the first planted burst
    never_flags = ["anomaly.threshold.method=std", "anomaly.threshold.k=1000"]  # the tiny detector's noise stays quiet
    config = load_config("config.yaml", [f"report.output_dir={tmp_path / 'reports'}", *never_flags])
    summary, run_folder = scan_job(config, "config.yaml", run, quiet, f"sqlite:///{tmp_path / 'quiet.db'}")
    assert summary.rows_scored > 0 and summary.new_events == summary.updated_events == 0 and not summary.skipped
    assert run_folder is None and not (tmp_path / "reports").exists()


def test_a_scan_with_nothing_new_writes_no_run_folder_unless_asked(at_project, tmp_path, capsys):
    folder, run = at_project
    reports = tmp_path / "reports"
    url = f"sqlite:///{tmp_path / 'scans.db'}"
    command = ["scan", "config.yaml", "--run", str(run), "--store", url, "--set", f"report.output_dir={reports}"]

    def folders():
        return sorted(reports.glob("tiny-scan-*"))

    assert main(command) == 0 and len(folders()) == 1
    assert main(command) == 0 and len(folders()) == 1, "nothing scored, no event changed: no run folder"
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith(
        "scan 2: 0 of 3 series scanned (3 up to date, 0 skipped), 0 rows scored, 0 new events, 0 updated events, "
        "0 late rows"
    ) and line.endswith("; no run folder")
    assert main([*command, "--report", "always"]) == 0 and len(folders()) == 2
    assert json.loads((folders()[-1] / "summary.json").read_text())["rows_scored"] == 0
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert main([*command, "--store", fresh, "--report", "never"]) == 0 and len(folders()) == 2
    assert "no run folder" in capsys.readouterr().out
    assert ScanStore(url, create=False).read_table("scan_runs")["status"].tolist() == ["finished"] * 3
    assert ScanStore(fresh, create=False).read_table("scan_runs")["rows_scored"].tolist() == [3 * len(long_data()) // 3]


def test_a_bad_series_in_a_long_file_is_skipped_and_the_others_scan_as_from_a_clean_file(at_project, tmp_path):
    folder, run = at_project
    data = long_data().astype({"value": object})
    data.loc[data.index[data["id"] == "b"][7], "value"] = "n/a?"
    clean, mixed = f"sqlite:///{tmp_path / 'clean.db'}", f"sqlite:///{tmp_path / 'mixed.db'}"
    summary = scan(run, mixed, write(data, tmp_path / "mixed.csv"))
    assert summary.n_series == 2 and list(summary.skipped) == ["b"] and "n/a?" in summary.skipped["b"]
    scan(run, clean, write(long_data().query("id != 'b'"), tmp_path / "clean.csv"))
    assert_same_store(mixed, clean)


def test_a_skipped_series_is_named_once_in_the_cli_line_the_page_and_the_store(at_project, tmp_path, capsys):
    folder, run = at_project
    data = long_data().astype({"value": object})
    bad_value = data.index[data["id"] == "b"][7]
    data.loc[bad_value, "value"] = "n/a?"
    off_grid = data.index[data["id"] == "c"][3]
    data.loc[off_grid, "date"] = pd.Timestamp(data.loc[off_grid, "date"]) + pd.Timedelta("1min")
    path = write(data, tmp_path / "mixed.csv")
    url, reports = f"sqlite:///{tmp_path / 'scans.db'}", tmp_path / "reports"
    command = ["scan", "config.yaml", "--run", str(run), "--store", url, "--data", str(path)]
    assert main([*command, "--set", f"report.output_dir={reports}"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    non_numeric = (
        f"{path}: non-numeric target/covariate columns: 'value' has 'n/a?' in row {bad_value + 1}; clean them or "
        "drop them from data.target_columns/data.past_covariates/data.future_covariates"
    )
    skipped = json.loads(ScanStore(url, create=False).read_table("scan_runs")["skipped"].iloc[0])
    assert list(skipped) == ["b", "c"] and skipped["b"] == non_numeric
    # the data layer's own "(series 'c')" label is not added to the reason: the key names the series
    assert skipped["c"].startswith(f"{path}: 1 timestamp is off the '5min' grid (first "), skipped["c"]
    assert f", skipped: b ({non_numeric}); c ({skipped['c']}), " in line
    assert "(series " not in line and line.count(" b (") == 1
    page = html.unescape((next(reports.glob("tiny-scan-*")) / "index.html").read_text())
    assert f"Series b was skipped: {non_numeric}" in page and f"Series c was skipped: {skipped['c']}" in page
    assert page.count(non_numeric) == page.count(skipped["c"]) == 1 and "(series " not in page
    only_b = write(data[data["id"] == "b"], tmp_path / "only_b.csv")
    with pytest.raises(DataError) as error:
        scan(run, url, only_b)
    alone = non_numeric.replace(str(path), str(only_b)).replace(f"row {bad_value + 1}", "row 8")
    assert str(error.value) == f"{only_b}: no series could be scanned: b ({alone})"


def test_a_scan_page_draws_what_earlier_scans_stored_before_an_event_at_its_first_new_row(at_project, tmp_path):
    folder, run = at_project
    url = f"sqlite:///{tmp_path / 'context.db'}"
    config = load_config("config.yaml", [f"report.output_dir={tmp_path / 'reports'}"])
    scan_job(
        config,
        "config.yaml",
        run,
        write(rows_between(long_data(), 0, 420), tmp_path / "first.csv"),
        url,
        report="never",
    )
    summary, run_folder = scan_job(config, "config.yaml", run, folder / "long.csv", url)
    first_event = min(pd.Timestamp(event["start"]) for event in summary.events if event["series"] == "a")
    assert first_event == pd.Timestamp("2024-01-01") + 420 * pd.Timedelta("5min"), "a's burst at its first new row"
    # The figure's context is the 200 rows the first scan stored, not nothing.
    assert "a: 200 scored rows before its first event" in (run_folder / "index.html").read_text()
