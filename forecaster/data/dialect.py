"""CSV dialects: the separator, decimal mark, thousands separator and encoding a file is written in.

A dialect left unset in the config is sniffed from the start of the file
(:class:`csv.Sniffer` for the separator, the byte-order mark for the
encoding). When a file does not read as configured, the message says what the
file looks like and which ``data.csv`` setting reads it.
"""

from __future__ import annotations

import codecs
import csv
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from forecaster.errors import DataError

logger = logging.getLogger(__name__)

SEPARATORS = ",;\t|"
_SAMPLE_BYTES = 64 * 1024
_SAMPLE_CELLS = 1000
# Longest marks first: the UTF-32 little-endian mark starts with the UTF-16 one.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# A whole cell that is a number written with a decimal comma ("28,682", "-1.234,5").
_DECIMAL_COMMA = r"\s*[-+]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+\s*"
# A whole cell that is a number with thousands commas ("1,234", "12,345,678.9").
_THOUSANDS_COMMA = r"\s*[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?\s*"


@dataclass(frozen=True)
class CsvDialect:
    """How one CSV file is written.

    Attributes:
        sep: field separator.
        decimal: decimal mark of numbers.
        thousands: thousands separator inside numbers, or ``None``.
        encoding: text encoding passed to the reader (``utf-8-sig`` for UTF-8 with a BOM).
        sniffed: whether ``sep`` was sniffed rather than configured.
    """

    sep: str
    decimal: str = "."
    thousands: str | None = None
    encoding: str = "utf-8"
    sniffed: bool = False

    def to_dict(self) -> dict:
        """Return the dialect as JSON-friendly plain data."""
        return asdict(self)


def sniff_dialect(
    path: str | Path,
    sep: str | None = None,
    decimal: str = ".",
    thousands: str | None = None,
    encoding: str | None = None,
) -> CsvDialect:
    """Work out the dialect of a CSV file, keeping every part the caller states.

    Args:
        path: the CSV file.
        sep: field separator, or ``None`` to sniff one of ``,`` ``;`` tab ``|``
            from the first 64 KiB (``,`` when nothing fits).
        decimal: decimal mark. Default ``.``.
        thousands: thousands separator, or ``None``. Default ``None``.
        encoding: text encoding, or ``None`` to follow a byte-order mark (UTF-8
            without one). Default ``None``.

    Returns:
        The :class:`CsvDialect`.

    Raises:
        DataError: when the start of the file is not text in the encoding.
    """
    with Path(path).open("rb") as handle:
        head = handle.read(_SAMPLE_BYTES)
    encoding = encoding or _bom_encoding(head) or "utf-8"
    if sep is not None:
        return CsvDialect(sep, decimal, thousands, encoding, sniffed=False)
    try:
        sample = codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: byte {exc.start} is not {encoding} text; set data.csv.encoding (e.g. cp1252 or latin-1)"
        ) from None
    return CsvDialect(_sniff_separator(sample), decimal, thousands, encoding, sniffed=True)


def read_csv(path: str | Path, dialect: CsvDialect) -> pd.DataFrame:
    """Read a CSV file in ``dialect``, refusing numbers the dialect leaves as text.

    Args:
        path: the CSV file.
        dialect: how it is written (see :func:`sniff_dialect`).

    Returns:
        The raw frame, columns as stored.

    Raises:
        DataError: when the file is empty, not text in the encoding, splits
            into one column although another separator fits, or holds numbers
            written with a decimal mark or thousands separator the dialect
            does not name (each message names the ``data.csv`` setting).
    """
    try:
        frame = pd.read_csv(
            path, sep=dialect.sep, decimal=dialect.decimal, thousands=dialect.thousands, encoding=dialect.encoding
        )
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: the file is empty; expected a header row and data rows") from None
    except UnicodeDecodeError as exc:
        raise DataError(
            f"{path}: byte {exc.start} is not {dialect.encoding} text; set data.csv.encoding (e.g. cp1252 or latin-1)"
        ) from None
    except pd.errors.ParserError as exc:
        first_line = str(exc).strip().splitlines()[0]
        raise DataError(
            f"{path}: cannot read as CSV separated by {dialect.sep!r}: {first_line}; check data.csv.sep"
        ) from None
    _check_separator(frame, path, dialect)
    _check_numbers(frame, path, dialect)
    return frame


def _bom_encoding(head: bytes) -> str | None:
    return next((name for mark, name in _BYTE_ORDER_MARKS if head.startswith(mark)), None)


def _sniff_separator(sample: str) -> str:
    """The separator :class:`csv.Sniffer` finds among :data:`SEPARATORS` in whole lines, else ``,``."""
    lines = sample.splitlines()[:-1] or sample.splitlines()
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=SEPARATORS).delimiter
    except csv.Error:
        return ","


def _check_separator(frame: pd.DataFrame, path, dialect: CsvDialect) -> None:
    """Refuse a one-column read when the header splits on another separator."""
    if frame.shape[1] != 1:
        return
    header = str(frame.columns[0])
    others = [sep for sep in SEPARATORS if sep != dialect.sep and sep in header]
    if others:
        raise DataError(
            f"{path}: read with separator {dialect.sep!r} the file has one column {header!r}; it looks "
            f"{others[0]!r}-separated: set data.csv.sep: {others[0]!r} (or leave it unset to sniff it)"
        )


def _check_numbers(frame: pd.DataFrame, path, dialect: CsvDialect) -> None:
    """Refuse text columns whose every cell is a number in another dialect, naming the setting that reads it."""
    patterns = []
    if dialect.decimal != ",":
        patterns.append((_DECIMAL_COMMA, "a decimal comma", "set data.csv.decimal: ','"))
    if dialect.thousands != ",":
        patterns.append((_THOUSANDS_COMMA, "thousands commas", "set data.csv.thousands: ','"))
    for name in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[name]) or pd.api.types.is_datetime64_any_dtype(frame[name]):
            continue
        cells = frame[name].dropna().astype(str)
        for pattern, what, fix in patterns:
            # The first cells rule most columns out before the whole column is matched.
            if (
                len(cells)
                and cells.head(_SAMPLE_CELLS).str.fullmatch(pattern).all()
                and cells.str.fullmatch(pattern).all()
            ):
                raise DataError(f"{path}: column '{name}' holds numbers written with {what} ({cells.iloc[0]!r}); {fix}")
