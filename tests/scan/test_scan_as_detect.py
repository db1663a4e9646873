"""A scan and ``forecaster detect`` agree: every scoring setting, per-series thresholds, events and series names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import CONFIG, SERIES, assert_same_store, long_data, read_store

from forecaster.anomaly import detect
from forecaster.cli.main import main
from forecaster.config import load_config
from forecaster.data import load_series
from forecaster.jobs.scan import scan_job
from forecaster.workflow.detection import load_detection_run


@pytest.fixture
def at_project(project, monkeypatch):
    folder, run = project
    monkeypatch.chdir(folder)
    return folder, run


def scan(run, url, data, *overrides):
    summary, _ = scan_job(load_config("config.yaml", list(overrides)), "config.yaml", run, data, url)
    return summary


def detect_all(run, *overrides):
    """``detect`` with the run's detector on all of ``long.csv``, as ``forecaster detect --run`` scores it."""
    config = load_config("config.yaml", list(overrides))
    collection, _ = load_series(config.data)
    return detect(config, collection, load_detection_run(run, config)[0])


def event_spans(events: pd.DataFrame, peak: str) -> list[tuple]:
    return sorted(
        (str(row["series"]), pd.Timestamp(row["start"]), pd.Timestamp(row["end"]), pd.Timestamp(row[peak]))
        for _, row in events.iterrows()
    )


@pytest.mark.parametrize(
    "overrides",
    [
        ("anomaly.alarm_signals=[detector]",),
        ("anomaly.alarm_signals=[change]",),
        ("anomaly.alarm_signals=[detector, change]",),
        ("anomaly.likelihood_robust=true",),
    ],
    ids=["detector", "change", "detector+change", "robust"],
)
def test_a_scan_scores_and_groups_events_as_detect_does_whole_and_in_chunks(at_project, tmp_path, overrides):
    folder, run = at_project
    detected = detect_all(run, *overrides)
    expected = detected.scores.sort_values(["series", "time"]).reset_index(drop=True)
    whole = f"sqlite:///{tmp_path / 'whole.db'}"
    summary = scan(run, whole, folder / "long.csv", *overrides)
    scores, events = read_store(whole)
    assert len(scores) == len(expected) == 3 * len(long_data()) // 3
    for column in ("error", "threshold", "likelihood", "log_likelihood", "alarm"):
        np.testing.assert_allclose(
            scores[column].to_numpy(float), expected[column].to_numpy(float), atol=1e-6, equal_nan=True
        )
    assert (scores["flag"].astype(bool) == expected["flag"]).all() and (scores["source"] == expected["source"]).all()
    assert set(scores["source"]) <= {*load_config("config.yaml", list(overrides)).anomaly.alarm_signals, "seasonal_4h"}
    assert len(detected.events) >= 3, "the planted bursts make events"
    assert event_spans(events, "peak") == event_spans(detected.events, "peak_time")
    # Each series' reference errors are too few for a level of its own: all three get the pooled one, and the summary says so.
    assert summary.threshold_pooled == list(SERIES) and detected.metrics["threshold_pooled_series"] == list(SERIES)
    data, chunked = long_data(), f"sqlite:///{tmp_path / 'chunked.db'}"
    position = data.groupby("id").cumcount()
    for k, (start, end) in enumerate([(0, 250), (250, 480), (480, len(data) // len(SERIES))]):
        path = tmp_path / f"chunk_{k}.csv"
        data[(position >= start) & (position < end)].to_csv(path, index=False)
        scan(run, chunked, path, *overrides)
    assert_same_store(chunked, whole)


def test_a_single_series_file_is_one_series_whatever_the_file_is_called(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = long_data(series=("a",)).drop(columns="id")
    data.iloc[:400].to_csv("history.csv", index=False)
    data.iloc[400:].to_csv("latest.csv", index=False)
    data.to_csv("all.csv", index=False)
    (tmp_path / "config.yaml").write_text(yaml.safe_dump({**CONFIG, "name": "single", "data": {"path": "history.csv"}}))
    assert main(["detect", "config.yaml"]) == 0
    run = next((tmp_path / "reports").glob("single-detect-*"))
    assert set(pd.read_parquet(run / "scores.parquet")["series"]) == {"series"}
    daily, whole = f"sqlite:///{tmp_path / 'daily.db'}", f"sqlite:///{tmp_path / 'whole.db'}"
    first, second = scan(run, daily, tmp_path / "history.csv"), scan(run, daily, tmp_path / "latest.csv")
    assert (first.rows_scored, second.rows_scored, second.late_rows, second.skipped) == (400, 300, 0, {})
    scan(run, whole, tmp_path / "all.csv")
    assert_same_store(daily, whole)
    assert set(read_store(daily)[0]["series"]) == {"series"}
