"""Incremental anomaly scans: watermarks, context rows, the event state machine and the per-group scan function."""

from forecaster.scan.context import SeriesContext
from forecaster.scan.events import EventRules, advance_events
from forecaster.scan.scanner import ScanSummary, SeriesRows, scan_series
from forecaster.scan.scoring import SeriesInput, SeriesResult, scan_group

__all__ = [
    "EventRules",
    "ScanSummary",
    "SeriesContext",
    "SeriesInput",
    "SeriesResult",
    "SeriesRows",
    "advance_events",
    "scan_group",
    "scan_series",
]
