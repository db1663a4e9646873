"""Seasonal-profile errors: how far each point lies from the same time of day (or week) in earlier cycles.

A window detector sees a few dozen rows, so a day that runs flat where it
should rise, or a holiday that looks like an ordinary evening, fits every
window it sees. Comparing each point with the same clock time one, two and
three periods back (their median, so one odd earlier cycle does not echo)
catches these. The reference is read by timestamp, so irregular or gappy
series work; every error depends only on the point and earlier rows of its
series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def seasonal_errors(
    values: np.ndarray,
    times: pd.DatetimeIndex | np.ndarray,
    period: str | pd.Timedelta,
    cycles: int = 3,
    offsets: np.ndarray | None = None,
) -> np.ndarray:
    """Absolute error of every point against the median of its value ``1..cycles`` periods earlier.

    The value "``k`` periods earlier" is that of the last row of the same
    series at or before ``time - k * period``; references before the series
    starts are skipped, and a point with none gets NaN.

    Args:
        values: float ``(n_rows, n_features)`` or ``(n_rows,)``, series after series.
        times: ``(n_rows,)`` timestamps, in time order within each series (a row
            stamped earlier than the one before it is treated as stamped at it).
        period: the cycle, as a :class:`pandas.Timedelta` or a string such as ``"1D"``.
        cycles: earlier cycles whose median is the reference. Default 3.
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.

    Returns:
        float64 errors with the shape of ``values``.

    Raises:
        ValueError: for a period that is not positive or ``cycles < 1``.
    """
    step = pd.Timedelta(period).to_timedelta64()
    if step <= np.timedelta64(0) or cycles < 1:
        raise ValueError(f"seasonal_errors: period must be positive and cycles >= 1, got {period!r} and {cycles}")
    values = np.asarray(values, dtype=np.float64)
    flat = values.ndim == 1
    values = values[:, None] if flat else values
    stamps = np.asarray(pd.DatetimeIndex(times).as_unit("ns").tz_localize(None).to_numpy())
    bounds = np.array([0, len(values)]) if offsets is None else np.asarray(offsets)
    errors = np.full(values.shape, np.nan)
    for start, end in zip(bounds[:-1], bounds[1:]):
        part, clock = values[start:end], np.maximum.accumulate(stamps[start:end])
        references = np.full((cycles, *part.shape), np.nan)
        for k in range(1, cycles + 1):
            rows = np.searchsorted(clock, clock - k * step, side="right") - 1
            found = rows >= 0
            references[k - 1][found] = part[rows[found]]
        known = np.isfinite(references).any(axis=0)
        median = np.full(part.shape, np.nan)
        median[known] = np.nanmedian(references[:, known], axis=0)
        errors[start:end] = np.abs(part - median)
    return errors[:, 0] if flat else errors
