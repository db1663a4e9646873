"""Loading, validating and regularising time series from CSV and Parquet."""

from forecaster.data.series import SeriesCollection

__all__ = ["SeriesCollection"]
