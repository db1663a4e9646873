"""The validated series container handed from the data layer to the windows layer."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class SeriesCollection:
    """One or more regular, time-sorted series stacked in one frame.

    Rows of series ``k`` are ``frame.iloc[offsets[k]:offsets[k + 1]]``; inside a
    series the timestamps are strictly increasing and exactly ``frequency``
    apart. Value columns are float64; missing values stay NaN only when the
    configured fill policy is ``mask``.

    Attributes:
        frame: value columns only, indexed by a ``DatetimeIndex`` named after
            the time column (an ``int64`` index of step numbers for
            ``data.time_unit: step``); shape ``(n_rows, n_columns)``.
        series_ids: one label per series, in row order (``("series",)`` for a
            single series without an id column).
        offsets: int64 array of length ``n_series + 1``; row boundaries.
        frequency: the regular step between rows, as a pandas offset alias
            (``"h"``, ``"D"``, ``"B"``, ``"W-SUN"``, ``"MS"``, ...; ``"step"``
            for step numbers); see :mod:`forecaster.data.calendar`.
        filled: bool ``(n_rows,)``, true for rows with a value the file did not
            hold (an inserted timestamp or a missing value), whether
            ``data.fill`` filled it or left it missing (``mask``); ``None``
            (the default) means none.
        holidays: dates a business-day (``C``) series skips besides weekends.
    """

    frame: pd.DataFrame
    series_ids: tuple
    offsets: np.ndarray
    frequency: str
    filled: np.ndarray | None = None
    holidays: tuple = ()

    def __post_init__(self) -> None:
        if self.filled is None:
            object.__setattr__(self, "filled", np.zeros(len(self.frame), dtype=bool))

    @property
    def n_series(self) -> int:
        """Number of series in the collection."""
        return len(self.series_ids)

    @property
    def columns(self) -> list[str]:
        """Names of the value columns, in array order."""
        return list(self.frame.columns)

    def series(self, k: int) -> pd.DataFrame:
        """Return the rows of series ``k`` as a frame (a view, not a copy)."""
        return self.frame.iloc[self.offsets[k] : self.offsets[k + 1]]

    def lengths(self) -> np.ndarray:
        """Return the number of rows of each series, shape ``(n_series,)``."""
        return np.diff(self.offsets)

    def observed_values(self) -> np.ndarray:
        """Return the values as held in the data: float64 ``(n_rows, n_columns)``, NaN in every :attr:`filled` row.

        Detectors score these, so a filled gap is missing to them whatever ``data.fill`` filled it with.
        """
        return np.where(self.filled[:, None], np.nan, self.frame.to_numpy(dtype=np.float64))


def align_to_index(moment, index: pd.DatetimeIndex) -> pd.Timestamp:
    """Return ``moment`` as a timestamp comparable with ``index``, in its time zone.

    A naive moment on a zoned index is read in the index's zone; a zoned moment
    on a naive index is converted to UTC and made naive. Config dates (split
    starts, normal periods) go through this before any comparison.

    Args:
        moment: a date, datetime or string ``pd.Timestamp`` accepts.
        index: the time index to compare with.

    Returns:
        The aligned :class:`pandas.Timestamp`.
    """
    stamp = pd.Timestamp(moment)
    if index.tz is not None:
        return stamp.tz_localize(index.tz) if stamp.tz is None else stamp.tz_convert(index.tz)
    return stamp if stamp.tz is None else stamp.tz_convert(None)
