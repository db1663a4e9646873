"""Which series a scan keeps for figures: those with the most severe new or updated events, not the first scanned."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecaster.scan.scanner import ScanSummary, _count
from forecaster.scan.scoring import SeriesResult


def result(series: str, severities: list[float]) -> SeriesResult:
    points = pd.DataFrame({"time": pd.date_range("2024-01-01", periods=4, freq="h"), "error": 0.0})
    events = [{"series": series, "severity": severity, "new": True} for severity in severities]
    return SeriesResult(series, points, events)


def test_the_series_with_the_most_severe_events_are_kept_most_severe_first():
    summary = ScanSummary(scan_id=1)
    scanned = [
        ("quiet", []),
        ("a", [1.2]),
        ("b", [1.5, 1.1]),
        ("c", [np.nan]),
        ("d", [1.1] * 8),
        ("e", [9.0]),
        ("f", [1.5]),
        ("g", [1.5, 1.0]),  # ties with b on severity and count: b was scanned first
    ]
    for series, severities in scanned:
        _count(summary, result(series, severities), max_plotted=3)
    assert list(summary.points) == ["e", "b", "g"]
    assert summary.figure_ranks["e"] == (9.0, 1, -6)
    assert summary.new_events == 16 and len(summary.events) == 16


def test_ties_in_severity_go_to_the_series_with_more_events_and_nan_ranks_lowest():
    summary = ScanSummary(scan_id=1)
    for series, severities in [("nan", [np.nan, np.nan]), ("one", [2.0]), ("many", [2.0, 1.0, 1.0])]:
        _count(summary, result(series, severities), max_plotted=2)
    assert list(summary.points) == ["many", "one"]
    none = ScanSummary(scan_id=2)
    _count(none, result("a", [3.0]), max_plotted=0)
    assert none.points == {} and none.new_events == 1
