"""Loading, validating and regularising time series from CSV and Parquet."""

from forecaster.data.load import load_series, read_table
from forecaster.data.profile import format_profile, profile_table
from forecaster.data.series import SeriesCollection
from forecaster.data.validate import RepairReport, missing_times_between, validate_series

__all__ = [
    "RepairReport",
    "SeriesCollection",
    "format_profile",
    "load_series",
    "missing_times_between",
    "profile_table",
    "read_table",
    "validate_series",
]
