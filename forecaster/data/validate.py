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

from forecaster.config import DataConfig
from forecaster.data.calendar import calendar_grid, infer_frequency, is_step_frequency, normalise_frequency
from forecaster.data.series import SeriesCollection
from forecaster.data.timeaxis import parse_time_axis, row_number
from forecaster.errors import ConfigError, DataError

SINGLE_SERIES_ID = "series"
FRAME_SOURCE = "data frame"
"""The ``source`` that names data handed over as a DataFrame (the Python API); messages then speak of a data frame, not a file."""


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
        empty_columns: columns without a single value, left out of the
            targets chosen when ``data.target_columns`` is empty.
        rows_filled: rows holding a value the file did not (inserted or
            missing), marked in :attr:`SeriesCollection.filled`.
        time_unit: unit of a numeric time column (``s``, ``ms``, ``us``,
            ``ns``, ``step``), with ``(inferred)`` when read from the magnitude.
        time_format: format the time text was read with.
        csv_dialect: separator, decimal mark and encoding a CSV file was read
            with, ``None`` for Parquet.
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
    empty_columns: list[str] = field(default_factory=list)
    rows_filled: int = 0
    time_unit: str | None = None
    time_format: str | None = None
    csv_dialect: str | None = None

    def to_dict(self) -> dict:
        """Return the report as JSON-friendly plain data."""
        return asdict(self)


def validate_series(
    raw: pd.DataFrame,
    config: DataConfig,
    source: str,
    min_rows: int = 1,
    too_short: str | None = None,
    columns_fixed_by: str | None = None,
) -> tuple[SeriesCollection, RepairReport]:
    """Turn a raw frame into regular, sorted, numeric series, repairing by policy.

    Args:
        raw: the frame as read from the file.
        config: the ``data`` section (time/id/target columns and policies).
        source: file name used in messages, or :data:`FRAME_SOURCE` for a DataFrame.
        min_rows: rows each series needs; shorter series are refused. Default 1.
        too_short: the end of the message refusing a shorter series: what the
            rows are needed for and what to do (e.g. ``"a forecast needs the
            run's lookback of 96 rows; pass at least 96 rows of history"``).
            Default ``None``: "at least ``min_rows`` rows are needed".
        columns_fixed_by: who fixed the configured columns, when the user
            cannot rename them (e.g. ``"the run was trained with"``): a missing
            one is then refused as "<this> column 'X' (data.<key>); the file (or data frame)
            has columns: ...", with no nearest-name guess. Default ``None``:
            the user's own ``data`` section; the message suggests the nearest
            column.

    Returns:
        The validated collection and the report of every repair made.

    Raises:
        DataError: for a missing or unparsable time column, non-numeric target
            or covariate columns, mixed time zones, refused duplicates or
            missing values, timestamps off the frequency grid, or a series too
            short for ``min_rows``.
    """
    report = RepairReport(rows_read=len(raw))
    value_columns = _select_value_columns(raw, config, source, report, columns_fixed_by)
    frame = raw[value_columns].apply(pd.to_numeric).astype(np.float64)
    report.inf_values = int(np.isinf(frame.to_numpy()).sum())
    frame = frame.replace([np.inf, -np.inf], np.nan)
    ids = _series_ids(raw, config, source)
    axis = parse_time_axis(
        raw[config.time_column],
        source,
        time_format=config.time_format,
        dayfirst=config.dayfirst,
        time_unit=config.time_unit,
        timezone=config.timezone,
        ids=None if ids is None else ids.to_numpy(),
    )
    report.time_unit = None if axis.unit is None else axis.unit + (" (inferred)" if axis.unit_inferred else "")
    report.time_format = axis.format
    frame.index = axis.index.rename(config.time_column)
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
            reason = too_short or f"at least {min_rows} rows are needed"
            rows = f"{len(piece)} row" if len(piece) == 1 else f"{len(piece)} rows"
            raise DataError(f"{source}{label}: {rows} after regularising, but {reason}")
        pieces.append(piece)
        series_ids.append(series_id)

    stacked = pd.concat(pieces) if len(pieces) > 1 else pieces[0]
    filled = stacked.isna().any(axis=1).to_numpy()
    report.rows_filled = int(filled.sum())
    stacked = _fill_missing(stacked, pieces, config, source, report)
    offsets = np.concatenate([[0], np.cumsum([len(p) for p in pieces])]).astype(np.int64)
    collection = SeriesCollection(
        frame=stacked,
        series_ids=tuple(series_ids),
        offsets=offsets,
        frequency=frequency,
        filled=filled,
        holidays=tuple(config.holidays),
    )
    return collection, report


def missing_times_between(
    last, first, frequency: str, holidays=(), source: str = "data", timezone: str | None = None
) -> pd.Index:
    """The grid times strictly between two rows of one series: the rows missing when ``first`` follows ``last``.

    Rows arriving in parts (scheduled scans) continue the grid of the rows
    before: this is where :func:`validate_series` would have inserted rows had
    both parts been in one file.

    Args:
        last: the last timestamp (or step number) already held.
        first: the first one that follows, later than ``last``.
        frequency: the series' step, normalised (:attr:`SeriesCollection.frequency`).
        holidays: dates a business-day step skips. Default none.
        source: where ``first`` came from, for the message. Default ``"data"``.
        timezone: the zone whose clock the series keeps, when ``last`` and ``first``
            are naive UTC times of zoned data: the grid steps by that clock (a
            daily series stays at local midnight across a daylight-saving change)
            and the missing times come back as naive UTC. Default ``None``.

    Returns:
        The missing times, in order; empty when ``first`` is the step after ``last``.

    Raises:
        DataError: when ``first`` is not on the grid that ``last`` is on.
    """
    if timezone is not None:
        last, first = (pd.Timestamp(time).tz_localize("UTC").tz_convert(timezone) for time in (last, first))
    grid = calendar_grid(last, first, frequency, holidays)
    if grid[-1] != first:
        raise DataError(
            f"{source}: {first} is off the '{frequency}' grid of the rows before it (the last at {last}); "
            "set data.frequency to the real step or resample the data"
        )
    return grid[1:-1] if timezone is None else grid[1:-1].tz_convert("UTC").tz_localize(None)


def nearest_column_hint(name: str, columns: list[str], source: str) -> str:
    """Return "; did you mean 'X'?" for the closest column name, or the list of columns.

    Args:
        name: the column asked for.
        columns: the columns there are.
        source: where they are (a file name, or :data:`FRAME_SOURCE`), so the
            list says "the file has columns" or "the data frame has columns".
    """
    near = difflib.get_close_matches(name, [str(c) for c in columns], n=1, cutoff=0.5)
    if near:
        return f"; did you mean '{near[0]}'?"
    return f"; {_column_list(columns, source)}"


def _column_list(columns: list[str] | pd.Index, source: str) -> str:
    """``"the file has columns: a, b"``, or ``"the data frame has columns: ..."`` for :data:`FRAME_SOURCE`."""
    return f"{_holder(source)} has columns: {', '.join(str(c) for c in columns)}"


def _holder(source: str) -> str:
    return "the data frame" if source == FRAME_SOURCE else "the file"


def _select_value_columns(
    raw: pd.DataFrame, config: DataConfig, source: str, report: RepairReport, columns_fixed_by: str | None
) -> list[str]:
    reserved = [config.time_column] + ([config.id_column] if config.id_column else [])
    for key, name in (("data.time_column", config.time_column), ("data.id_column", config.id_column)):
        if name is not None and name not in raw.columns:
            raise DataError(
                f"{source}: no column '{name}' ({key}){nearest_column_hint(name, list(raw.columns), source)}"
            )
    for key in ("target_columns", "past_covariates", "future_covariates"):
        missing = next((name for name in getattr(config, key) if name not in raw.columns), None)
        if missing is None:
            continue
        if columns_fixed_by is None:
            raise DataError(f"{source}: no column '{missing}'{nearest_column_hint(missing, list(raw.columns), source)}")
        raise DataError(
            f"{source}: {columns_fixed_by} column '{missing}' (data.{key}); {_column_list(raw.columns, source)}"
        )
    covariates = list(config.past_covariates) + list(config.future_covariates)
    requested = list(config.target_columns) + covariates
    if config.target_columns:
        chosen = list(dict.fromkeys(requested))
    else:
        candidates = [c for c in raw.columns if c not in reserved and c not in covariates]
        report.empty_columns = [str(c) for c in candidates if raw[c].isna().all()]
        targets = [
            c for c in candidates if pd.api.types.is_numeric_dtype(raw[c]) and str(c) not in report.empty_columns
        ]
        if not targets:
            raise DataError(f"{source}: no numeric value column found; set data.target_columns")
        chosen = targets + [c for c in covariates if c not in targets]
    non_numeric = [c for c in chosen if _first_non_numeric(raw[c]) is not None]
    if non_numeric:
        details = "; ".join(f"'{c}' has {_first_non_numeric(raw[c])}" for c in non_numeric)
        raise DataError(
            f"{source}: non-numeric target/covariate columns: {details}; clean them or drop them from "
            "data.target_columns/data.past_covariates/data.future_covariates"
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
    return f"{column.iloc[position]!r} in row {row_number(column, position)}"


def _series_ids(raw: pd.DataFrame, config: DataConfig, source: str) -> pd.Series | None:
    if config.id_column is None:
        return None
    ids = raw[config.id_column]
    if ids.isna().any():
        position = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise DataError(f"{source}: id column '{config.id_column}' is empty in row {row_number(ids, position)}")
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


def _resolve_frequency(index: pd.Index, ids: pd.Series | None, config: DataConfig, source: str) -> str:
    steps = not isinstance(index, pd.DatetimeIndex)
    if config.frequency is not None:
        if is_step_frequency(config.frequency) != steps:
            raise ConfigError(
                f"data.frequency: '{config.frequency}' does not fit a time axis of "
                f"{'step numbers' if steps else 'timestamps'}; use {'step or e.g. 5step' if steps else 'e.g. h, D, B, MS'}"
            )
        try:
            return normalise_frequency(config.frequency)
        except ValueError:
            raise ConfigError(
                f"data.frequency: '{config.frequency}' is not a pandas frequency (use e.g. h, 15min, D, B, W-SUN, MS)"
            ) from None
    frequency = infer_frequency(index, None if ids is None else ids.to_numpy(), config.holidays)
    if frequency is None:
        raise DataError(f"{source}: cannot infer the time step (too few distinct timestamps); set data.frequency")
    return frequency


def _regularise(
    piece: pd.DataFrame, frequency: str, config: DataConfig, source: str, label: str, report: RepairReport
) -> pd.DataFrame:
    order = piece.index.argsort(kind="stable")
    report.rows_reordered += int((order != np.arange(len(order))).sum())
    piece = piece.iloc[order]
    duplicated = piece.index.duplicated(keep=False)
    if duplicated.any():
        n_stamps = int(piece.index[duplicated].nunique())
        if config.duplicates == "refuse":
            first = piece.index[duplicated][0]
            stamps = "1 timestamp" if n_stamps == 1 else f"{n_stamps} timestamps"
            raise DataError(
                f"{source}{label}: {int(duplicated.sum())} rows share {stamps} (first {first}); "
                "remove them or set data.duplicates to mean, first, last, sum, min or max"
            )
        report.duplicate_rows_merged += int(duplicated.sum()) - n_stamps
        piece = piece.groupby(level=0, sort=True).agg(config.duplicates)
    grid = calendar_grid(piece.index[0], piece.index[-1], frequency, config.holidays, name=piece.index.name)
    off_grid = ~piece.index.isin(grid)
    if off_grid.any():
        n_off = int(off_grid.sum())
        raise DataError(
            f"{source}{label}: {n_off} {'timestamp is' if n_off == 1 else 'timestamps are'} off the '{frequency}' grid "
            f"(first {piece.index[off_grid][0]}); set data.frequency to the real step, data.timezone to the zone "
            f"its days are counted in, or resample {_holder(source)}"
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
        n_missing = int(missing[first_column].sum())
        raise DataError(
            f"{source}: column '{first_column}' has {n_missing} missing or infinite "
            f"{'value' if n_missing == 1 else 'values'} (first at {first_time}); set data.fill to interpolate, ffill or mask"
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
    method = "time" if isinstance(stacked.index, pd.DatetimeIndex) else "index"
    filled = [
        _fill_piece(stacked.iloc[start:stop], config.fill, method) for start, stop in zip(bounds[:-1], bounds[1:])
    ]
    result = pd.concat(filled) if len(filled) > 1 else filled[0]
    report.values_filled = {c: n for c, n in report.missing_values.items() if n}
    return result


def _fill_piece(piece: pd.DataFrame, policy: str, method: str) -> pd.DataFrame:
    if policy == "interpolate":
        return piece.interpolate(method=method, limit_direction="both")
    return piece.ffill().bfill()
