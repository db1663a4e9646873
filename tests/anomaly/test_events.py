"""The event state machine detect and scans share: persistence, cooldown, extension, closing, chunks, series, rules."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.anomaly.events import EVENT_COLUMNS, EventRules, advance_events, event_rules, find_events, flag_runs
from forecaster.config import AnomalyConfig, EventConfig, load_config
from forecaster.errors import ConfigError

MINUTE = pd.Timedelta("1min").value
RULES = EventRules(min_points=2, within=20 * MINUTE, cooldown=30 * MINUTE, close_after=15 * MINUTE, top_features=1)


def flags_from(text):
    return np.array([c == "x" for c in text])


def feed(flags, rules=RULES, chunks=(None,)):
    """Run the machine over 5-minute rows split at ``chunks``; return the final events by start."""
    flags = np.asarray(flags, dtype=bool)
    times = pd.date_range("2024-01-01", periods=flags.size, freq="5min")
    errors = np.where(flags, 2.0, 0.5) + np.arange(flags.size) * 1e-3
    events, states = {}, None
    bounds = [0, *[c for c in chunks if c is not None], flags.size]
    for start, end in zip(bounds[:-1], bounds[1:]):
        rows = slice(start, end)
        touched, states = advance_events(
            flags[rows],
            errors[rows],
            np.ones(end - start),
            times[rows],
            rules,
            series_ids=["s"],
            feature_errors=errors[rows, None],
            feature_names=["value"],
            states=states,
        )
        for event in touched:
            events[event["start"]] = {key: value for key, value in event.items() if key != "new"}
    return [events[key] for key in sorted(events)]


def test_flag_runs():
    starts, ends = flag_runs(flags_from("xx..x...xxx"))
    assert starts.tolist() == [0, 4, 8] and ends.tolist() == [2, 5, 11]


def test_one_flag_opens_nothing_two_within_the_window_open_an_event():
    assert feed([0, 1, 0, 0, 0, 0, 0, 0, 0]) == []
    (event,) = feed([0, 1, 0, 1, 0, 0, 0, 0, 0, 0])
    assert event["start"] == "2024-01-01T00:05:00" and event["end"] == "2024-01-01T00:15:00"
    assert event["n_points"] == 2 and event["state"] == "closed"
    assert feed([1, 0, 0, 0, 0, 0, 1]) == [], "two flags 30 minutes apart are not within 20 minutes"


def test_nearby_flags_extend_the_open_event_and_it_closes_after_quiet():
    (event,) = feed([1, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0])
    assert event["end"] == "2024-01-01T00:35:00" and event["n_points"] == 4 and event["state"] == "closed"
    (event,) = feed([1, 1, 0, 0, 1])
    assert event["state"] == "open", "not quiet for longer than close_after yet"


def test_no_new_event_during_the_cooldown_after_an_event():
    flags = [1, 1] + [0] * 4 + [1, 1] + [0] * 6 + [1, 1] + [0] * 5
    events = feed(flags)
    assert [event["start"] for event in events] == ["2024-01-01T00:00:00", "2024-01-01T01:10:00"]


def test_the_peak_is_the_highest_score():
    (event,) = feed([1, 1, 1, 0, 0, 0, 0])
    assert event["peak"] == "2024-01-01T00:10:00" and event["features"] == "value"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.booleans(), min_size=2, max_size=60), st.lists(st.integers(1, 59), max_size=4))
def test_chunks_give_the_events_of_one_pass(flags, cuts):
    cuts = sorted({cut for cut in cuts if cut < len(flags)})
    assert feed(flags, chunks=cuts) == feed(flags)


def test_find_events_reports_peak_severity_and_the_features_at_the_peak():
    flags = flags_from("..xxx.x....xx.")
    scores = np.array([0, 0, 2, 5, 3, 0, 4, 0, 0, 0, 0, 6, 7, 0], dtype=float)
    times = pd.date_range("2024-01-01", periods=14, freq="h", tz="Europe/Paris")
    feature_errors = np.zeros((14, 3))
    feature_errors[2:7, 1] = 5.0
    feature_errors[2:7, 0] = 1.0
    feature_errors[11:13, 2] = 9.0
    rules = EventRules(close_after=2 * pd.Timedelta("1h").value, top_features=2)
    events = find_events(
        flags, scores, np.full(14, 2.0), times, rules, feature_errors=feature_errors, feature_names=["a", "b", "c"]
    )
    assert list(events.columns) == EVENT_COLUMNS and len(events) == 2
    first, second = events.iloc[0], events.iloc[1]
    assert first["start"] == times[2] and first["end"] == times[6] and first["n_points"] == 4
    assert first["peak_time"] == times[3] and first["peak_score"] == 5.0 and first["severity"] == 2.5
    assert first["top_features"] == "b, a" and str(events["start"].dt.tz) == "Europe/Paris"
    assert second["peak_time"] == times[12] and second["top_features"].startswith("c")


def test_events_never_cross_series_and_each_series_closes_on_its_own_last_row():
    flags = flags_from("...xx" + "xx...")
    times = pd.DatetimeIndex(list(pd.date_range("2024-01-01", periods=5, freq="h")) * 2)
    rules = EventRules(close_after=10 * pd.Timedelta("1h").value)
    events = find_events(
        flags, np.ones(10), np.ones(10), times, rules, offsets=np.array([0, 5, 10]), series_ids=("a", "b")
    )
    assert events["series"].tolist() == ["a", "b"]
    assert events["start"].tolist() == [times[3], times[0]] and events["n_points"].tolist() == [2, 2]


def test_no_flags_give_an_empty_table():
    events = find_events(np.zeros(5, bool), np.zeros(5), np.ones(5), np.arange(5), EventRules())
    assert events.empty and list(events.columns) == EVENT_COLUMNS


def test_steps_count_rows_and_durations_count_time():
    rows = event_rules(AnomalyConfig(events=EventConfig(min_points=2, within=3, cooldown=0, close_after=4)), "5min")
    assert (rows.within, rows.close_after) == (15 * MINUTE, 20 * MINUTE)
    timed = event_rules(
        AnomalyConfig(events=EventConfig(min_points=2, within="1h", cooldown="2h", close_after="30min")), "5min"
    )
    assert (timed.within, timed.cooldown, timed.close_after) == (60 * MINUTE, 120 * MINUTE, 30 * MINUTE)
    assert event_rules(AnomalyConfig(events=EventConfig(close_after=7)), "step").close_after == 7
    monthly = event_rules(AnomalyConfig(events=EventConfig(close_after=3)), "MS").close_after
    assert pd.Timedelta("92D").value <= monthly < pd.Timedelta("120D").value, "any 3 months later, never 4"


@pytest.mark.parametrize(
    ("events", "frequency", "message"),
    [
        (
            {"close_after": "1h"},
            "step",
            r"anomaly.events.close_after: '1h' is a duration, but the data are step numbers",
        ),
        (
            {"min_points": 3, "within": "10min"},
            "h",
            r"anomaly.events.within: 3 flagged points \(min_points\) never fall within",
        ),
    ],
)
def test_rules_that_cannot_apply_to_the_data_are_refused(events, frequency, message):
    with pytest.raises(ConfigError, match=message):
        event_rules(AnomalyConfig(events=EventConfig(**events)), frequency)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("anomaly.min_gap=5", "anomaly.events.close_after"),
        ("anomaly.min_length=3", "anomaly.events.min_points"),
        ("scan.min_points=2", "anomaly.events.min_points"),
        ("scan.within=60min", "anomaly.events.within"),
        ("scan.cooldown=2h", "anomaly.events.cooldown"),
        ("scan.close_after=1h", "anomaly.events.close_after"),
    ],
)
def test_the_old_event_keys_of_detect_and_scan_are_refused_naming_the_one_rule(old, new, tmp_path):
    key, _, value = old.partition("=")
    section, name = key.split(".")
    path = tmp_path / "old.yaml"
    path.write_text(f"{section}:\n  {name}: {value}\n")
    with pytest.raises(ConfigError, match=rf"old.yaml: {key} moved to {new}; rename the key"):
        load_config(path)
    with pytest.raises(ConfigError, match=rf"{key} moved to {new}"):
        load_config(None, [old])
