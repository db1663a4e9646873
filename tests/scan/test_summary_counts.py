"""A scan's one-line count of series: scanned, up to date and skipped add up to the series it read."""

from __future__ import annotations

from forecaster.reports.scan import series_counts
from forecaster.scan.scanner import ScanSummary


def test_series_counts_put_the_up_to_date_and_skipped_series_beside_the_scanned_ones():
    assert series_counts(ScanSummary(1, up_to_date=7).to_dict()) == "0 of 7 series scanned (7 up to date, 0 skipped)"
    assert series_counts(ScanSummary(2, n_series=7).to_dict()) == "7 of 7 series scanned (0 up to date, 0 skipped)"
    mixed = ScanSummary(3, n_series=179, up_to_date=20, skipped={"cpu_eu3": "timestamps off the 5min grid"})
    assert series_counts(mixed.to_dict()) == "179 of 200 series scanned (20 up to date, 1 skipped)"
