"""Splits, scaling and strided windows: from a series collection to Keras batches."""

from forecaster.windows.calendar import calendar_features, future_index
from forecaster.windows.dataset import WindowDataset
from forecaster.windows.pipeline import WindowedData, WindowMetadata, prepare_windows
from forecaster.windows.scaling import SeriesScaler
from forecaster.windows.spec import WindowSpec
from forecaster.windows.splits import SPLITS, SplitRows, split_rows, window_starts

__all__ = [
    "SPLITS",
    "SeriesScaler",
    "SplitRows",
    "WindowDataset",
    "WindowMetadata",
    "WindowSpec",
    "WindowedData",
    "calendar_features",
    "future_index",
    "prepare_windows",
    "split_rows",
    "window_starts",
]
