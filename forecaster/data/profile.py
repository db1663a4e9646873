"""A data profile for analysts: what a file holds and what is wrong with it.

Unlike :func:`~forecaster.data.validate.validate_series`, profiling repairs
nothing and refuses little: it describes the file as it is so an analyst can
choose the repair policies before a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from forecaster.data.calendar import calendar_grid, infer_frequency, seasonal_period
from forecaster.data.load import describe_dialect
from forecaster.data.timeaxis import parse_time_axis
from forecaster.data.validate import nearest_column_hint
from forecaster.errors import DataError

_TIME_COLUMN_GUESSES = ("date", "datetime", "timestamp", "time", "ds", "datum", "zeit", "fecha", "step", "t")
# Missing timestamps listed by name in a profile.
_LISTED_GAPS = 5
# Series whose row counts a profile lists (the first in file order).
_LISTED_SERIES = 20


def profile_table(
    raw: pd.DataFrame,
    source: str,
    time_column: str | None,
    id_column: str | None = None,
    time_format: str | None = None,
    dayfirst: bool | None = None,
    time_unit: str | None = None,
    timezone: str | None = None,
    holidays: Sequence = (),
) -> dict:
    """Describe a raw table: size, time span, step, calendar gaps, duplicates, missing values.

    Times are read as :func:`~forecaster.data.timeaxis.parse_time_axis` reads
    them for a run (with the same settings), except that mixed UTC offsets are
    converted to UTC and reported instead of refused.

    Args:
        raw: the frame as read from the file (``raw.attrs["csv_dialect"]``
            describes a CSV file's dialect).
        source: file name for messages.
        time_column: the time column; when ``None`` or not in the file it is
            guessed (a column named like ``date``/``timestamp``, else the first
            column that parses as timestamps) and the profile names the guess.
        id_column: series id column for long-format files, or ``None``.
        time_format: ``data.time_format``. Default ``None``.
        dayfirst: ``data.dayfirst``. Default ``None``.
        time_unit: ``data.time_unit``. Default ``None``.
        timezone: ``data.timezone``. Default ``None``.
        holidays: ``data.holidays``. Default none.

    Returns:
        A JSON-friendly dict with keys ``file``, ``csv_dialect``, ``rows``,
        ``time_column``, ``time_unit``, ``time_format``, ``start``, ``end``,
        ``frequency`` (a pandas alias), ``seasonal_period``,
        ``mixed_timezones``, ``n_series``, ``long_format_hint`` (when no
        ``id_column`` is given but timestamps repeat and a text column makes
        each (time, value) pair unique: "looks like long format: one series
        per 'metric'; set data.id_column: metric", else ``None``),
        ``rows_per_series`` (rows of each of the first 20 series of the id
        column, given or suggested; empty without either), ``missing_timestamps`` (on the
        series' own calendar), ``gap_runs``, ``largest_gap``,
        ``first_missing`` (up to five missing timestamps),
        ``duplicate_timestamps``, ``unsorted_rows`` and ``columns`` (per
        column: dtype, numeric, missing, infinite, mean, std, min, max).

    Raises:
        DataError: when no time column can be found, or its times cannot be
            read (naming the setting that reads them).
    """
    time_column = time_column if time_column in raw.columns else _guess_time_column(raw, source, time_column)
    if id_column is not None and id_column not in raw.columns:
        raise DataError(
            f"{source}: no id column '{id_column}'{nearest_column_hint(id_column, list(raw.columns), source)}"
        )
    ids = raw[id_column].to_numpy() if id_column else np.zeros(len(raw), dtype=np.int8)
    settings = {"time_format": time_format, "dayfirst": dayfirst, "time_unit": time_unit, "ids": ids}
    mixed_zones = False
    try:
        axis = parse_time_axis(raw[time_column], source, timezone=timezone, **settings)
    except DataError:
        if timezone is not None:
            raise
        axis = parse_time_axis(raw[time_column], source, timezone="UTC", **settings)
        mixed_zones = True
    times = axis.index
    frequency = infer_frequency(times, ids if id_column else None, holidays)
    keys = pd.DataFrame({"id": ids, "t": times})
    duplicated = keys.duplicated()
    suggested = None if id_column or not duplicated.any() else _suggest_id_column(raw, time_column, times)
    profile = {
        "file": source,
        "csv_dialect": describe_dialect(raw.attrs.get("csv_dialect")),
        "rows": int(len(raw)),
        "time_column": time_column,
        "time_unit": None if axis.unit is None else axis.unit + (" (inferred)" if axis.unit_inferred else ""),
        "time_format": axis.format,
        "start": str(times.min()),
        "end": str(times.max()),
        "frequency": frequency,
        "seasonal_period": None if frequency is None else seasonal_period(frequency),
        "mixed_timezones": mixed_zones,
        "n_series": int(pd.Series(ids).nunique()),
        "long_format_hint": None
        if suggested is None
        else f"looks like long format: one series per '{suggested}'; set data.id_column: {suggested}",
        "rows_per_series": _rows_per_series(raw[id_column or suggested]) if id_column or suggested else {},
        "duplicate_timestamps": int(duplicated.sum()),
        "unsorted_rows": int(_count_unsorted(keys)),
        **_gap_summary(keys, frequency, holidays),
        "columns": {
            str(name): _describe_column(raw[name]) for name in raw.columns if name not in (time_column, id_column)
        },
    }
    return profile


def format_profile(profile: dict) -> str:
    """Render a profile as a readable plain-text table for the terminal."""
    summary = [
        ("file", profile["file"]),
        ("csv dialect", profile["csv_dialect"] or "-"),
        ("rows", f"{profile['rows']:,}"),
        ("series", profile["n_series"]),
        ("time column", profile["time_column"]),
        ("time read as", _time_reading(profile)),
        ("time span", f"{profile['start']}  ->  {profile['end']}"),
        ("frequency", profile["frequency"] or "unknown"),
        ("seasonal period", profile["seasonal_period"] or "none implied"),
        ("mixed time zones", "YES (set data.timezone)" if profile["mixed_timezones"] else "no"),
        (
            "missing timestamps",
            f"{profile['missing_timestamps']:,} in {profile['gap_runs']:,} gap{'' if profile['gap_runs'] == 1 else 's'}",
        ),
        ("first missing", ", ".join(profile["first_missing"]) + _holiday_hint(profile) or "none"),
        ("largest gap", profile["largest_gap"] or "none"),
        ("duplicate timestamps", f"{profile['duplicate_timestamps']:,}"),
        ("rows out of order", f"{profile['unsorted_rows']:,}"),
    ]
    if profile["long_format_hint"]:
        summary.append(("hint", profile["long_format_hint"]))
    if profile["rows_per_series"]:
        listed = ", ".join(f"{series} {rows:,}" for series, rows in profile["rows_per_series"].items())
        first = f" (the first {_LISTED_SERIES} series)" if len(profile["rows_per_series"]) == _LISTED_SERIES else ""
        summary.append(("rows per series", listed + first))
    width = max(len(label) for label, _ in summary)
    lines = [f"{label:<{width}}  {value}" for label, value in summary]
    headers = ("column", "dtype", "numeric", "missing", "inf", "mean", "std", "min", "max")
    rows = [
        (
            name,
            info["dtype"],
            "yes" if info["numeric"] else "NO",
            str(info["missing"]),
            str(info["infinite"]),
            *(_fmt(info[key]) for key in ("mean", "std", "min", "max")),
        )
        for name, info in profile["columns"].items()
    ]
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows)]
    lines.append("")
    lines.append("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(str(x).ljust(w) for x, w in zip(row, widths)) for row in rows)
    return "\n".join(lines)


def _holiday_hint(profile: dict) -> str:
    """Suggest data.holidays when business days are missing (they are often holidays)."""
    business = profile["frequency"] in ("B", "C") and profile["missing_timestamps"]
    return " (if these are holidays, list them in data.holidays)" if business else ""


def _time_reading(profile: dict) -> str:
    if profile["time_unit"] is not None:
        return f"numbers, unit {profile['time_unit']}"
    return f"text, format {profile['time_format']}" if profile["time_format"] else "datetimes"


def _guess_time_column(raw: pd.DataFrame, source: str, asked: str | None) -> str:
    for name in raw.columns:
        if str(name).lower() in _TIME_COLUMN_GUESSES:
            return name
    for name in raw.columns:
        if not pd.api.types.is_numeric_dtype(raw[name]) or pd.api.types.is_datetime64_any_dtype(raw[name]):
            parsed = pd.to_datetime(raw[name].head(50), errors="coerce", utc=True, format="mixed")
            if parsed.notna().all():
                return name
    hint = (
        f"no column '{asked}'{nearest_column_hint(asked, list(raw.columns), source)}"
        if asked
        else "no time column found"
    )
    raise DataError(f"{source}: {hint}; pass --set data.time_column=NAME")


def _gap_summary(keys: pd.DataFrame, frequency: str | None, holidays: Sequence) -> dict:
    """Count the timestamps each series' own calendar has but the file lacks, and name the first few."""
    empty = {"missing_timestamps": 0, "gap_runs": 0, "largest_gap": None, "first_missing": []}
    if frequency is None:
        return empty
    missing, runs, largest = [], 0, None
    for _, times in keys.drop_duplicates().groupby("id", sort=False)["t"]:
        present = pd.Index(times).sort_values()
        grid = calendar_grid(present[0], present[-1], frequency, holidays)
        absent = grid.difference(present)
        if len(absent) == 0:
            continue
        missing.append(absent)
        runs += int((np.diff(grid.get_indexer(absent)) != 1).sum()) + 1
        widest = (present[1:] - present[:-1]).max()
        largest = widest if largest is None else max(largest, widest)
    if not missing:
        return empty
    absent = missing[0].append(missing[1:]) if len(missing) > 1 else missing[0]
    return {
        "missing_timestamps": int(len(absent)),
        "gap_runs": runs,
        "largest_gap": str(largest),
        "first_missing": [str(t) for t in absent[:_LISTED_GAPS]],
    }


def _suggest_id_column(raw: pd.DataFrame, time_column: str, times: pd.Index) -> Any:
    """The column that makes a file with repeated timestamps read as long format, or ``None``.

    That is the first text (or categorical) column whose values each repeat
    (fewer distinct values than half the rows) and that, with the time,
    identifies every row: one series per value.
    """
    for name in raw.columns:
        column = raw[name]
        if name == time_column or pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
            continue
        if 2 <= column.nunique() <= len(raw) // 2 and not pd.DataFrame({"id": column, "t": times}).duplicated().any():
            return name
    return None


def _rows_per_series(ids: pd.Series) -> dict:
    """Rows of each series, for the first :data:`_LISTED_SERIES` series in file order."""
    counts = ids.value_counts(sort=False, dropna=False)
    return {str(series): int(rows) for series, rows in counts.iloc[:_LISTED_SERIES].items()}


def _count_unsorted(keys: pd.DataFrame) -> int:
    """Count rows whose timestamp is earlier than the previous row of the same series."""
    previous = keys.groupby("id", sort=False)["t"].shift()
    return int((keys["t"] < previous).sum())


def _describe_column(column: pd.Series) -> dict:
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    info = {"dtype": str(column.dtype), "numeric": bool(numeric), "missing": int(column.isna().sum()), "infinite": 0}
    stats = dict.fromkeys(("mean", "std", "min", "max"))
    if numeric:
        values = column.to_numpy(dtype=np.float64)
        finite = values[np.isfinite(values)]
        info["infinite"] = int(np.isinf(values).sum())
        if len(finite):
            stats = {
                "mean": float(finite.mean()),
                "std": float(finite.std(ddof=1)) if len(finite) > 1 else 0.0,
                "min": float(finite.min()),
                "max": float(finite.max()),
            }
    return {**info, **stats}


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"
