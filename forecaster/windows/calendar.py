"""Calendar features (known-future covariates) and timestamps past the end of a series."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecaster.data.calendar import frequency_offset, is_step_frequency, step_size
from forecaster.errors import ConfigError

# Name -> (position inside its cycle, cycle length), both per timestamp.
CALENDAR_PERIODS = {
    "hour": lambda index: (index.hour + index.minute / 60.0, 24.0),
    "dayofweek": lambda index: (index.dayofweek, 7.0),
    "dayofmonth": lambda index: (index.day - 1, index.days_in_month),
    "dayofyear": lambda index: (index.dayofyear - 1, np.where(index.is_leap_year, 366.0, 365.0)),
    "month": lambda index: (index.month - 1, 12.0),
}


def calendar_features(index: pd.DatetimeIndex, names: list[str] | tuple[str, ...]) -> np.ndarray:
    """Encode timestamps as sin/cos pairs of their position in calendar cycles.

    The position is taken in local wall-clock time of the index (its time zone
    when it has one). December 31st and January 1st, or 23:00 and 00:00, end up
    close together.

    Args:
        index: timestamps, length ``n``.
        names: features, each one of ``hour`` (with minutes), ``dayofweek``,
            ``dayofmonth``, ``dayofyear``, ``month``.

    Returns:
        float32 array ``(n, 2 * len(names))``: ``[sin(name_1), cos(name_1), sin(name_2), ...]``.

    Raises:
        ValueError: for an unknown feature name.
        ConfigError: when ``index`` holds step numbers, which have no calendar.
    """
    unknown = [name for name in names if name not in CALENDAR_PERIODS]
    if unknown:
        raise ValueError(f"calendar_features: unknown names {unknown}; expected some of {list(CALENDAR_PERIODS)}")
    if names and not isinstance(index, pd.DatetimeIndex):
        raise ConfigError(
            f"windows.calendar_features {list(names)} need timestamps, but the time axis holds step numbers "
            "(data.time_unit: step); drop windows.calendar_features"
        )
    encoded = np.empty((len(index), 2 * len(names)), dtype=np.float32)
    for column, name in enumerate(names):
        position, period = CALENDAR_PERIODS[name](index)
        angle = 2.0 * np.pi * np.asarray(position, dtype=np.float64) / np.asarray(period, dtype=np.float64)
        encoded[:, 2 * column] = np.sin(angle)
        encoded[:, 2 * column + 1] = np.cos(angle)
    return encoded


def future_index(last_timestamp, frequency: str, horizon: int, holidays: Sequence = ()) -> pd.Index:
    """Return the ``horizon`` timestamps that follow ``last_timestamp`` on the series' own calendar.

    Business-day series continue on business days (skipping ``holidays``),
    daily series on local calendar days across DST changes, month-end series
    on month ends; step-number series continue their step numbers.

    Args:
        last_timestamp: the last observed timestamp or step number (the forecast origin).
        frequency: the series' step (``"h"``, ``"D"``, ``"B"``, ``"W-SUN"``,
            ``"MS"``, ``"step"`` ...; see :mod:`forecaster.data.calendar`).
        horizon: number of future steps (>= 1).
        holidays: dates a business-day (``C``) series skips. Default none.

    Returns:
        ``DatetimeIndex`` of length ``horizon`` in the zone of
        ``last_timestamp`` (an ``int64`` ``Index`` for step numbers).
    """
    if is_step_frequency(frequency):
        return pd.Index(int(last_timestamp) + step_size(frequency) * np.arange(1, horizon + 1), dtype=np.int64)
    return pd.date_range(start=last_timestamp, periods=horizon + 1, freq=frequency_offset(frequency, holidays))[1:]
