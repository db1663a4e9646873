"""Events from hand-made flags: merging, minimum length, series boundaries, peaks and contributing features."""

import numpy as np
import pandas as pd

from forecaster.anomaly.events import EVENT_COLUMNS, find_events, flag_runs, merge_runs


def flags_from(text):
    return np.array([c == "x" for c in text])


def test_flag_runs():
    starts, ends = flag_runs(flags_from("xx..x...xxx"))
    assert starts.tolist() == [0, 4, 8] and ends.tolist() == [2, 5, 11]


def test_merge_by_gap_then_drop_short_events():
    flags = flags_from("xx..x.....x.xxx..")
    starts, ends = merge_runs(flags, min_gap=3)
    assert list(zip(starts, ends)) == [(0, 5), (10, 15)]
    starts, ends = merge_runs(flags, min_gap=1, min_length=2)
    assert list(zip(starts, ends)) == [(0, 2), (12, 15)]
    starts, ends = merge_runs(flags, min_gap=3, min_length=6)
    assert starts.size == 0


def test_runs_never_merge_across_series():
    flags = flags_from("...xx|xx...".replace("|", ""))
    starts, ends = merge_runs(flags, min_gap=5, offsets=np.array([0, 5, 10]))
    assert list(zip(starts, ends)) == [(3, 5), (5, 7)]


def test_find_events_reports_peak_severity_and_top_features():
    flags = flags_from("..xxx.x....xx.")
    scores = np.array([0, 0, 2, 5, 3, 0, 4, 0, 0, 0, 0, 6, 7, 0], dtype=float)
    thresholds = np.full(14, 2.0)
    times = pd.date_range("2024-01-01", periods=14, freq="h")
    feature_errors = np.zeros((14, 3))
    feature_errors[2:7, 1] = 5.0
    feature_errors[2:7, 0] = 1.0
    feature_errors[11:13, 2] = 9.0
    events = find_events(flags, scores, thresholds, times, feature_errors=feature_errors, feature_names=["a", "b", "c"],
                         min_gap=2, top_features=2)
    assert list(events.columns) == EVENT_COLUMNS
    assert len(events) == 2
    first, second = events.iloc[0], events.iloc[1]
    assert first["start"] == times[2] and first["end"] == times[6] and first["n_points"] == 5
    assert first["peak_time"] == times[3] and first["peak_score"] == 5.0 and first["severity"] == 2.5
    assert first["top_features"] == "b, a"
    assert second["peak_time"] == times[12] and second["top_features"].startswith("c")


def test_no_flags_give_an_empty_table():
    events = find_events(np.zeros(5, bool), np.zeros(5), np.ones(5), np.arange(5))
    assert events.empty and list(events.columns) == EVENT_COLUMNS
