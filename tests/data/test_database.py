"""Rows of an SQL query through SQLAlchemy: the same raw frame and validation as a file, one-line errors."""

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine

from forecaster.config import DataConfig
from forecaster.data import validate_series
from forecaster.data.database import MESSAGE_CHARS, read_query
from forecaster.errors import DataError

ROWS = pd.DataFrame(
    {
        "ts": pd.date_range("2024-01-01", periods=6, freq="h").repeat(2),
        "host": ["a", "b"] * 6,
        "cpu": np.arange(12, dtype=float),
    }
)


@pytest.fixture
def database(store_url):
    """A database holding ``ROWS`` in table ``metrics``: an SQLite file, or a new database on the throwaway server."""
    engine = create_engine(store_url)
    ROWS.to_sql("metrics", engine, index=False)
    engine.dispose()
    return store_url


def test_the_rows_of_a_query_validate_as_the_same_rows_from_a_file(database):
    raw = read_query(database, "SELECT ts, host, cpu FROM metrics ORDER BY host, ts", "ts", "host", ["cpu"])
    config = DataConfig(time_column="ts", id_column="host", target_columns=["cpu"])
    from_query, _ = validate_series(raw, config, source="query")
    from_frame, _ = validate_series(ROWS, config, source="frame")
    assert from_query.series_ids == ("a", "b") and from_query.frequency == "h"
    pd.testing.assert_frame_equal(from_query.frame, from_frame.frame)


def test_a_failed_query_is_one_line_with_the_databases_message(database):
    with pytest.raises(DataError, match=r"query on \w+.*(no such table|does not exist)") as caught:
        read_query(database, "SELECT * FROM missing_table", "ts")
    assert "\n" not in str(caught.value) and len(str(caught.value)) < MESSAGE_CHARS + 120


def test_missing_columns_are_named_with_what_the_query_returned(database):
    with pytest.raises(DataError) as caught:
        read_query(database, "SELECT ts AS time, cpu FROM metrics", "ts", "host", ["cpu", "mem"])
    message = str(caught.value)
    assert "'ts' (data.time_column)" in message and "'host' (data.id_column)" in message and "'mem'" in message
    assert "'cpu'" not in message.split("returned")[0] and "returned columns time, cpu" in message


def test_an_empty_result_is_refused(database):
    with pytest.raises(DataError, match="returned no rows"):
        read_query(database, "SELECT ts, host, cpu FROM metrics WHERE cpu < 0", "ts", "host")


def test_a_bad_url_is_one_line_naming_data_url_and_hiding_the_password(tmp_path):
    with pytest.raises(DataError, match="data.url: not a database URL"):
        read_query("nosuchdialect://user:secret@host/db", "SELECT 1", "ts")
    with pytest.raises(DataError) as caught:
        read_query("postgresql+psycopg://user:secret@127.0.0.1:1/db", "SELECT 1", "ts")
    assert "secret" not in str(caught.value) and "\n" not in str(caught.value)


def test_a_mistyped_sqlite_path_is_named_and_no_empty_file_is_left(tmp_path):
    missing = tmp_path / "metrcs.db"
    with pytest.raises(DataError, match=r"data.url sqlite:///.*metrcs.db: no such SQLite file .*; check the path"):
        read_query(f"sqlite:///{missing}", "SELECT 1", "date")
    assert not missing.exists()
