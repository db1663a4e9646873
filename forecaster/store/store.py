"""The scan store: one SQLAlchemy database (SQLite or PostgreSQL) holding scan runs, watermarks, scores and events.

:class:`ScanStore` is the only code that writes SQL. It creates the tables on
first use and upgrades a store written by an older version; a store written by
a newer version is refused. Everything one series' scan produces (scores,
new and extended events, the new watermark and context) is written in one
transaction by :meth:`ScanStore.write_series`, so a scan killed at any moment
leaves every series either fully scanned or untouched. Scores go in with one
bulk statement per series, never a statement per row: ``COPY`` on PostgreSQL,
one ``executemany`` of plain tuples on SQLite (into a table without rowid:
one B-tree per row written, not two), SQLAlchemy's ``executemany`` elsewhere;
new events with one ``executemany``. :meth:`ScanStore.lock`
keeps two scans off one store: an OS file lock next to an SQLite file, a
session advisory lock on PostgreSQL; both vanish with the process that held
them, so a killed scan never leaves a stale lock.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, create_engine, delete, event, func, select, update
from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError, OperationalError

from forecaster.data.database import first_line
from forecaster.errors import StoreBusyError, StoreError
from forecaster.store import schema
from forecaster.store.schema import events, scan_runs, scores, watermarks

logger = logging.getLogger(__name__)

ADVISORY_LOCK_KEY = 0x5CA5_0001
"""PostgreSQL advisory lock key held by a running scan."""

SCORE_COLUMNS = ("error", "threshold", "likelihood", "log_likelihood", "source", "flag", "alarm")
EVENT_COLUMNS = ("series", "start", "end", "peak", "peak_score", "severity", "n_points", "features", "state")


class ScanStore:
    """A scan store at an SQLAlchemy URL, created or upgraded on open.

    Args:
        url: SQLAlchemy database URL, e.g. ``sqlite:///reports/scans.db``
            (relative to the working directory) or
            ``postgresql+psycopg://user@host:5432/db``.
        create: create the tables of an empty store (``False`` refuses an
            empty or missing store instead, for read-only commands). Default ``True``.

    Raises:
        StoreError: for a URL SQLAlchemy cannot use, a database it cannot
            reach, a database that is not a scan store, or a store written by a
            newer version of forecaster; for an SQLite URL naming a file that is
            not an SQLite database (the file is left untouched).
    """

    def __init__(self, url: str, create: bool = True) -> None:
        self.url = url
        self.engine = _engine(url, create)
        try:
            with self.engine.begin() as connection:
                version = _checked_version(connection, url, create)
                if version < schema.SCHEMA_VERSION and self.engine.dialect.name == "sqlite":
                    # the driver opens no transaction before DDL: open one, so an upgrade is all or nothing,
                    # and read the version again inside it, as another process may have upgraded the store
                    connection.exec_driver_sql("BEGIN IMMEDIATE")
                    version = _checked_version(connection, url, create)
                if version < schema.SCHEMA_VERSION:
                    if version == 0:
                        logger.info("store %s: new store created (schema version %d)", url, schema.SCHEMA_VERSION)
                    else:
                        logger.info(
                            "store %s: schema upgraded from version %d to %d", url, version, schema.SCHEMA_VERSION
                        )
                    schema.upgrade(connection, version, schema.SCHEMA_VERSION)
        except OperationalError as exc:
            raise StoreError(f"{url}: cannot open the store ({first_line(exc, max_chars=None)})") from None
        except DatabaseError as exc:
            if getattr(exc.orig, "sqlite_errorcode", None) != sqlite3.SQLITE_NOTADB:
                raise
            raise StoreError(
                f"{url}: not an SQLite database; point --store (store.url) at a scan store or a new file"
            ) from None

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

    @contextlib.contextmanager
    def lock(self, timeout: float) -> Iterator[None]:
        """Hold the store's scan lock for the ``with`` block, waiting up to ``timeout`` seconds for it.

        Args:
            timeout: seconds to wait while another scan holds the lock.

        Raises:
            StoreBusyError: when the lock is still held after ``timeout`` seconds.
        """
        dialect = self.engine.dialect.name
        if dialect == "sqlite":
            with _file_lock(_sqlite_lock_path(self.engine), timeout, self.url):
                yield
        elif dialect == "postgresql":
            with self.engine.connect() as connection:
                _wait_for(
                    lambda: connection.execute(select(func.pg_try_advisory_lock(ADVISORY_LOCK_KEY))).scalar(),
                    timeout,
                    self.url,
                )
                connection.commit()
                try:
                    yield
                finally:
                    connection.execute(select(func.pg_advisory_unlock(ADVISORY_LOCK_KEY)))
                    connection.commit()
        else:
            logger.warning("store %s: no scan lock for the %s dialect; do not run two scans at once", self.url, dialect)
            yield

    def begin_scan(self, config_hash: str, detector_run: str, data_source: str) -> int:
        """Record a starting scan; mark scans left ``running`` by a killed process ``interrupted``.

        Call it while holding :meth:`lock`.

        Args:
            config_hash: hash of the scoring settings.
            detector_run: the detection run folder (the scan job passes it resolved: absolute, links followed).
            data_source: file, folder or query the scan reads.

        Returns:
            The new scan's id.
        """
        with self.engine.begin() as connection:
            connection.execute(update(scan_runs).where(scan_runs.c.status == "running").values(status="interrupted"))
            return int(
                connection.execute(
                    scan_runs.insert().values(
                        started=_now(),
                        status="running",
                        config_hash=config_hash,
                        detector_run=detector_run,
                        data_source=data_source,
                    )
                ).inserted_primary_key[0]
            )

    def finish_scan(self, scan_id: int, status: str, summary: dict) -> None:
        """Record how a scan ended.

        Args:
            scan_id: from :meth:`begin_scan`.
            status: ``finished`` or ``failed``.
            summary: ``n_series``, ``rows_scored``, ``new_events``, ``updated_events``, ``removed_events``,
                ``late_rows``, ``rows_filled`` (counts), ``skipped`` (``{series: reason}``) and ``notes`` (list of lines).
        """
        values = {
            key: int(summary.get(key, 0))
            for key in (
                "n_series",
                "rows_scored",
                "new_events",
                "updated_events",
                "removed_events",
                "late_rows",
                "rows_filled",
            )
        }
        with self.engine.begin() as connection:
            connection.execute(
                update(scan_runs)
                .where(scan_runs.c.id == scan_id)
                .values(
                    finished=_now(),
                    status=status,
                    skipped=json.dumps(summary.get("skipped", {})),
                    notes="\n".join(summary.get("notes", [])),
                    **values,
                )
            )

    def read_watermarks(self, series: list[str]) -> dict[str, tuple[pd.Timestamp, bytes]]:
        """Return the watermark and context of each series that has one.

        Args:
            series: series ids.

        Returns:
            ``{series: (last_time, context)}``; series never scanned are absent.
        """
        found = {}
        with self.engine.connect() as connection:
            for chunk in _chunks(series):
                query = select(watermarks.c.series, watermarks.c.last_time, watermarks.c.context).where(
                    watermarks.c.series.in_(chunk)
                )
                for name, last_time, context in connection.execute(query):
                    found[name] = (pd.Timestamp(last_time), bytes(context))
        return found

    def count_scores(self, series: str, start: pd.Timestamp, end: pd.Timestamp) -> int:
        """Return how many points of ``series`` are scored from ``start`` to ``end`` (both included).

        Args:
            series: a series id.
            start: first time (naive, as stored).
            end: last time.

        Returns:
            The count.
        """
        query = (
            select(func.count())
            .select_from(scores)
            .where(
                scores.c.series == series, scores.c.time >= start.to_pydatetime(), scores.c.time <= end.to_pydatetime()
            )
        )
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar())

    def stored_times(self, series: str, start: pd.Timestamp, end: pd.Timestamp) -> pd.DatetimeIndex:
        """Return the scored timestamps of ``series`` from ``start`` to ``end`` (both included).

        Args:
            series: a series id.
            start: first time (naive, as stored).
            end: last time.

        Returns:
            The sorted timestamps.
        """
        query = (
            select(scores.c.time)
            .where(
                scores.c.series == series, scores.c.time >= start.to_pydatetime(), scores.c.time <= end.to_pydatetime()
            )
            .order_by(scores.c.time)
        )
        with self.engine.connect() as connection:
            return pd.DatetimeIndex([row[0] for row in connection.execute(query)], name="time")

    def write_series(
        self,
        scan_id: int,
        series: str,
        points: pd.DataFrame,
        new_events: list[dict],
        updated_events: list[dict],
        last_time: pd.Timestamp,
        context: bytes,
        replace_from: pd.Timestamp | None = None,
        keep_before: pd.Timestamp | None = None,
        drop_events: tuple[int, ...] = (),
        revised_events: tuple[dict, ...] = (),
    ) -> list[int]:
        """Write one series' scan in one transaction: scores, events, watermark and context.

        Args:
            scan_id: the scan writing.
            series: the series id.
            points: one row per scored point: ``time`` (naive) and :data:`SCORE_COLUMNS`.
            new_events: events to insert, dicts with :data:`EVENT_COLUMNS`.
            updated_events: events to update, the same dicts; their ``last_scan`` becomes ``scan_id``. An
                event is found by its ``id`` when the dict has one (a re-score's match, whose start may
                have moved), else by series and start (an incremental scan's open event, whose start stays).
            last_time: the new watermark.
            context: the new context bytes.
            replace_from: first delete the series' scores at or after this time (``--rescore-from``).
                Default ``None``.
            keep_before: delete the series' scores before this time (``store.keep_scores``). Default ``None``.
            drop_events: ids of the series' stored events to delete first (events a
                re-score no longer finds). Default none.
            revised_events: events a re-score found with other scores but nothing to alert on
                again: updated as ``updated_events``, their ``last_scan`` kept. Default none.

        Returns:
            The store's ids of ``new_events`` then ``updated_events``, in order: an event's own ``id`` when
            it has one, else the id of the series' event at its start, read with one query after the insert.
        """
        with self.engine.begin() as connection:
            if replace_from is not None:
                start = replace_from.to_pydatetime()
                connection.execute(delete(scores).where(scores.c.series == series, scores.c.time >= start))
            if drop_events:
                ids = [int(event_id) for event_id in drop_events]
                connection.execute(delete(events).where(events.c.series == series, events.c.id.in_(ids)))
            if keep_before is not None:
                connection.execute(
                    delete(scores).where(scores.c.series == series, scores.c.time < keep_before.to_pydatetime())
                )
            if not points.empty:
                _insert_scores(connection, points, series, scan_id)
            for rows, touched in ((updated_events, {"last_scan": scan_id}), (revised_events, {})):
                for row in rows:
                    values = _event_values(row)
                    found = events.c.id == int(row["id"]) if "id" in row else events.c.start == values["start"]
                    connection.execute(
                        update(events).where(events.c.series == series, found).values(**touched, **values)
                    )
            if new_events:
                connection.execute(
                    events.insert(),
                    [{"first_scan": scan_id, "last_scan": scan_id, **_event_values(row)} for row in new_events],
                )
            mark = {"last_time": last_time.to_pydatetime(), "scan_id": scan_id, "context": context}
            if not connection.execute(update(watermarks).where(watermarks.c.series == series).values(**mark)).rowcount:
                connection.execute(watermarks.insert().values(series=series, **mark))
            return _event_ids(connection, series, [*new_events, *updated_events])

    def last_scan_id(self) -> int | None:
        """Return the id of the last scan that finished, or ``None``."""
        with self.engine.connect() as connection:
            return connection.execute(select(func.max(scan_runs.c.id)).where(scan_runs.c.status == "finished")).scalar()

    def list_events(
        self,
        series: str | None = None,
        since: pd.Timestamp | None = None,
        state: str | None = None,
        min_severity: float | None = None,
        scan_id: int | None = None,
    ) -> pd.DataFrame:
        """Return the stored events that pass every filter given, by start time.

        Args:
            series: only this series.
            since: only events that end at or after this time.
            state: only ``open`` or ``closed`` events.
            min_severity: only events at least this severe.
            scan_id: only events this scan opened, extended or closed (its ``last_scan``).

        Returns:
            One row per event: ``id``, :data:`EVENT_COLUMNS`, ``first_scan``, ``last_scan``.
        """
        query = select(events)
        if series is not None:
            query = query.where(events.c.series == series)
        if since is not None:
            query = query.where(events.c.end >= since.to_pydatetime())
        if state is not None:
            query = query.where(events.c.state == state)
        if min_severity is not None:
            query = query.where(events.c.severity >= min_severity)
        if scan_id is not None:
            query = query.where(events.c.last_scan == scan_id)
        with self.engine.connect() as connection:
            frame = pd.DataFrame(
                connection.execute(query.order_by(events.c.start, events.c.id)).mappings().all(),
                columns=[column.name for column in events.columns],
            )
        for column in ("start", "end", "peak"):
            frame[column] = pd.to_datetime(frame[column])
        return frame

    def read_table(self, name: str) -> pd.DataFrame:
        """Return a whole table (for reports and tests), rows in primary-key order.

        Args:
            name: one of ``scan_runs``, ``watermarks``, ``scores``, ``events``.

        Returns:
            The table as a frame.
        """
        table = schema.metadata.tables[name]
        with self.engine.connect() as connection:
            rows = connection.execute(select(table).order_by(*table.primary_key.columns)).mappings().all()
        return pd.DataFrame(rows, columns=[column.name for column in table.columns])

    def read_scores(self, series: list[str], start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Return the stored scores of some series between two times (both included), by series and time.

        Args:
            series: series ids.
            start: first time.
            end: last time.

        Returns:
            ``series``, ``time`` and :data:`SCORE_COLUMNS`.
        """
        query = (
            select(scores.c.series, scores.c.time, *(scores.c[name] for name in SCORE_COLUMNS))
            .where(
                scores.c.series.in_(series),
                scores.c.time >= start.to_pydatetime(),
                scores.c.time <= end.to_pydatetime(),
            )
            .order_by(scores.c.series, scores.c.time)
        )
        with self.engine.connect() as connection:
            frame = pd.DataFrame(connection.execute(query).mappings().all(), columns=["series", "time", *SCORE_COLUMNS])
        frame["time"] = pd.to_datetime(frame["time"])
        return frame


def _checked_version(connection: Connection, url: str, create: bool) -> int:
    """The store's schema version; raises :class:`StoreError` for a database that is no store, a newer store,
    or an empty one when ``create`` is false."""
    version = schema.stored_version(connection)
    if version is None:
        raise StoreError(
            f"{url}: this database holds other tables but no store_schema; point store.url at a scan store or an empty database"
        )
    if version > schema.SCHEMA_VERSION:
        raise StoreError(
            f"{url}: the store has schema version {version}, written by a newer forecaster (this one "
            f"reads version {schema.SCHEMA_VERSION}); upgrade forecaster or use another store.url"
        )
    if version == 0 and not create:
        raise StoreError(f"{url}: no scans stored here yet; run forecaster scan first or check --store")
    return version


def utc_naive(times: pd.Timestamp | pd.DatetimeIndex) -> pd.Timestamp | pd.DatetimeIndex:
    """Return a zoned timestamp or index as naive UTC, and a naive one unchanged: the store keeps naive times.

    Args:
        times: a :class:`pandas.Timestamp` or :class:`pandas.DatetimeIndex`.

    Returns:
        The same kind of object, naive.
    """
    return times.tz_convert("UTC").tz_localize(None) if times.tz is not None else times


def _engine(url: str, create: bool) -> Engine:
    """An engine for ``url``; an SQLite file's folder is created (when ``create``), WAL journaling on."""
    try:
        engine = create_engine(url)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError) as exc:
        raise StoreError(
            f"{url}: not a database URL SQLAlchemy can use ({first_line(exc, max_chars=None)}); write e.g. sqlite:///reports/scans.db "
            "or postgresql+psycopg://user@host/db"
        ) from None
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if not database or database == ":memory:":
            raise StoreError(f"{url}: an SQLite store must be a file, e.g. sqlite:///reports/scans.db")
        if create:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        elif not Path(database).is_file():
            raise StoreError(f"{url}: no such store file; run forecaster scan first or check --store")

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection, _record) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(
                "PRAGMA synchronous=NORMAL"
            )  # in WAL mode: safe against a killed process, fsync per checkpoint
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    return engine


def _sqlite_lock_path(engine: Engine) -> Path:
    return Path(str(engine.url.database) + ".lock")


@contextlib.contextmanager
def _file_lock(path: Path, timeout: float, url: str) -> Iterator[None]:
    """An exclusive ``flock`` on ``path``, released by the OS when the process ends however it ends."""
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:

        def attempt() -> bool:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False

        _wait_for(attempt, timeout, url)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def _wait_for(attempt, timeout: float, url: str) -> None:
    """Call ``attempt`` until it returns true, for up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not attempt():
        if time.monotonic() >= deadline:
            raise StoreBusyError(
                f"{url}: another scan holds the store's lock after {timeout:g} s (scan.lock_timeout); "
                "try again later or raise scan.lock_timeout"
            )
        time.sleep(0.2)


def _insert_scores(connection: Connection, points: pd.DataFrame, series: str, scan_id: int) -> None:
    """Insert one series' scores with one bulk statement of the connection's driver, in its open transaction."""
    names = ["series", "time", "scan_id", *SCORE_COLUMNS]
    dialect = connection.dialect.name
    if dialect not in ("sqlite", "postgresql"):
        connection.execute(
            scores.insert(), [dict(zip(names, row)) for row in _score_tuples(points, series, scan_id, None, True)]
        )
        return
    driver = connection.connection.driver_connection
    cursor = driver.cursor()
    try:
        if dialect == "sqlite":
            cursor.executemany(
                f"INSERT INTO scores ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
                _score_tuples(points, series, scan_id, " ", False),
            )
        else:
            with cursor.copy(f"COPY scores ({', '.join(names)}) FROM STDIN") as copy:
                for row in _score_tuples(points, series, scan_id, "T", True):
                    copy.write_row(row)
    finally:
        cursor.close()


def _score_tuples(
    points: pd.DataFrame, series: str, scan_id: int, time_separator: str | None, nan_to_none: bool
) -> Iterator[tuple]:
    """Plain Python rows ``(series, time, scan_id, *SCORE_COLUMNS)``, made as the driver consumes them.

    Times are ISO strings with ``time_separator`` between date and time (what
    SQLAlchemy stores in SQLite, what PostgreSQL's ``COPY`` reads), or
    ``datetime`` objects when it is ``None``. NaN becomes ``None`` with
    ``nan_to_none``; SQLite needs no such pass, as it stores a bound NaN as NULL.
    """
    times = pd.DatetimeIndex(points["time"])
    if time_separator is None:
        stamps = times.to_pydatetime().tolist()
    else:
        stamps = np.char.replace(
            np.datetime_as_string(times.as_unit("us").to_numpy(), unit="us"), "T", time_separator
        ).tolist()
    columns = [[series] * len(points), stamps, [scan_id] * len(points)]
    for name in SCORE_COLUMNS:
        values = points[name].to_numpy()
        if nan_to_none and values.dtype.kind == "f":
            values = np.where(np.isnan(values), None, values.astype(object))
        columns.append(values.tolist())
    return zip(*columns)


def _event_ids(connection: Connection, series: str, rows: list[dict]) -> list[int]:
    """The ids of one series' events just written: a row's ``id``, else that of the event at its start.

    The rows without an id are found with one query over the span of their starts (a series has one
    event per start), so a scan that opens many events costs one statement, never one per event.
    """
    starts = [pd.Timestamp(row["start"]) for row in rows if "id" not in row]
    found = {}
    if starts:
        query = select(events.c.start, events.c.id).where(
            events.c.series == series,
            events.c.start >= min(starts).to_pydatetime(),
            events.c.start <= max(starts).to_pydatetime(),
        )
        found = {pd.Timestamp(start): int(event_id) for start, event_id in connection.execute(query)}
    return [int(row["id"]) if "id" in row else found[pd.Timestamp(row["start"])] for row in rows]


def _event_values(row: dict) -> dict:
    values = {key: row[key] for key in EVENT_COLUMNS}
    for key in ("start", "end", "peak"):
        values[key] = pd.Timestamp(values[key]).to_pydatetime()
    for key in ("peak_score", "severity"):
        values[key] = float(values[key])
    values["n_points"] = int(values["n_points"])
    return values


def _chunks(items: list, size: int = 500) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
