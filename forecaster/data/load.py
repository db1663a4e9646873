"""Reading CSV and Parquet files into raw data frames, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecaster.config import DataConfig
from forecaster.data.series import SeriesCollection
from forecaster.data.validate import RepairReport, validate_series
from forecaster.errors import DataError

_FORMATS = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet"}


def read_table(path: str | Path, file_format: str = "auto") -> pd.DataFrame:
    """Read a CSV or Parquet file as it is, without interpreting any column.

    Args:
        path: file to read.
        file_format: ``csv``, ``parquet`` or ``auto`` (by suffix:
            ``.csv``/``.txt`` or ``.parquet``/``.pq``).

    Returns:
        The raw frame, columns as stored.

    Raises:
        DataError: when the file is missing, of an unknown format, unreadable,
            or holds no rows.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: data file not found; check data.path (relative to the working directory)")
    if file_format == "auto":
        file_format = _FORMATS.get(path.suffix.lower(), "")
        if not file_format:
            raise DataError(
                f"{path}: cannot tell the format from suffix '{path.suffix}'; "
                "use .csv or .parquet, or set data.format"
            )
    try:
        frame = pd.read_csv(path) if file_format == "csv" else pd.read_parquet(path)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; expected a header row and data rows") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot read as {file_format}: {first_line}") from None
    if frame.empty:
        raise DataError(f"{path}: the file has a header but no data rows")
    return frame


def load_series(config: DataConfig, min_rows: int = 1) -> tuple[SeriesCollection, RepairReport]:
    """Read ``config.path`` and validate it into regular series, repairing by policy.

    Args:
        config: the ``data`` section.
        min_rows: rows each series needs (lookback + horizon).

    Returns:
        The validated collection and the report of every repair made.

    Raises:
        DataError: see :func:`read_table` and :func:`validate_series`.
    """
    raw = read_table(config.path, config.format)
    return validate_series(raw, config, source=str(config.path), min_rows=min_rows)
