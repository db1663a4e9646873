"""The scan store's tables, its schema version and the upgrades between versions.

Tables (SQLAlchemy Core, so the same definitions serve SQLite and PostgreSQL):

- ``store_schema``: one row, the schema ``version`` the store was written with;
- ``scan_runs``: one row per scan: when, how it ended, what it scored and found;
- ``watermarks``: per series, the last timestamp scored, the scan that scored it
  and the compact context (last rows, signal tails, event persistence) the next
  scan continues from;
- ``scores``: one row per scored point;
- ``events``: one row per event, ``open`` until its series is quiet for
  ``anomaly.events.close_after``; an id is never given to another event, also
  after its event is removed (SQLite ``AUTOINCREMENT``, a PostgreSQL sequence).

Times are stored naive: in UTC when the data has a time zone, else as in the data.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    inspect,
    select,
    text,
)

SCHEMA_VERSION = 3

metadata = MetaData()

store_schema = Table(
    "store_schema",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
)

scan_runs = Table(
    "scan_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("started", DateTime, nullable=False),
    Column("finished", DateTime),
    Column("status", String(16), nullable=False),
    Column("config_hash", String(64), nullable=False),
    Column("detector_run", Text, nullable=False),
    Column("data_source", Text),
    Column("n_series", Integer, nullable=False, default=0),
    Column("rows_scored", Integer, nullable=False, default=0),
    Column("new_events", Integer, nullable=False, default=0),
    Column("updated_events", Integer, nullable=False, default=0),
    Column("removed_events", Integer, nullable=False, default=0, server_default="0"),
    Column("late_rows", Integer, nullable=False, default=0),
    Column("rows_filled", Integer, nullable=False, default=0, server_default="0"),
    Column("skipped", Text),
    Column("notes", Text),
)

watermarks = Table(
    "watermarks",
    metadata,
    Column("series", String(255), primary_key=True),
    Column("last_time", DateTime, nullable=False),
    Column("scan_id", Integer, ForeignKey("scan_runs.id"), nullable=False),
    Column("context", LargeBinary, nullable=False),
)

scores = Table(
    "scores",
    metadata,
    Column("series", String(255), primary_key=True),
    Column("time", DateTime, primary_key=True),
    Column("scan_id", Integer, nullable=False),  # no foreign key: a per-row check would cost a trigger call per score
    Column("error", Float),
    Column("threshold", Float),
    Column("likelihood", Float, nullable=False),
    Column("log_likelihood", Float, nullable=False),
    Column("source", String(64), nullable=False),
    Column("flag", Boolean, nullable=False),
    Column("alarm", Float, nullable=False),
    # SQLite keeps the rows in the primary key's B-tree instead of a rowid table plus an index: one tree to write per row
    sqlite_with_rowid=False,
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("series", String(255), nullable=False),
    Column("start", DateTime, nullable=False),
    Column("end", DateTime, nullable=False),
    Column("peak", DateTime, nullable=False),
    Column("peak_score", Float, nullable=False),
    Column("severity", Float, nullable=False),
    Column("n_points", Integer, nullable=False),
    Column("features", Text, nullable=False),
    Column("state", String(8), nullable=False),
    Column("first_scan", Integer, ForeignKey("scan_runs.id"), nullable=False),
    Column("last_scan", Integer, ForeignKey("scan_runs.id"), nullable=False),
    UniqueConstraint("series", "start", name="uq_events_series_start"),
    Index("ix_events_series_end", "series", "end"),
    Index("ix_events_last_scan", "last_scan"),
    # without AUTOINCREMENT SQLite gives a new row the highest id plus one: a removed last event's id would come back
    sqlite_autoincrement=True,
)

TABLES = ("scan_runs", "watermarks", "scores", "events")


def _add_rows_filled(connection: Connection) -> None:
    """Version 2: ``scan_runs.rows_filled``, the rows a scan scored that the data did not hold (0 for older scans)."""
    connection.execute(text("ALTER TABLE scan_runs ADD COLUMN rows_filled INTEGER NOT NULL DEFAULT 0"))


def _add_removed_events_and_keep_event_ids(connection: Connection) -> None:
    """Version 3: ``scan_runs.removed_events`` (0 for older scans), and event ids never given out twice.

    On SQLite ``events`` is rebuilt with ``AUTOINCREMENT``, every row and id
    kept. Before it, SQLite gave a new event the highest id in the table plus
    one, so ids of events removed from the top came back; no id it gave out
    exceeds the number of events inserted, which the scans recorded as
    ``new_events``, so the ids go on after that number (or after the highest
    id, if higher: events committed by a scan that then failed were not
    counted). PostgreSQL's sequence never gave an id out twice.
    """
    connection.execute(text("ALTER TABLE scan_runs ADD COLUMN removed_events INTEGER NOT NULL DEFAULT 0"))
    if connection.dialect.name != "sqlite":
        return
    for index in events.indexes:  # index names are the database's, not the table's: free them for the new table
        connection.execute(text(f"DROP INDEX {index.name}"))
    connection.execute(text("ALTER TABLE events RENAME TO events_version_2"))
    events.create(connection)
    columns = ", ".join(f'"{column.name}"' for column in events.columns)
    connection.execute(text(f"INSERT INTO events ({columns}) SELECT {columns} FROM events_version_2"))
    connection.execute(text("DROP TABLE events_version_2"))
    inserted = connection.execute(select(func.sum(scan_runs.c.new_events))).scalar() or 0
    highest = connection.execute(select(func.max(events.c.id))).scalar() or 0
    connection.execute(text("DELETE FROM sqlite_sequence WHERE name = 'events'"))
    connection.execute(
        text("INSERT INTO sqlite_sequence (name, seq) VALUES ('events', :seq)"), {"seq": max(inserted, highest)}
    )


UPGRADES: dict[int, Callable[[Connection], None]] = {2: _add_rows_filled, 3: _add_removed_events_and_keep_event_ids}
"""``{version: step}``: the step that brings a store at ``version - 1`` to ``version`` (an empty store gets the
current tables at once)."""


def stored_version(connection: Connection) -> int | None:
    """Return the schema version a store was written with.

    Args:
        connection: an open connection to the store.

    Returns:
        The version; 0 for an empty database; ``None`` when the database holds
        tables but no ``store_schema`` (not a scan store).
    """
    names = set(inspect(connection).get_table_names())
    if "store_schema" not in names:
        return 0 if not names & set(TABLES) else None
    version = connection.execute(select(store_schema.c.version).where(store_schema.c.id == 1)).scalar()
    return 0 if version is None else int(version)


def upgrade(connection: Connection, current: int, target: int = SCHEMA_VERSION) -> None:
    """Bring a store from ``current`` to ``target`` and record the new version, in the caller's transaction.

    On SQLite the caller opens that transaction itself (``BEGIN IMMEDIATE``):
    the Python driver opens none before DDL, so each step would commit on its own.

    An empty store (``current`` 0) gets the current tables at once; an older
    one the :data:`UPGRADES` steps after its version, in order.

    Args:
        connection: a connection inside a transaction.
        current: the store's version (0 for an empty store).
        target: the version to reach. Default :data:`SCHEMA_VERSION`.
    """
    store_schema.create(connection, checkfirst=True)
    if current == 0:
        metadata.create_all(connection, tables=[metadata.tables[name] for name in TABLES])
        connection.execute(store_schema.insert().values(id=1, version=target))
    else:
        for version in range(current + 1, target + 1):
            UPGRADES[version](connection)
        connection.execute(store_schema.update().where(store_schema.c.id == 1).values(version=target))
