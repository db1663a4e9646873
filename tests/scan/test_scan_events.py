"""The event state machine: persistence, cooldown, extension, closing, and the same events whatever the chunks."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.scan.events import EventRules, advance_events

RULES = EventRules(min_points=2, within=pd.Timedelta("20min"), cooldown=pd.Timedelta("30min"),
                   close_after=pd.Timedelta("15min"), top_features=1)


def feed(flags, rules=RULES, chunks=(None,)):
    """Run the machine over 5-minute rows split at ``chunks``; return the final events by start."""
    flags = np.asarray(flags, dtype=bool)
    times = pd.date_range("2024-01-01", periods=flags.size, freq="5min")
    errors = np.where(flags, 2.0, 0.5) + np.arange(flags.size) * 1e-3
    events, pending, last = {}, [], None
    bounds = [0, *[c for c in chunks if c is not None], flags.size]
    for start, end in zip(bounds[:-1], bounds[1:]):
        rows = slice(start, end)
        touched, pending, last = advance_events("s", times[rows], flags[rows], errors[rows], np.ones(end - start),
                                                errors[rows, None], ["value"], rules, pending, last)
        for event in touched:
            events[event["start"]] = {key: value for key, value in event.items() if key != "new"}
    return [events[key] for key in sorted(events)]


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
