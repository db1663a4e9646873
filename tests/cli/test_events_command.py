"""``forecaster events --format json`` prints strict, tidy JSON whether or not any event passes the filters."""

import json

import pandas as pd
import pytest

from forecaster.cli.main import main
from forecaster.store import ScanStore


def strict_json(text):
    """Parse as strict JSON: ``NaN`` and ``Infinity``, which Python's json accepts, are refused."""

    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def store_with_events(tmp_path):
    """An SQLite store holding two events of series ``a``, one of infinite severity (a zero threshold)."""
    url = f"sqlite:///{tmp_path / 'scans.db'}"
    store = ScanStore(url)
    scan_id = store.begin_scan("hash", "run", "data.csv")
    points = pd.DataFrame(
        {
            "time": pd.date_range("2024-01-01", periods=3, freq="5min"),
            "error": 0.5,
            "threshold": 1.0,
            "likelihood": 0.5,
            "log_likelihood": 0.0,
            "source": "detector",
            "flag": False,
            "alarm": 0.0,
        }
    )
    events = [
        {
            "series": "a",
            "start": pd.Timestamp(start),
            "end": pd.Timestamp(start) + pd.Timedelta("5min"),
            "peak": pd.Timestamp(start),
            "peak_score": 2.5,
            "severity": severity,
            "n_points": 2,
            "features": "value",
            "state": "open",
        }
        for start, severity in (("2024-01-01 00:00", 2.5), ("2024-01-01 00:10", float("inf")))
    ]
    store.write_series(scan_id, "a", points, events, [], pd.Timestamp("2024-01-01 00:10"), b"context")
    store.finish_scan(scan_id, "finished", {"n_series": 1, "new_events": 2})
    store.close()
    return url


def test_no_matching_events_print_an_empty_json_array(store_with_events, capsys):
    assert main(["events", "--store", store_with_events, "--state", "closed", "--format", "json"]) == 0
    assert capsys.readouterr().out == "[]\n"


def test_events_print_as_a_strict_json_array_of_objects(store_with_events, capsys):
    assert main(["events", "--store", store_with_events, "--format", "json"]) == 0
    out = capsys.readouterr().out
    listed = strict_json(out)
    assert [event["start"] for event in listed] == ["2024-01-01T00:00:00.000", "2024-01-01T00:10:00.000"]
    assert listed[0]["severity"] == 2.5 and listed[1]["severity"] is None, "an infinite severity is null, not Infinity"
    assert listed[0]["series"] == "a" and listed[0]["state"] == "open" and listed[0]["first_scan"] == 1
    assert out.startswith('[\n  {\n    "id": 1,\n    "series": "a",'), "two-space indent, a space after each colon"
