"""Incremental anomaly scans: watermarks, context rows and the per-group scan function.

Scoring and events are :mod:`forecaster.anomaly`'s (``score_points``, ``advance_events``), continued from each series' context.
"""

from forecaster.scan.context import SeriesContext
from forecaster.scan.scanner import ScanSummary, SeriesRows, scan_series
from forecaster.scan.scoring import SeriesInput, SeriesResult, scan_group

__all__ = [
    "ScanSummary",
    "SeriesContext",
    "SeriesInput",
    "SeriesResult",
    "SeriesRows",
    "scan_group",
    "scan_series",
]
