"""Validating and regularising raw frames into a :class:`SeriesCollection`.

Every problem in the data is either repaired by the policy the config names
(sort, aggregate duplicates, regularise gaps, fill missing values) or refused
with a one-line :class:`~forecaster.errors.DataError`. Each repair is counted in
a :class:`RepairReport` so a run's metrics show exactly what was changed.
"""

from __future__ import annotations

import difflib
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from forecaster.config import DataConfig
from forecaster.data.series import SeriesCollection
from forecaster.errors import ConfigError, DataError

SINGLE_SERIES_ID = "series"
_CALENDAR_STEPS = ("MS", "ME", "QS", "QE", "YS", "YE")


@dataclass
class RepairReport:
    """Counts of every repair made while loading, for the run's metrics.

    Attributes:
        rows_read: rows in the file.
        rows_reordered: rows that were not in time order and were moved by sorting.
        duplicate_rows_merged: rows folded into another row by the duplicates rule.
        timestamps_inserted: missing timestamps added to make each series regular.
        inf_values: +/-inf values turned into missing values.
        missing_values: missing values after regularising, per column.
        values_filled: missing values filled by the fill policy, per column.
        values_masked: missing values left missing (fill ``mask``), per column.
        rows_truncated: rows cut by ``data.max_rows``.
        ignored_columns: columns in the file that are neither time, id, target
            nor covariate, and so were not used.
    """

    rows_read: int = 0
    rows_reordered: int = 0
    duplicate_rows_merged: int = 0
    timestamps_inserted: int = 0
    inf_values: int = 0
    missing_values: dict[str, int] = field(default_factory=dict)
    values_filled: dict[str, int] = field(default_factory=dict)
    values_masked: dict[str, int] = field(default_factory=dict)
    rows_truncated: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Return the report as JSON-friendly plain data."""
        return asdict(self)


def validate_series(
    raw: pd.DataFrame, config: DataConfig, source: str, min_rows: int = 1
) -> tuple[SeriesCollection, RepairReport]:
    """Turn a raw frame into regular, sorted, numeric series, repairing by policy.

    Args:
        raw: the frame as read from the file.
        config: the ``data`` section (time/id/target columns and policies).
        source: file name used in messages.
        min_rows: rows each series needs (lookback + horizon); shorter series
            are refused.

    Returns:
        The validated collection and the report of every repair made.

    Raises:
        DataError: for a missing or unparsable time column, non-numeric target
            or covariate columns, mixed time zones, refused duplicates or
            missing values, timestamps off the frequency grid, or a series too
            short for ``min_rows``.
    """
    report = RepairReport(rows_read=len(raw))
    value_columns = _select_value_columns(raw, config, source, report)
    frame = raw[value_columns].apply(pd.to_numeric).astype(np.float64)
    report.inf_values = int(np.isinf(frame.to_numpy()).sum())
    frame = frame.replace([np.inf, -np.inf], np.nan)
    frame.index = pd.DatetimeIndex(_parse_times(raw, config, source), name=config.time_column)
    ids = _series_ids(raw, config, source)
    frequency = _resolve_frequency(frame.index, ids, config, source)

    pieces: list[pd.DataFrame] = []
    series_ids: list = []
    for series_id, rows in _group_rows(ids):
        label = "" if ids is None else f" (series {series_id!r})"
        piece = _regularise(frame.iloc[rows], frequency, config, source, label, report)
        if config.max_rows is not None and len(piece) > config.max_rows:
            report.rows_truncated += len(piece) - config.max_rows
            piece = piece.iloc[: config.max_rows]
        if len(piece) < min_rows:
            raise DataError(
                f"{source}{label}: {len(piece)} rows after regularising, but lookback + horizon needs at "
                f"least {min_rows}; use a longer series or a smaller windows.lookback/windows.horizon"
            )
        pieces.append(piece)
        series_ids.append(series_id)

    stacked = pd.concat(pieces) if len(pieces) > 1 else pieces[0]
    stacked = _fill_missing(stacked, pieces, config, source, report)
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in pieces])]).astype(np.int64)
    collection = SeriesCollection(
        frame=stacked, series_ids=tuple(series_ids), offsets=offsets, frequency=frequency
    )
    return collection, report


def nearest_column_hint(name: str, columns: list[str]) -> str:
    """Return "; did you mean 'X'?" for the closest column name, or the list of columns."""
    near = difflib.get_close_matches(name, [str(c) for c in columns], n=1, cutoff=0.5)
    if near:
        return f"; did you mean '{near[0]}'?"
    return f"; the file has columns: {', '.join(str(c) for c in columns)}"


def _select_value_columns(raw: pd.DataFrame, config: DataConfig, source: str, report: RepairReport) -> list[str]:
    reserved = [config.time_column] + ([config.id_column] if config.id_column else [])
    for key, name in (("data.time_column", config.time_column), ("data.id_column", config.id_column)):
        if name is not None and name not in raw.columns:
            raise DataError(f"{source}: no column '{name}' ({key}){nearest_column_hint(name, list(raw.columns))}")
    requested = list(config.target_columns) + list(config.past_covariates)
    for name in requested:
        if name not in raw.columns:
            raise DataError(f"{source}: no column '{name}'{nearest_column_hint(name, list(raw.columns))}")
    if config.target_columns:
        chosen = list(dict.fromkeys(requested))
    else:
        candidates = [c for c in raw.columns if c not in reserved and c not in config.past_covariates]
        targets = [c for c in candidates if pd.api.types.is_numeric_dtype(raw[c])]
        if not targets:
            raise DataError(f"{source}: no numeric value column found; set data.target_columns")
        chosen = targets + [c for c in config.past_covariates if c not in targets]
    non_numeric = [c for c in chosen if _first_non_numeric(raw[c]) is not None]
    if non_numeric:
        details = "; ".join(f"'{c}' has {_first_non_numeric(raw[c])}" for c in non_numeric)
        raise DataError(
            f"{source}: non-numeric target/covariate columns: {details}; clean them or drop them from "
            "data.target_columns/data.past_covariates"
        )
    report.ignored_columns = [str(c) for c in raw.columns if c not in reserved and c not in chosen]
    return chosen


def _first_non_numeric(column: pd.Series) -> str | None:
    """Describe the first value that is neither numeric nor empty, or None if all are numeric."""
    if pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column):
        return None
    converted = pd.to_numeric(column, errors="coerce")
    bad = converted.isna() & column.notna()
    if pd.api.types.is_bool_dtype(column):
        bad = column.notna()
    if not bad.any():
        return None
    position = int(np.flatnonzero(bad.to_numpy())[0])
    return f"{column.iloc[position]!r} in row {position + 1}"


def _parse_times(raw: pd.DataFrame, config: DataConfig, source: str) -> pd.DatetimeIndex:
    column = raw[config.time_column]
    name = config.time_column
    if column.isna().any():
        position = int(np.flatnonzero(column.isna().to_numpy())[0])
        raise DataError(f"{source}: column '{name}' has an empty timestamp in row {position + 1}; fill or drop it")
    try:
        parsed = _to_datetime(column, config.timezone)
    except (ValueError, TypeError) as exc:
        text = str(exc)
        if "timezone" in text.lower() or "tz-aware" in text.lower() or "offset" in text.lower():
            raise DataError(
                f"{source}: column '{name}' mixes time zones or UTC offsets; set data.timezone "
                "(e.g. UTC) to convert every timestamp to one zone"
            ) from None
        coerced = pd.to_datetime(column, errors="coerce", format="mixed")
        bad = np.flatnonzero(coerced.isna().to_numpy())
        example = f": {column.iloc[bad[0]]!r} in row {bad[0] + 1}" if len(bad) else ""
        raise DataError(
            f"{source}: column '{name}' is not a timestamp column{example}; check data.time_column"
        ) from None
    except Exception as exc:  # pandas raises a zoo of parser errors; keep the CLI's one-line promise
        raise DataError(f"{source}: cannot parse column '{name}' as timestamps: {exc}") from None
    if not isinstance(parsed.dtype, pd.DatetimeTZDtype) and parsed.dtype == object:
        raise DataError(
            f"{source}: column '{name}' mixes time zones or UTC offsets; set data.timezone "
            "(e.g. UTC) to convert every timestamp to one zone"
        )
    return pd.DatetimeIndex(parsed)


def _to_datetime(column: pd.Series, timezone: str | None) -> pd.Series:
    """Parse with the format inferred from the first row, else per element (slower, tolerant)."""
    utc = timezone is not None
    try:
        parsed = pd.to_datetime(column, utc=utc)
    except ValueError as exc:
        if "mixed" in str(exc).lower() and "timezone" in str(exc).lower():
            raise
        parsed = pd.to_datetime(column, utc=utc, format="mixed")
    return parsed.dt.tz_convert(timezone) if utc else parsed


def _series_ids(raw: pd.DataFrame, config: DataConfig, source: str) -> pd.Series | None:
    if config.id_column is None:
        return None
    ids = raw[config.id_column]
    if ids.isna().any():
        position = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise DataError(f"{source}: id column '{config.id_column}' is empty in row {position + 1}")
    return ids


def _group_rows(ids: pd.Series | None):
    """Yield (series id, positional row indices) in order of first appearance."""
    if ids is None:
        yield SINGLE_SERIES_ID, slice(None)
        return
    codes, uniques = pd.factorize(ids, sort=False)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    for k, series_id in enumerate(uniques):
        yield series_id, order[bounds[k] : bounds[k + 1]]


def _resolve_frequency(index: pd.DatetimeIndex, ids: pd.Series | None, config: DataConfig, source: str) -> str:
    if config.frequency is not None:
        try:
            return to_offset(config.frequency).freqstr
        except ValueError:
            raise ConfigError(
                f"data.frequency: '{config.frequency}' is not a pandas frequency (use e.g. h, 15min, D)"
            ) from None
    frequency = infer_frequency(index, None if ids is None else ids.to_numpy())
    if frequency is None:
        raise DataError(f"{source}: cannot infer the time step (too few distinct timestamps); set data.frequency")
    return frequency


def infer_frequency(index: pd.DatetimeIndex, ids: np.ndarray | None = None) -> str | None:
    """Infer the regular step of one or many series, tolerating gaps and disorder.

    The step is the most common positive difference between consecutive
    sorted timestamps of the same series; calendar steps (month/year starts or
    ends) are recognised by ``pandas.infer_freq`` on gap-free data.

    Args:
        index: timestamps, any order.
        ids: series label per timestamp, or ``None`` for one series.

    Returns:
        A pandas offset alias, or ``None`` when fewer than two distinct
        timestamps exist.
    """
    keys = pd.DataFrame({"t": index.tz_localize(None) if index.tz is not None else index})
    if ids is not None:
        keys["id"] = ids
        keys = keys.sort_values(["id", "t"])
        same_series = keys["id"].to_numpy()[1:] == keys["id"].to_numpy()[:-1]
    else:
        keys = keys.sort_values("t")
        same_series = np.ones(max(len(keys) - 1, 0), dtype=bool)
    times = pd.DatetimeIndex(keys["t"]).as_unit("ns")
    deltas = np.diff(times.asi8)[same_series]
    deltas = deltas[deltas > 0]
    if len(deltas) == 0:
        return None
    values, counts = np.unique(deltas, return_counts=True)
    step = pd.Timedelta(int(values[np.argmax(counts)]), unit="ns")
    if step >= pd.Timedelta(days=28):
        for alias in _CALENDAR_STEPS:
            if times.isin(pd.date_range(times.min(), times.max(), freq=alias)).all():
                return alias
    return to_offset(step).freqstr


def _regularise(
    piece: pd.DataFrame, frequency: str, config: DataConfig, source: str, label: str, report: RepairReport
) -> pd.DataFrame:
    times = piece.index.asi8
    order = np.argsort(times, kind="stable")
    report.rows_reordered += int((order != np.arange(len(order))).sum())
    piece = piece.iloc[order]
    duplicated = piece.index.duplicated(keep=False)
    if duplicated.any():
        n_stamps = int(piece.index[duplicated].nunique())
        if config.duplicates == "refuse":
            first = piece.index[duplicated][0]
            raise DataError(
                f"{source}{label}: {int(duplicated.sum())} rows share {n_stamps} timestamps (first {first}); "
                "remove them or set data.duplicates to mean, first, last, sum, min or max"
            )
        report.duplicate_rows_merged += int(duplicated.sum()) - n_stamps
        piece = piece.groupby(level=0, sort=True).agg(config.duplicates)
    grid = pd.date_range(piece.index[0], piece.index[-1], freq=frequency, name=piece.index.name)
    off_grid = ~piece.index.isin(grid)
    if off_grid.any():
        raise DataError(
            f"{source}{label}: {int(off_grid.sum())} timestamps are off the '{frequency}' grid "
            f"(first {piece.index[off_grid][0]}); set data.frequency to the real step or resample the file"
        )
    report.timestamps_inserted += len(grid) - len(piece)
    return piece.reindex(grid)


def _fill_missing(
    stacked: pd.DataFrame, pieces: list[pd.DataFrame], config: DataConfig, source: str, report: RepairReport
) -> pd.DataFrame:
    missing = stacked.isna()
    report.missing_values = {str(c): int(n) for c, n in missing.sum().items()}
    if not missing.to_numpy().any():
        return stacked
    first_column = next(c for c in stacked.columns if missing[c].any())
    first_time = stacked.index[missing[first_column].to_numpy()][0]
    if config.fill == "refuse":
        raise DataError(
            f"{source}: column '{first_column}' has {int(missing[first_column].sum())} missing or infinite "
            f"values (first at {first_time}); set data.fill to interpolate, ffill or mask"
        )
    bounds = np.concatenate([[0], np.cumsum([len(p) for p in pieces])])
    for start, stop in zip(bounds[:-1], bounds[1:]):
        empty = stacked.iloc[start:stop].isna().all()
        if empty.any():
            raise DataError(
                f"{source}: column '{empty.index[empty.to_numpy()][0]}' has no values at all in one series; "
                "drop the column or the series"
            )
    if config.fill == "mask":
        report.values_masked = {c: n for c, n in report.missing_values.items() if n}
        return stacked
    filled = [_fill_piece(stacked.iloc[start:stop], config.fill) for start, stop in zip(bounds[:-1], bounds[1:])]
    result = pd.concat(filled) if len(filled) > 1 else filled[0]
    report.values_filled = {c: n for c, n in report.missing_values.items() if n}
    return result


def _fill_piece(piece: pd.DataFrame, policy: str) -> pd.DataFrame:
    if policy == "interpolate":
        return piece.interpolate(method="time", limit_direction="both")
    return piece.ffill().bfill()
