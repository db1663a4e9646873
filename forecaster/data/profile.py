"""A data profile for analysts: what a file holds and what is wrong with it.

Unlike :func:`~forecaster.data.validate.validate_series`, profiling repairs
nothing and refuses little: it describes the file as it is so an analyst can
choose the repair policies before a run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecaster.data.validate import infer_frequency, nearest_column_hint
from forecaster.errors import DataError

_TIME_COLUMN_GUESSES = ("date", "datetime", "timestamp", "time", "ds")


def profile_table(raw: pd.DataFrame, source: str, time_column: str | None, id_column: str | None = None) -> dict:
    """Describe a raw table: size, time span, step, gaps, duplicates, missing values.

    Args:
        raw: the frame as read from the file.
        source: file name for messages.
        time_column: the time column; when ``None`` or not in the file it is
            guessed (a column named like ``date``/``timestamp``, else the first
            column that parses as timestamps) and the profile names the guess.
        id_column: series id column for long-format files, or ``None``.

    Returns:
        A JSON-friendly dict with keys ``file``, ``rows``, ``time_column``,
        ``start``, ``end``, ``frequency``, ``mixed_timezones``, ``n_series``, ``missing_timestamps``,
        ``gap_runs``, ``largest_gap``, ``duplicate_timestamps``,
        ``unsorted_rows`` and ``columns`` (per column: dtype, numeric, missing,
        infinite, mean, std, min, max).

    Raises:
        DataError: when no time column can be found or parsed.
    """
    time_column = time_column if time_column in raw.columns else _guess_time_column(raw, source, time_column)
    if id_column is not None and id_column not in raw.columns:
        raise DataError(f"{source}: no id column '{id_column}'{nearest_column_hint(id_column, list(raw.columns))}")
    times, mixed_zones = _parse_profile_times(raw[time_column], source, time_column)
    ids = raw[id_column].to_numpy() if id_column else np.zeros(len(raw), dtype=np.int8)
    frequency = infer_frequency(times, ids if id_column else None)
    gaps = _gap_summary(times, ids, frequency)
    keys = pd.DataFrame({"id": ids, "t": times})
    profile = {
        "file": source,
        "rows": int(len(raw)),
        "time_column": time_column,
        "start": str(times.min()),
        "end": str(times.max()),
        "frequency": frequency,
        "mixed_timezones": mixed_zones,
        "n_series": int(pd.Series(ids).nunique()),
        "duplicate_timestamps": int(keys.duplicated().sum()),
        "unsorted_rows": int(_count_unsorted(keys)),
        **gaps,
        "columns": {
            str(name): _describe_column(raw[name])
            for name in raw.columns
            if name not in (time_column, id_column)
        },
    }
    return profile


def format_profile(profile: dict) -> str:
    """Render a profile as a readable plain-text table for the terminal."""
    summary = [
        ("file", profile["file"]),
        ("rows", f"{profile['rows']:,}"),
        ("series", profile["n_series"]),
        ("time column", profile["time_column"]),
        ("time span", f"{profile['start']}  ->  {profile['end']}"),
        ("frequency", profile["frequency"] or "unknown"),
        ("mixed time zones", "YES (set data.timezone)" if profile["mixed_timezones"] else "no"),
        ("missing timestamps", f"{profile['missing_timestamps']:,} in {profile['gap_runs']:,} gaps"),
        ("largest gap", profile["largest_gap"] or "none"),
        ("duplicate timestamps", profile["duplicate_timestamps"]),
        ("rows out of order", profile["unsorted_rows"]),
    ]
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


def _parse_profile_times(column: pd.Series, source: str, name: str) -> tuple[pd.DatetimeIndex, bool]:
    """Parse timestamps as stored; fall back to UTC when they mix zones, and say so."""
    try:
        return pd.DatetimeIndex(pd.to_datetime(column, format="mixed")), False
    except (ValueError, TypeError):
        pass
    try:
        return pd.DatetimeIndex(pd.to_datetime(column, utc=True, format="mixed")), True
    except (ValueError, TypeError):
        raise DataError(f"{source}: column '{name}' does not parse as timestamps; pass --set data.time_column=NAME") from None


def _guess_time_column(raw: pd.DataFrame, source: str, asked: str | None) -> str:
    for name in raw.columns:
        if str(name).lower() in _TIME_COLUMN_GUESSES:
            return name
    for name in raw.columns:
        if raw[name].dtype == object or pd.api.types.is_datetime64_any_dtype(raw[name]):
            parsed = pd.to_datetime(raw[name].head(50), errors="coerce", utc=True, format="mixed")
            if parsed.notna().all():
                return name
    hint = f"no column '{asked}'{nearest_column_hint(asked, list(raw.columns))}" if asked else "no time column found"
    raise DataError(f"{source}: {hint}; pass --set data.time_column=NAME")


def _gap_summary(times: pd.DatetimeIndex, ids: np.ndarray, frequency: str | None) -> dict:
    """Count missing timestamps and gap runs per series on the inferred grid."""
    empty = {"missing_timestamps": 0, "gap_runs": 0, "largest_gap": None}
    if frequency is None:
        return empty
    step = pd.tseries.frequencies.to_offset(frequency)
    try:
        step_ns = pd.Timedelta(step).value
    except ValueError:
        return {**empty, "missing_timestamps": None}
    frame = pd.DataFrame({"id": ids, "t": times.as_unit("ns").asi8}).drop_duplicates().sort_values(["id", "t"])
    same = frame["id"].to_numpy()[1:] == frame["id"].to_numpy()[:-1]
    deltas = np.diff(frame["t"].to_numpy())[same]
    missing = np.maximum(deltas // step_ns - 1, 0)
    if not missing.any():
        return empty
    return {
        "missing_timestamps": int(missing.sum()),
        "gap_runs": int((missing > 0).sum()),
        "largest_gap": str(pd.Timedelta(int(deltas.max()), unit="ns")),
    }


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
