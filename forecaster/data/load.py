"""Reading CSV and Parquet files into raw data frames, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecaster.config import DataConfig
from forecaster.data.dialect import read_csv, sniff_dialect
from forecaster.data.series import SeriesCollection
from forecaster.data.validate import RepairReport, validate_series
from forecaster.errors import DataError

_FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def read_table(
    path: str | Path,
    file_format: str = "auto",
    sep: str | None = None,
    decimal: str = ".",
    thousands: str | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Read a CSV or Parquet file as it is, without interpreting any column.

    A CSV file's dialect is sniffed where not given (see
    :func:`~forecaster.data.dialect.sniff_dialect`) and kept in
    ``frame.attrs["csv_dialect"]``. A Parquet file's saved index (a
    ``DatetimeIndex`` saved by ``DataFrame.to_parquet``, or any named index)
    becomes a column (``index`` when it has no name).

    Args:
        path: file to read.
        file_format: ``csv``, ``parquet`` or ``auto`` (by suffix:
            ``.csv``/``.txt``/``.tsv`` or ``.parquet``/``.pq``).
        sep: CSV field separator; ``None`` sniffs it.
        decimal: CSV decimal mark. Default ``.``.
        thousands: CSV thousands separator; ``None`` for none.
        encoding: CSV text encoding; ``None`` follows a byte-order mark, else UTF-8.

    Returns:
        The raw frame, columns as stored.

    Raises:
        DataError: when the file is missing or a folder, of an unknown format, unreadable
            (naming the ``data.csv`` setting that reads it), or holds no rows.
    """
    path = Path(path)
    if path.is_dir():
        raise DataError(f"{path} is a folder; pass a CSV or Parquet file")
    if not path.is_file():
        raise DataError(
            f"{path}: data file not found (a relative path is read from the working directory, {Path.cwd()})"
        )
    if file_format == "auto":
        file_format = _FORMATS.get(path.suffix.lower(), "")
        if path.suffix.lower() in (".yaml", ".yml"):
            raise DataError(
                f"{path} looks like a config, not a data file: pass the CSV or Parquet file itself "
                "(a config's data.path names it)"
            )
        if not file_format:
            raise DataError(
                f"{path}: cannot tell the format from suffix '{path.suffix}'; use .csv or .parquet, or set data.format"
            )
    if file_format == "csv":
        dialect = sniff_dialect(path, sep, decimal, thousands, encoding)
        frame = read_csv(path, dialect)
        frame.attrs["csv_dialect"] = dialect.to_dict()
    else:
        frame = _read_parquet(path)
    if frame.empty:
        raise DataError(f"{path}: the file has a header but no data rows")
    return frame


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"{path}: cannot read as parquet: {first_line}") from None
    saved_index = isinstance(frame.index, pd.DatetimeIndex) or any(name is not None for name in frame.index.names)
    return frame.reset_index() if saved_index else frame


def describe_dialect(dialect: dict | None) -> str | None:
    """Say in words how a CSV file was read (``None`` for other files)."""
    if dialect is None:
        return None
    how = "sniffed" if dialect["sniffed"] else "configured"
    thousands = f", thousands {dialect['thousands']!r}" if dialect["thousands"] else ""
    return f"separator {dialect['sep']!r} ({how}), decimal {dialect['decimal']!r}{thousands}, {dialect['encoding']}"


def load_series(
    config: DataConfig, min_rows: int = 1, too_short: str | None = None, columns_fixed_by: str | None = None
) -> tuple[SeriesCollection, RepairReport]:
    """Read ``config.path`` and validate it into regular series, repairing by policy.

    Args:
        config: the ``data`` section.
        min_rows: rows each series needs. Default 1.
        too_short: what the rows are needed for and what to do, ending the
            message that refuses a shorter series (see :func:`validate_series`).
            Default ``None``.
        columns_fixed_by: who fixed the configured columns (e.g. ``"the run was
            trained with"``), for the message refusing a missing one (see
            :func:`validate_series`). Default ``None``.

    Returns:
        The validated collection and the report of every repair made.

    Raises:
        DataError: see :func:`read_table` and :func:`validate_series`.
    """
    raw = read_table(config.path, config.format, **config.csv.model_dump())
    collection, report = validate_series(
        raw, config, source=str(config.path), min_rows=min_rows, too_short=too_short, columns_fixed_by=columns_fixed_by
    )
    report.csv_dialect = describe_dialect(raw.attrs.get("csv_dialect"))
    return collection, report
