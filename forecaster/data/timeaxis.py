"""Time axes: turning a time column of any common type into one time index.

A time column may hold text in one date format, numbers (epoch seconds,
milliseconds, microseconds or nanoseconds, or plain step numbers), or
datetimes already (Parquet). Text is read with one format for the whole
column, never switching formats row by row; dates that read both day-first
and month-first are refused unless the config says which. An epoch unit is
inferred from the magnitude only when exactly one unit gives dates between
1973 and 2286. Naive times with a configured zone are local wall-clock times
in that zone.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from forecaster.errors import DataError

STEP = "step"
# Epoch unit -> the magnitudes that give dates from 1973-03-03 to 2286-11-20 in it.
EPOCH_RANGES = {"s": (1e8, 1e10), "ms": (1e11, 1e13), "us": (1e14, 1e16), "ns": (1e17, 1e19)}


@dataclass(frozen=True)
class TimeAxis:
    """A parsed time column and how it was read.

    Attributes:
        index: ``DatetimeIndex`` (or an ``int64`` ``Index`` of step numbers for
            ``time_unit: step``), one entry per row, in file order.
        unit: the unit of a numeric column (``s``, ``ms``, ``us``, ``ns`` or
            ``step``), ``None`` for text and datetime columns.
        unit_inferred: whether ``unit`` was inferred from the magnitude.
        format: the ``strftime`` format text was read with (``ISO8601`` for
            ISO 8601 text in varying precision), ``None`` otherwise.
    """

    index: pd.Index
    unit: str | None = None
    unit_inferred: bool = False
    format: str | None = None


def parse_time_axis(
    column: pd.Series,
    source: str,
    time_format: str | None = None,
    dayfirst: bool | None = None,
    time_unit: str | None = None,
    timezone: str | None = None,
    ids: np.ndarray | None = None,
) -> TimeAxis:
    """Parse a time column into one time index, refusing anything ambiguous.

    Args:
        column: the raw time column (its name is used in messages).
        source: file name for messages.
        time_format: ``strftime`` format of the column; ``None`` infers one.
        dayfirst: read ambiguous dates day first (``True``) or month first
            (``False``); ``None`` refuses dates that read both ways.
        time_unit: ``s``/``ms``/``us``/``ns`` for epoch numbers, ``step`` for
            step numbers; ``None`` infers an epoch unit where only one fits.
        timezone: IANA zone; naive times are read as wall-clock times in it
            (a repeated autumn hour resolved by row order), zoned times
            converted to it. ``None`` keeps times as they are (epoch numbers
            are UTC).
        ids: series label per row, so a repeated autumn hour is resolved per
            series; ``None`` for one series.

    Returns:
        The :class:`TimeAxis`.

    Raises:
        DataError: naming the file, column and first offending row, for empty
            timestamps, text not in one format, ambiguous day/month order,
            numbers that fit no epoch unit, mixed UTC offsets without
            ``timezone``, or wall-clock times that do not exist in ``timezone``.
    """
    name = column.name
    empty = column.isna().to_numpy()
    if empty.any():
        raise DataError(
            f"{source}: column '{name}' has an empty timestamp in row {row_number(column, _first(empty))}; "
            "fill or drop it"
        )
    if pd.api.types.is_datetime64_any_dtype(column):
        axis = TimeAxis(pd.DatetimeIndex(column))
    elif time_unit == STEP:
        return TimeAxis(_step_numbers(column, source), unit=STEP)
    elif time_format is not None:
        axis = TimeAxis(_parse_text(column.astype(str), time_format, timezone is not None, source), format=time_format)
    elif _is_numeric(column):
        numbers = pd.to_numeric(column)
        unit = time_unit or _epoch_unit(numbers, source)
        axis = TimeAxis(_epoch_times(numbers, unit, source), unit=unit, unit_inferred=time_unit is None)
    elif time_unit is not None:
        raise DataError(
            f"{source}: column '{name}' holds text such as {column.iloc[0]!r}, not numbers in data.time_unit "
            f"{time_unit!r}; drop data.time_unit"
        )
    else:
        axis = _infer_text(column.astype(str), dayfirst, timezone is not None, source)
    index = _in_zone(pd.DatetimeIndex(axis.index, name=name), timezone, ids, source)
    return TimeAxis(index, axis.unit, axis.unit_inferred, axis.format)


def row_number(column: pd.Series, position: int) -> int:
    """The 1-based row number, as the user counts it, of ``column``'s value at ``position``.

    A table read from a file or a query has the integer index ``0..n-1``, and
    the rows of one series cut from it keep theirs, so the index label plus 1
    is the row of the whole table (a bad value of the tenth series is named by
    its row in the file, not in the series). Any other index (a user's
    DataFrame indexed by time, say) gives ``position + 1``.
    """
    if pd.api.types.is_integer_dtype(column.index):
        return int(column.index[position]) + 1
    return position + 1


def _first(flags: np.ndarray) -> int:
    """Position of the first true flag."""
    return int(np.flatnonzero(flags)[0])


def _is_numeric(column: pd.Series) -> bool:
    if pd.api.types.is_bool_dtype(column):
        return False
    return pd.api.types.is_numeric_dtype(column) or pd.to_numeric(column, errors="coerce").notna().all()


def _step_numbers(column: pd.Series, source: str) -> pd.Index:
    numbers = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(numbers) | (numbers != np.round(numbers))
    if bad.any():
        position = _first(bad)
        raise DataError(
            f"{source}: column '{column.name}' has {column.iloc[position]!r} in row "
            f"{row_number(column, position)}, not a whole step number (data.time_unit is step)"
        )
    return pd.Index(numbers.astype(np.int64), name=column.name)


def _epoch_unit(numbers: pd.Series, source: str) -> str:
    """The one epoch unit whose 1973-2286 range holds every number, else a refusal naming data.time_unit."""
    low, high = float(numbers.min()), float(numbers.max())
    for unit, (floor, ceiling) in EPOCH_RANGES.items():
        if floor <= low and high < ceiling:
            return unit
    as_dates = ""
    if numbers.between(1000_01_01, 2999_12_31).all():
        as_dates = " or data.time_format: '%Y%m%d' if they are dates written as numbers"
    raise DataError(
        f"{source}: column '{numbers.name}' holds numbers from {low:g} to {high:g}, which are epoch times in no "
        f"single unit between 1973 and 2286; set data.time_unit to step (step numbers) or to s, ms, us or ns"
        f"{as_dates}"
    )


def _epoch_times(numbers: pd.Series, unit: str, source: str) -> pd.DatetimeIndex:
    try:
        return pd.DatetimeIndex(pd.to_datetime(numbers, unit=unit, utc=True))
    except (OverflowError, pd.errors.OutOfBoundsDatetime, ValueError):
        raise DataError(
            f"{source}: column '{numbers.name}' holds numbers from {numbers.min():g} to {numbers.max():g}, "
            f"too large for epoch {unit}; set data.time_unit to the unit they are in"
        ) from None


def _infer_text(text: pd.Series, dayfirst: bool | None, utc: bool, source: str) -> TimeAxis:
    """Read text with the one format that fits every row, refusing day/month ambiguity."""
    first = text.iloc[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # pandas warns that ISO dates ignore dayfirst
        guesses = [guess_datetime_format(first, dayfirst=False), guess_datetime_format(first, dayfirst=True)]
    formats = [f for f in dict.fromkeys(guesses) if f is not None and not _year_day_month(f)]
    if dayfirst is not None:
        formats = [f for f in formats if _is_dayfirst(f) == dayfirst] or formats
    readings = {}
    for fmt in formats:
        parsed = _parse_text(text, fmt, utc, source, strict=False)
        if parsed is not None:
            readings[fmt] = parsed
    if len(readings) > 1:
        (fmt_a, a), (fmt_b, b) = readings.items()
        if not a.equals(b):
            position = _first(np.asarray(a != b))
            raise DataError(
                f"{source}: column '{text.name}' reads two ways: {text.iloc[position]!r} (row "
                f"{row_number(text, position)}) is {a[position]:%Y-%m-%d} as {fmt_a} and {b[position]:%Y-%m-%d} as "
                f"{fmt_b}; set data.dayfirst (true or false) or data.time_format"
            )
    if readings:
        fmt, parsed = next(iter(readings.items()))
        return TimeAxis(parsed, format=fmt)
    iso = _parse_text(text, "ISO8601", utc, source, strict=False)
    if iso is not None:
        return TimeAxis(iso, format="ISO8601")
    if not formats:
        raise DataError(
            f"{source}: column '{text.name}' is not a timestamp column ({first!r} in row 1 is no date format "
            "pandas knows); check data.time_column or set data.time_format"
        )
    return TimeAxis(_parse_text(text, formats[0], utc, source), format=formats[0])


def _year_day_month(fmt: str) -> bool:
    """Whether a format puts the year first and the day before the month (no one writes that)."""
    return fmt.startswith("%Y") and _is_dayfirst(fmt)


def _is_dayfirst(fmt: str) -> bool:
    return "%d" in fmt and "%m" in fmt and fmt.index("%d") < fmt.index("%m")


def _parse_text(text: pd.Series, fmt: str, utc: bool, source: str, strict: bool = True) -> pd.DatetimeIndex | None:
    """Parse every row with ``fmt``; ``None`` (or, when ``strict``, a refusal naming the first bad row) if one fails.

    Text with mixed UTC offsets is read in UTC when ``utc`` (a zone is
    configured), else refused.
    """
    try:
        parsed = pd.DatetimeIndex(pd.to_datetime(text, format=fmt))
    except (ValueError, TypeError):
        parsed = None
    if parsed is not None and parsed.dtype != object:
        return parsed
    try:
        in_utc = pd.DatetimeIndex(pd.to_datetime(text, format=fmt, utc=True))
    except (ValueError, TypeError):
        if not strict:
            return None
        coerced = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
        bad = coerced.isna().to_numpy()
        position = _first(bad) if bad.any() else 0
        raise DataError(
            f"{source}: column '{text.name}' has {text.iloc[position]!r} in row {row_number(text, position)}, "
            f"not in the format {fmt} of the rows before; fix the row or set data.time_format"
        ) from None
    if utc:
        return in_utc
    raise DataError(
        f"{source}: column '{text.name}' mixes time zones or UTC offsets; set data.timezone "
        "to the zone they were written in (e.g. Europe/Paris, or UTC) to read every timestamp in one zone"
    )


def _in_zone(index: pd.DatetimeIndex, timezone: str | None, ids: np.ndarray | None, source: str) -> pd.DatetimeIndex:
    """Read naive times as wall-clock times in ``timezone``, or convert zoned ones to it."""
    if timezone is None:
        return index
    if index.tz is not None:
        return index.tz_convert(timezone)
    keys = pd.DataFrame({"id": 0 if ids is None else ids, "t": index.asi8})
    ascending = np.mean(np.diff(index.asi8) >= 0) >= 0.5 if len(index) > 1 else True
    first_pass = ~keys.duplicated(keep="first" if ascending else "last").to_numpy()
    local = index.tz_localize(timezone, ambiguous=first_pass, nonexistent="NaT")
    skipped = local.isna()
    if skipped.any():
        position = _first(np.asarray(skipped))
        raise DataError(
            f"{source}: column '{index.name}' has {index[position]} in row {position + 1}, a wall-clock time that "
            f"does not exist in {timezone} (the clocks skip it); fix or drop the row, or write times with their "
            "UTC offset"
        )
    return local
