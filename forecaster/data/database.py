"""Reading rows from an SQL database through SQLAlchemy, into the same raw frame a file gives."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine, text
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from forecaster.errors import DataError

MESSAGE_CHARS = 200
"""A database's error message is cut to its first line and this many characters."""


def read_query(
    url: str,
    query: str,
    time_column: str,
    id_column: str | None = None,
    value_columns: Sequence[str] = (),
) -> pd.DataFrame:
    """Run an SQL query on the database at ``url`` and return its rows as they are, for :func:`validate_series`.

    Args:
        url: an SQLAlchemy URL (``data.url``), e.g. ``sqlite:///metrics.db`` or
            ``postgresql+psycopg://user@host/db``.
        query: the ``SELECT`` whose rows are read.
        time_column: the column of timestamps the rows must have (``data.time_column``).
        id_column: the column of series ids they must have, when given (``data.id_column``). Default ``None``.
        value_columns: value columns they must have (``data.target_columns``). Default none.

    Returns:
        The rows, one column per column of the query's result, as the database's driver typed them.

    Raises:
        DataError: for a URL SQLAlchemy cannot use (or whose driver is not
            installed), an SQLite file that does not exist, a query the database refuses (its message, first line,
            shortened), a result without rows, or one without a required column
            (naming those missing and listing those returned). The URL in
            messages hides its password.
    """
    try:
        engine = create_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        raise DataError(
            f"data.url: not a database URL SQLAlchemy can use ({first_line(exc)}); write e.g. "
            "sqlite:///metrics.db or postgresql+psycopg://user@host/db"
        ) from None
    shown = engine.url.render_as_string()
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database not in (None, "", ":memory:") and not Path(database).is_file():
        engine.dispose()  # connecting would create an empty database file at a mistyped path
        raise DataError(f"data.url {shown}: no such SQLite file ({Path(database).resolve()}); check the path")
    try:
        with engine.connect() as connection:
            raw = pd.read_sql_query(text(query), connection)
    except (SQLAlchemyError, pd.errors.DatabaseError) as exc:
        cause = exc if isinstance(exc, SQLAlchemyError) else exc.__cause__ or exc
        raise DataError(f"query on {shown}: {first_line(cause)}") from None
    finally:
        engine.dispose()
    required = {
        "data.time_column": time_column,
        "data.id_column": id_column,
        **{f"data.target_columns[{k}]": name for k, name in enumerate(value_columns)},
    }
    missing = [f"'{name}' ({key})" for key, name in required.items() if name is not None and name not in raw.columns]
    if missing:
        raise DataError(
            f"query on {shown}: no column {', '.join(missing)} in its result; it returned columns "
            f"{', '.join(map(str, raw.columns))}; name them in the SELECT (e.g. SELECT ts AS {time_column})"
        )
    if raw.empty:
        raise DataError(f"query on {shown}: the query returned no rows")
    return raw


def first_line(exc: BaseException, max_chars: int | None = MESSAGE_CHARS) -> str:
    """The first line of an exception's message (a database driver's own, under SQLAlchemy's wrapper).

    Args:
        exc: the exception; SQLAlchemy's ``DBAPIError`` is read through its ``orig``.
        max_chars: cut the line to this many characters; ``None`` keeps it whole. Default :data:`MESSAGE_CHARS`.

    Returns:
        The line, or the exception's type name when it has no message.
    """
    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    line = lines[0] if lines else type(exc).__name__
    return line if max_chars is None or len(line) <= max_chars else line[: max_chars - 3] + "..."
