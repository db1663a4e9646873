"""Values of user-supplied known-future covariates over the forecast horizon."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from forecaster.errors import DataError


def future_covariate_values(
    future: pd.DataFrame | None,
    columns: Sequence[str],
    series_ids: Sequence,
    future_times: pd.Index,
    time_column: str,
    id_column: str | None,
    source: str,
) -> np.ndarray:
    """Look up the known-future covariates of every series at every forecast step.

    Args:
        future: one row per series and future time step with ``time_column``,
            ``id_column`` (long format) and ``columns``; rows for other times are
            ignored. ``None`` when none were given.
        columns: the future covariate columns the model was trained with.
        series_ids: the series forecast, ``(n_series,)``.
        future_times: the ``n_series * horizon`` times forecast, series by
            series (a ``DatetimeIndex``, zoned or not, or step numbers).
        time_column: name of the time column of ``future``.
        id_column: name of its series column; ``None`` for one series.
        source: name of the data, for messages.

    Returns:
        float64 ``(n_series, horizon, len(columns))`` in the data's units.

    Raises:
        DataError: when ``future`` is missing, lacks a column, repeats a
            (series, time) row, or holds no finite value for some series and step;
            the message names the first missing series, time and column.
    """
    n_series = len(series_ids)
    horizon = len(future_times) // n_series
    need = f"the next {horizon} steps after each series' end"
    if future is None:
        raise DataError(
            f"{source}: the model was trained with future covariates {list(columns)}, so forecasting needs their "
            f"values for {need}; pass them as future (a frame) or --future FILE"
        )
    keys = [time_column] + ([id_column] if id_column else [])
    absent = [name for name in keys + list(columns) if name not in future.columns]
    if absent:
        raise DataError(
            f"{source}: the future covariates lack columns {absent}; give {keys + list(columns)} for {need}"
        )
    given = pd.DataFrame(
        {
            "series": future[id_column].astype(str).to_numpy() if id_column else str(series_ids[0]),
            "time": _as_times(future[time_column], future_times),
        }
    )
    given[list(columns)] = future[list(columns)].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
    repeated = given.duplicated(["series", "time"])
    if repeated.any():
        first = given[repeated].iloc[0]
        raise DataError(
            f"{source}: the future covariates hold series {first['series']!r} at {first['time']} twice; keep one row"
        )
    wanted = pd.DataFrame({"series": np.repeat([str(s) for s in series_ids], horizon), "time": future_times})
    values = wanted.merge(given, on=["series", "time"], how="left")[list(columns)].to_numpy(dtype=np.float64)
    missing = ~np.isfinite(values)
    if missing.any():
        row, column = map(int, np.argwhere(missing)[0])
        raise DataError(
            f"{source}: future covariate '{columns[column]}' has no value for series {wanted['series'].iloc[row]!r} "
            f"at {wanted['time'].iloc[row]} (step {row % horizon + 1} of {horizon}); give every future covariate for {need}"
        )
    return values.reshape(n_series, horizon, len(columns))


def _as_times(column: pd.Series, like: pd.Index) -> pd.Index:
    """Parse a time column into the kind of index ``like`` is: step numbers, or timestamps in its zone."""
    if not isinstance(like, pd.DatetimeIndex):
        return pd.Index(pd.to_numeric(column, errors="coerce"))
    times = pd.DatetimeIndex(pd.to_datetime(column, errors="coerce"))
    if like.tz is None:
        return times if times.tz is None else times.tz_convert(None)
    return times.tz_localize(like.tz) if times.tz is None else times.tz_convert(like.tz)


def scale_future_covariates(
    values: np.ndarray, scaler, columns: Sequence[str], series_groups: np.ndarray
) -> np.ndarray:
    """Scale future covariate values with the training statistics of their columns, as the training windows were.

    Args:
        values: float ``(n_series, horizon, len(columns))`` in the data's units.
        scaler: the fitted :class:`~forecaster.windows.scaling.SeriesScaler` (its ``columns_`` hold ``columns``).
        columns: the columns of ``values``' last axis.
        series_groups: int ``(n_series,)``, the scaler row of each series (zeros for a global scaler).

    Returns:
        float32 ``(n_series, horizon, len(columns))``.
    """
    positions = [scaler.columns_.index(column) for column in columns]
    center = scaler.center_[series_groups][:, None, positions]
    scale = scaler.scale_[series_groups][:, None, positions]
    return ((values - center) / scale).astype(np.float32)
