"""The scan store on SQLite and PostgreSQL: schema versions and upgrades, bulk writes, locks, event queries."""

import pandas as pd
import pytest
from sqlalchemy import event, text
from sqlalchemy.schema import CreateTable

from forecaster.errors import StoreBusyError, StoreError
from forecaster.store import ScanStore, schema
from forecaster.store import store as store_module
from forecaster.store.store import SCORE_COLUMNS


def points(n, start="2024-01-01"):
    times = pd.date_range(start, periods=n, freq="5min")
    return pd.DataFrame(
        {
            "time": times,
            "error": [float("nan")] + [0.5] * (n - 1),
            "threshold": 1.0,
            "likelihood": 0.5,
            "log_likelihood": 0.0,
            "source": "detector",
            "flag": [False] * (n - 1) + [True],
            "alarm": 0.0,
        }
    )


def event_row(series, start, end, severity=2.0, state="open"):
    return {
        "series": series,
        "start": start,
        "end": end,
        "peak": end,
        "peak_score": 2.0,
        "severity": severity,
        "n_points": 2,
        "features": "value",
        "state": state,
    }


def test_a_new_store_gets_every_table_and_the_current_version(store_url):
    store = ScanStore(store_url)
    with store.engine.connect() as connection:
        assert schema.stored_version(connection) == schema.SCHEMA_VERSION
    for name in schema.TABLES:
        assert store.read_table(name).empty
    store.close()


def test_scores_go_in_with_one_bulk_statement_and_one_transaction_per_series(store_url, monkeypatch):
    store = ScanStore(store_url)
    scan_id = store.begin_scan("hash", "run", "data.csv")
    statements, bulk_writes = [], []
    event.listen(
        store.engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, params, context, executemany: statements.append(statement),
    )
    monkeypatch.setattr(
        store_module,
        "_insert_scores",
        lambda *args, _insert=store_module._insert_scores: (bulk_writes.append(1), _insert(*args)),
    )
    new_events = [event_row("a", f"2024-01-01 0{hour}:00", f"2024-01-01 0{hour}:05") for hour in (3, 1, 2)]
    store.write_series(scan_id, "a", points(1000), new_events, [], pd.Timestamp("2024-01-04 11:15"), b"context")
    assert bulk_writes == [1], "one bulk write per series"
    assert not [statement for statement in statements if "INSERT INTO scores" in statement], "no per-row inserts"
    assert len([statement for statement in statements if "INSERT INTO events" in statement]) == 1, (
        "events in one statement"
    )
    assert store.list_events()["start"].dt.hour.tolist() == [1, 2, 3]
    scores = store.read_table("scores")
    assert len(scores) == 1000 and scores["error"].isna().sum() == 1 and scores["flag"].sum() == 1
    assert list(store.read_watermarks(["a", "b"])) == ["a"]
    store.close()


def test_updated_events_are_found_by_series_and_start_and_filters_apply(store_url):
    store = ScanStore(store_url)
    first = store.begin_scan("hash", "run", "data.csv")
    store.write_series(
        first,
        "a",
        points(3),
        [event_row("a", "2024-01-01 00:05", "2024-01-01 00:10")],
        [],
        pd.Timestamp("2024-01-01 00:10"),
        b"x",
    )
    store.write_series(
        first,
        "b",
        points(3),
        [event_row("b", "2024-01-01 00:00", "2024-01-01 00:10", 5.0, "closed")],
        [],
        pd.Timestamp("2024-01-01 00:10"),
        b"x",
    )
    store.finish_scan(first, "finished", {"n_series": 2})
    second = store.begin_scan("hash", "run", "data.csv")
    extended = event_row("a", "2024-01-01 00:05", "2024-01-01 00:20", 3.0, "open")
    store.write_series(
        second, "a", points(2, "2024-01-01 00:15"), [], [extended], pd.Timestamp("2024-01-01 00:20"), b"y"
    )
    store.finish_scan(second, "finished", {"n_series": 1, "updated_events": 1})
    every = store.list_events()
    assert len(every) == 2 and every.loc[every["series"] == "a", "end"].iloc[0] == pd.Timestamp("2024-01-01 00:20")
    assert every.loc[every["series"] == "a", ["first_scan", "last_scan"]].iloc[0].tolist() == [first, second]
    assert store.list_events(series="b")["series"].tolist() == ["b"]
    assert store.list_events(state="open")["series"].tolist() == ["a"]
    assert store.list_events(min_severity=4)["series"].tolist() == ["b"]
    assert store.list_events(since=pd.Timestamp("2024-01-01 00:15"))["series"].tolist() == ["a"]
    assert store.list_events(scan_id=store.last_scan_id())["series"].tolist() == ["a"]
    store.close()


def test_an_event_with_an_id_is_updated_by_it_so_its_start_may_move(store_url):
    """A re-score's match carries the stored event's id: the row moves to the new start, id and first scan kept;
    revised events keep their last scan."""
    store = ScanStore(store_url)
    first = store.begin_scan("hash", "run", "data.csv")
    rows = [
        event_row("a", "2024-01-01 00:05", "2024-01-01 00:10"),
        event_row("a", "2024-01-01 00:30", "2024-01-01 00:40"),
    ]
    store.write_series(first, "a", points(1).iloc[:0], rows, [], pd.Timestamp("2024-01-01 00:40"), b"x")
    ids = store.list_events()["id"].tolist()
    second = store.begin_scan("hash", "run", "data.csv")
    moved = {**event_row("a", "2024-01-01 00:00", "2024-01-01 00:15"), "id": ids[0]}
    revised = {**event_row("a", "2024-01-01 00:35", "2024-01-01 00:40", 9.0), "id": ids[1]}
    store.write_series(
        second, "a", points(1).iloc[:0], [], [moved], pd.Timestamp("2024-01-01 00:40"), b"y", revised_events=(revised,)
    )
    after = store.list_events()
    assert after[["id", "start", "end", "severity", "first_scan", "last_scan"]].values.tolist() == [
        [ids[0], pd.Timestamp("2024-01-01 00:00"), pd.Timestamp("2024-01-01 00:15"), 2.0, first, second],
        [ids[1], pd.Timestamp("2024-01-01 00:35"), pd.Timestamp("2024-01-01 00:40"), 9.0, first, first],
    ]
    store.close()


def test_rescoring_replaces_scores_and_events_from_a_time_and_old_scores_can_be_pruned(store_url):
    store = ScanStore(store_url)
    scan_id = store.begin_scan("hash", "run", "data.csv")
    store.write_series(
        scan_id,
        "a",
        points(12),
        [event_row("a", "2024-01-01 00:40", "2024-01-01 00:50")],
        [],
        pd.Timestamp("2024-01-01 00:55"),
        b"x",
    )
    store.write_series(
        scan_id,
        "a",
        points(4, "2024-01-01 00:30"),
        [],
        [],
        pd.Timestamp("2024-01-01 00:45"),
        b"y",
        replace_from=pd.Timestamp("2024-01-01 00:30"),
        keep_before=pd.Timestamp("2024-01-01 00:10"),
        drop_events=(int(store.list_events()["id"].iloc[0]),),  # the re-score no longer finds it
    )
    scores = store.read_table("scores")
    assert scores["time"].min() == pd.Timestamp("2024-01-01 00:10") and scores["time"].max() == pd.Timestamp(
        "2024-01-01 00:45"
    )
    assert store.list_events().empty
    assert store.read_watermarks(["a"])["a"] == (pd.Timestamp("2024-01-01 00:45"), b"y")
    store.close()


def test_a_store_from_a_newer_version_is_refused(store_url):
    store = ScanStore(store_url)
    with store.engine.begin() as connection:
        connection.execute(schema.store_schema.update().values(version=schema.SCHEMA_VERSION + 1))
    store.close()
    with pytest.raises(StoreError, match=f"schema version {schema.SCHEMA_VERSION + 1}, written by a newer forecaster"):
        ScanStore(store_url)


def test_a_store_from_an_older_version_is_upgraded_keeping_its_rows(store_url, monkeypatch):
    store = ScanStore(store_url)
    scan_id = store.begin_scan("hash", "run", "data.csv")
    store.write_series(scan_id, "a", points(5), [], [], pd.Timestamp("2024-01-01 00:20"), b"x")
    store.close()

    def add_column(connection):
        connection.execute(text("ALTER TABLE scan_runs ADD COLUMN host VARCHAR(64)"))

    monkeypatch.setitem(schema.UPGRADES, schema.SCHEMA_VERSION + 1, add_column)
    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
    upgraded = ScanStore(store_url)
    with upgraded.engine.connect() as connection:
        assert schema.stored_version(connection) == schema.SCHEMA_VERSION
        assert connection.execute(text("SELECT count(*) FROM scan_runs WHERE host IS NULL")).scalar() == 1
    assert len(upgraded.read_table("scores")) == 5
    upgraded.close()


def test_a_database_with_other_tables_is_not_taken_for_a_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'other.db'}"
    store = ScanStore(url)
    with store.engine.begin() as connection:
        connection.execute(text("DROP TABLE store_schema"))
    store.close()
    with pytest.raises(StoreError, match="no store_schema"):
        ScanStore(url)


def test_read_only_opening_refuses_a_missing_store_and_bad_urls_are_one_line_errors(tmp_path):
    with pytest.raises(StoreError, match="no such store file"):
        ScanStore(f"sqlite:///{tmp_path / 'missing.db'}", create=False)
    with pytest.raises(StoreError, match="not a database URL"):
        ScanStore("nonsense://what")
    with pytest.raises(StoreError, match="must be a file"):
        ScanStore("sqlite://")


def test_a_second_lock_waits_then_reports_busy(store_url):
    first, second = ScanStore(store_url), ScanStore(store_url)
    with first.lock(timeout=0):
        with pytest.raises(StoreBusyError, match="scan.lock_timeout") as caught:
            with second.lock(timeout=0.5):
                pass
        assert caught.value.exit_code == 75
    with second.lock(timeout=0):
        pass
    first.close()
    second.close()


def test_begin_scan_marks_scans_left_running_interrupted(store_url):
    store = ScanStore(store_url)
    killed = store.begin_scan("hash", "run", "data.csv")
    store.begin_scan("hash", "run", "data.csv")
    runs = store.read_table("scan_runs")
    assert runs.loc[runs["id"] == killed, "status"].iloc[0] == "interrupted"
    store.close()


def test_score_columns_are_the_stored_ones():
    assert set(SCORE_COLUMNS) <= {column.name for column in schema.scores.columns}


def as_older_version(url, version):
    """Turn a store into one an older forecaster wrote: version 2's tables (no ``scan_runs.removed_events``;
    on SQLite ``events`` without AUTOINCREMENT), version 1's also without ``rows_filled``."""
    store = ScanStore(url)
    with store.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            for index in schema.events.indexes:
                index.drop(connection)
            connection.execute(text("ALTER TABLE events RENAME TO events_now"))
            created = str(CreateTable(schema.events).compile(dialect=connection.dialect))
            connection.execute(text(created.replace(" AUTOINCREMENT", "")))
            for index in schema.events.indexes:
                index.create(connection)
            connection.execute(text("INSERT INTO events SELECT * FROM events_now"))
            connection.execute(text("DROP TABLE events_now"))
        connection.execute(text("ALTER TABLE scan_runs DROP COLUMN removed_events"))
        if version < 2:
            connection.execute(text("ALTER TABLE scan_runs DROP COLUMN rows_filled"))
        connection.execute(schema.store_schema.update().values(version=version))
    store.close()


def sqlite_events_table(url):
    """The SQL of the events tables and their indexes, read without opening the store (which would upgrade it)."""
    engine = store_module._engine(url, create=False)
    with engine.connect() as connection:
        found = connection.execute(text("SELECT sql FROM sqlite_master WHERE tbl_name LIKE 'events%'")).scalars()
        found = [sql for sql in found if sql]
    engine.dispose()
    return found


def test_a_version_1_store_gains_rows_filled_with_zero_for_its_scans(store_url):
    store = ScanStore(store_url)
    scan_id = store.begin_scan("hash", "run", "data.csv")
    store.finish_scan(scan_id, "finished", {"n_series": 1, "rows_scored": 5})
    store.close()
    as_older_version(store_url, 1)
    upgraded = ScanStore(store_url)
    runs = upgraded.read_table("scan_runs")
    assert runs[["rows_scored", "rows_filled"]].values.tolist() == [[5, 0]]
    later = upgraded.begin_scan("hash", "run", "data.csv")
    upgraded.finish_scan(later, "finished", {"rows_filled": 7})
    assert upgraded.read_table("scan_runs")["rows_filled"].tolist() == [0, 7]
    upgraded.close()


def write_events(store, scan_id, starts, drop=()):
    store.write_series(
        scan_id,
        "a",
        points(1).iloc[:0],
        [event_row("a", start, start) for start in starts],
        [],
        pd.Timestamp("2024-01-02"),
        b"x",
        drop_events=drop,
    )


def test_the_id_of_a_removed_event_is_never_given_to_another(store_url):
    store = ScanStore(store_url)
    scan_id = store.begin_scan("hash", "run", "data.csv")
    write_events(store, scan_id, ["2024-01-01 01:00", "2024-01-01 02:00", "2024-01-01 03:00"])
    assert store.list_events()["id"].tolist() == [1, 2, 3]
    write_events(store, scan_id, ["2024-01-01 04:00"], drop=(3,))  # the highest id goes
    assert store.list_events()[["id", "start"]].values.tolist() == [
        [1, pd.Timestamp("2024-01-01 01:00")],
        [2, pd.Timestamp("2024-01-01 02:00")],
        [4, pd.Timestamp("2024-01-01 04:00")],
    ]
    store.close()


def test_a_version_2_store_is_upgraded_keeping_its_events_and_never_gives_an_old_id_again(store_url):
    store = ScanStore(store_url)
    scan_id = store.begin_scan("hash", "run", "data.csv")
    write_events(store, scan_id, ["2024-01-01 01:00", "2024-01-01 02:00", "2024-01-01 03:00"])
    store.finish_scan(scan_id, "finished", {"new_events": 3})
    write_events(store, scan_id, [], drop=(3,))  # an older re-score removed event 3
    before = store.list_events()
    store.close()
    as_older_version(store_url, 2)
    upgraded = ScanStore(store_url)
    with upgraded.engine.connect() as connection:
        assert schema.stored_version(connection) == 3
    pd.testing.assert_frame_equal(upgraded.list_events(), before)
    assert upgraded.read_table("scan_runs")["removed_events"].tolist() == [0]
    write_events(upgraded, scan_id, ["2024-01-01 05:00"])
    assert upgraded.list_events()["id"].tolist() == [1, 2, 4], "id 3 was given out before the upgrade"
    upgraded.close()
    if store_url.startswith("sqlite"):
        tables = sqlite_events_table(store_url)
        assert "AUTOINCREMENT" in tables[0] and len(tables) == 3, "the table and its two indexes, no leftover"


def test_an_upgrade_that_fails_leaves_the_older_store_as_it_was(store_url, monkeypatch):
    store = ScanStore(store_url)
    scan_id = store.begin_scan("hash", "run", "data.csv")
    write_events(store, scan_id, ["2024-01-01 01:00", "2024-01-01 02:00"])
    before = store.list_events()
    store.close()
    as_older_version(store_url, 2)
    older = sqlite_events_table(store_url) if store_url.startswith("sqlite") else None

    def fails_at_the_end(connection, step=schema.UPGRADES[3]):
        step(connection)
        raise RuntimeError("killed")

    monkeypatch.setitem(schema.UPGRADES, 3, fails_at_the_end)
    with pytest.raises(RuntimeError, match="killed"):
        ScanStore(store_url)
    monkeypatch.undo()
    if older is not None:
        assert sqlite_events_table(store_url) == older, "events as version 2 wrote it, no half-built table"
    engine = store_module._engine(store_url, create=False)  # read without opening: opening would upgrade
    with engine.connect() as connection:
        assert schema.stored_version(connection) == 2
        assert "removed_events" not in connection.execute(text("SELECT * FROM scan_runs")).keys()
    engine.dispose()
    upgraded = ScanStore(store_url)
    pd.testing.assert_frame_equal(upgraded.list_events(), before)
    upgraded.close()
