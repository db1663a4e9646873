"""``forecaster scan``: score what is new in many series with a saved detector, into a store; write a scan run folder.

The job turns the config's ``anomaly``, ``scan`` and ``store`` sections into
arguments, reads the data (a file, long format or not, a folder of files,
one series per file, or the rows of an SQL query on ``data.url``), validates each series on its own so one bad series is
reported and skipped, takes the store's lock, and runs
:func:`~forecaster.scan.scan_series`. The run folder holds ``summary.json`` (the counts, and
the store ids of the new, updated and removed events), ``events.csv`` (the new and updated
events, each with its store ``id``), figures and ``index.html``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import make_url

from forecaster.anomaly.events import event_rules
from forecaster.anomaly.pipeline import reference_thresholds
from forecaster.anomaly.thresholds import MIN_SERIES_REFERENCE
from forecaster.config import ForecasterConfig, config_to_dict
from forecaster.data import read_table, validate_series
from forecaster.data.calendar import normalise_frequency
from forecaster.data.database import read_query
from forecaster.data.validate import SINGLE_SERIES_ID
from forecaster.errors import ConfigError, DataError
from forecaster.jobs.events import parse_timestamp
from forecaster.reports.html import write_index_html
from forecaster.reports.scan import EVENT_COLUMNS, scan_section, scan_summary, skipped_series
from forecaster.runs import RunFolder
from forecaster.scan import ScanSummary, SeriesRows, scan_series
from forecaster.store import ScanStore, utc_naive
from forecaster.workflow.detection import load_detection_run

logger = logging.getLogger(__name__)

DATA_SUFFIXES = (".csv", ".parquet", ".pq")
PLOT_MARGIN_ROWS = 200
"""Scored rows drawn before the first and after the last event of a series on the scan page."""


def scan_job(
    config: ForecasterConfig,
    source: str,
    run_dir: Path,
    data_path: Path | None = None,
    store_url: str | None = None,
    rescore_from: str | None = None,
    progress: bool = False,
    data_query: str | None = None,
    report: str = "changes",
) -> tuple[ScanSummary, Path | None]:
    """Scan the data with the detector of ``run_dir`` into the store and write a scan run folder (by ``report``).

    Args:
        config: the validated config (``data``, ``anomaly``, ``scan``, ``store``, ``report``).
        source: config file name, for messages.
        run_dir: the detection run whose detector scores; ``scan_runs.detector_run`` records
            it resolved (absolute, links followed).
        data_path: a file or a folder of files to scan instead of ``data.path``. Default ``None``.
        store_url: a store URL instead of ``store.url``. Default ``None``.
        rescore_from: re-score from this timestamp on (or a series' first row after its watermark, if
            earlier), replacing scores and events. Default ``None``.
        progress: show a progress bar over series. Default ``False``.
        data_query: an SQL query whose rows (time, id and value columns named as in
            ``data``) are scanned, read from ``data.url``, instead of a file. Default ``None``.
        report: when to write the run folder: ``always``, ``changes`` (only when the scan
            opened, updated or removed events or skipped a series, what someone should look at; a
            scheduler scanning new rows every few minutes then does not fill ``reports/``)
            or ``never``. Default ``changes``.

    Returns:
        ``(summary, run_folder)``; ``run_folder`` is ``None`` when none was written.

    Raises:
        ConfigError: for scoring settings a scan cannot continue incrementally
            (``centered`` mode, the ``dynamic`` threshold) or that changed since the last
            scan, or when no data is named (a path, or a query with ``data.url``).
        DataError: when the data cannot be read at all, or no series can be scanned, or
            ``rescore_from`` is not a timestamp (checked before any work) or after every series' last
            row (checked before the store is opened).
        RunError: when ``run_dir`` is not a detection run that fits the config.
        StoreError: when the store cannot be opened; StoreBusyError when another scan holds it.
    """
    start = None if rescore_from is None else parse_timestamp(rescore_from, "--rescore-from")
    cfg = config.anomaly
    if cfg.mode != "causal":
        raise ConfigError(
            f"{source}: anomaly.mode {cfg.mode!r} reads ahead; scans score incrementally and need anomaly.mode: causal"
        )
    if cfg.threshold.method == "dynamic":
        raise ConfigError(
            f"{source}: anomaly.threshold.method 'dynamic' chooses its level from the scored errors themselves; "
            "scans need a fixed level: use quantile, std or pot"
        )
    if config.data is None:  # data.path is optional: --data or --data-query may name the rows instead
        raise ConfigError(f"{source}: missing section 'data'; add data (time_column, id_column, path or url)")
    data_cfg = config.data
    detector, schema = load_detection_run(run_dir, config)
    data_cfg = data_cfg.model_copy(
        update={
            "frequency": data_cfg.frequency or schema["frequency"],
            "target_columns": data_cfg.target_columns or schema["columns"],
        }
    )
    if data_query is not None:
        if data_cfg.url is None:
            raise ConfigError(f"{source}: --data-query needs data.url, the SQLAlchemy URL of the database to query")
        where = f"{data_cfg.url.split('://')[0]} query"
        raw = read_query(data_cfg.url, data_query, data_cfg.time_column, data_cfg.id_column, schema["columns"])
        series, skipped = split_table(raw, data_cfg, schema["columns"], where)
    else:
        path = Path(data_path) if data_path is not None else data_cfg.path
        if path is None:
            raise ConfigError(
                f"{source}: no data to scan; set data.path, pass --data PATH, or --data-query with data.url"
            )
        series, skipped = read_scan_data(path, data_cfg, schema["columns"])
        where = str(path)
    if not series:
        raise DataError(f"{where}: no series could be scanned: {skipped_series(skipped)}")
    if start is not None:
        last = max(item.times.max() for item in series)
        if start > last:
            raise DataError(
                f"--rescore-from: nothing to re-score after {start}: the data ends {last} ({where}); "
                f"pass a time at or before {last}"
            )
    _, thresholds = reference_thresholds(detector, cfg)
    pooled = thresholds.pooled_series([item.series for item in series])
    rules = event_rules(cfg, normalise_frequency(data_cfg.frequency))
    # The folder a link such as reports/latest points at now, absolute: the link may move to a newer run later.
    detector_folder = str(Path(run_dir).resolve())
    scoring_hash = hashlib.sha256(
        json.dumps({"anomaly": cfg.model_dump(mode="json"), "detector": detector_folder}, sort_keys=True).encode()
    ).hexdigest()[:16]
    store = ScanStore(store_url or config.store.url)
    try:
        with store.lock(config.scan.lock_timeout):
            _check_same_scoring(store, scoring_hash, start, source)
            scan_id = store.begin_scan(scoring_hash, detector_folder, data_query or where)
            try:
                with _progress_bar(len(series), progress) as advance:
                    summary = scan_series(
                        store,
                        scan_id,
                        detector,
                        cfg,
                        thresholds,
                        rules,
                        schema["columns"],
                        series,
                        frequency=normalise_frequency(data_cfg.frequency),
                        fill=data_cfg.fill,
                        holidays=tuple(data_cfg.holidays),
                        group_size=config.scan.group_size,
                        rescore_from=start,
                        keep_scores=None
                        if config.store.keep_scores is None
                        else pd.Timedelta(days=config.store.keep_scores),
                        progress=advance,
                    )
            except BaseException as exc:
                store.finish_scan(scan_id, "failed", {"skipped": skipped, "notes": [f"{type(exc).__name__}: {exc}"]})
                raise
            summary.skipped = {**skipped, **summary.skipped}
            summary.threshold_pooled = [name for name in pooled if name not in summary.skipped]
            notes = [f"scaling fitted for {', '.join(summary.scaling_fitted)}"] if summary.scaling_fitted else []
            if summary.threshold_pooled:
                notes.append(
                    f"pooled threshold for {', '.join(summary.threshold_pooled)} (fewer than "
                    f"{MIN_SERIES_REFERENCE} reference errors of their own)"
                )
            store.finish_scan(scan_id, "finished", {**summary.to_dict(), "notes": notes})
            changed = summary.new_events or summary.updated_events or summary.removed_events or summary.skipped
            if report == "never" or (report == "changes" and not changed):
                return summary, None
            earlier = _earlier_scores(store, summary.points, series)
    finally:
        store.close()
    return summary, _write_run_folder(
        config, summary, series, earlier, schema["columns"], store_url or config.store.url
    )


def read_scan_data(path: Path, data_cfg, columns: list[str]) -> tuple[list[SeriesRows], dict[str, str]]:
    """Read and validate every series of a file or folder, each on its own.

    A folder holds one series per file (the id is the file name without its
    suffix); a file holds, with ``data.id_column``, many series in long
    format, or else one series named ``series`` whatever the file is called,
    as ``forecaster detect`` names it: a detector trained on ``history.csv``
    scans ``latest.csv`` as the same series, and each day's file continues
    that series' watermark.

    Args:
        path: the file or folder.
        data_cfg: the ``data`` section (the job sets its frequency and target
            columns to the detector's when unset, so short chunks validate).
        columns: the value columns the detector was trained on.

    Returns:
        ``(series, skipped)``: the readable series, and ``{series: reason}`` for the others (a reason
        names the file, not the series).

    Raises:
        DataError: when the path does not exist or a file cannot be read at all.
    """
    if path.is_dir():
        pieces = [(file.stem, file, None) for file in sorted(path.iterdir()) if file.suffix.lower() in DATA_SUFFIXES]
        if not pieces:
            raise DataError(
                f"{path}: the folder holds no .csv or .parquet files; pass a file or a folder of series files"
            )
        return _validate_each(
            [(name, lambda file=file: read_table(file, data_cfg.format), str(file)) for name, file, _ in pieces],
            data_cfg,
            columns,
        )
    return split_table(read_table(path, data_cfg.format), data_cfg, columns, str(path))


def split_table(
    raw: pd.DataFrame, data_cfg, columns: list[str], source: str
) -> tuple[list[SeriesRows], dict[str, str]]:
    """Validate the series of one table (long format with ``data.id_column``, else one series), each on its own.

    A long table is validated whole first (one pass, the usual case); only
    when that fails is each series validated on its own, so the bad ones are
    skipped with their reasons and the others scanned.

    Args:
        raw: the table as read.
        data_cfg: the ``data`` section.
        columns: the value columns the detector was trained on.
        source: where the table came from, for messages.

    Returns:
        ``(series, skipped)`` as :func:`read_scan_data` returns them.

    Raises:
        DataError: when ``data.id_column`` is not a column of the table.
    """
    if data_cfg.id_column is None:
        return _validate_each([(SINGLE_SERIES_ID, lambda: raw, source)], data_cfg, columns)
    if data_cfg.id_column not in raw.columns:
        raise DataError(
            f"{source}: no id column {data_cfg.id_column!r} (data.id_column); columns are {list(raw.columns)}"
        )
    raw = raw.assign(**{data_cfg.id_column: raw[data_cfg.id_column].astype(str)})
    try:
        collection, _ = validate_series(raw, data_cfg, source=source)
        _check_columns(collection, columns, source)
    except DataError:
        groups = raw.groupby(data_cfg.id_column, sort=True)
    else:
        return sorted(_series_rows(collection, collection.series_ids), key=lambda rows: rows.series), {}
    return _validate_each(
        [(str(key), lambda part=part: part.drop(columns=data_cfg.id_column), source) for key, part in groups],
        data_cfg,
        columns,
    )


def _validate_each(pieces, data_cfg, columns: list[str]) -> tuple[list[SeriesRows], dict[str, str]]:
    """Validate each ``(series, read, source)`` piece as one series; a piece that fails is skipped with its reason.

    The reason is the data layer's one-line message, which names ``source`` (the file) but not the series:
    ``skipped`` is keyed by the series, and the summaries name it once.
    """
    one = data_cfg.model_copy(update={"id_column": None})
    series, skipped = [], {}
    for name, read, source in pieces:
        try:
            collection, _ = validate_series(read(), one, source=source)
            _check_columns(collection, columns, source)
        except DataError as exc:
            skipped[name] = str(exc)
            continue
        series += _series_rows(collection, [name])
    return series, skipped


def _check_columns(collection, columns: list[str], source: str) -> None:
    if collection.columns != columns:
        raise DataError(f"{source}: columns {collection.columns} are not the detector's {columns}")


def _series_rows(collection, names) -> list[SeriesRows]:
    """Every series of a validated collection, named by ``names`` (one per series), as the scanner takes them."""
    times, values = utc_naive(collection.frame.index), collection.observed_values()
    zone = getattr(collection.frame.index, "tz", None)
    bounds = zip(collection.offsets[:-1], collection.offsets[1:])
    return [
        SeriesRows(
            str(name),
            times[start:stop],
            values[start:stop],
            collection.filled[start:stop],
            None if zone is None else str(zone),
        )
        for name, (start, stop) in zip(names, bounds)
    ]


def _check_same_scoring(store: ScanStore, scoring_hash: str, rescore_from: pd.Timestamp | None, source: str) -> None:
    """Refuse to continue contexts written with other scoring settings or another detector."""
    last = store.last_scan_id()
    if last is None or rescore_from is not None:
        return
    runs = store.read_table("scan_runs")
    previous = runs.loc[runs["id"] == last, "config_hash"].iloc[0]
    if previous != scoring_hash:
        raise ConfigError(
            f"{source}: the anomaly settings or the detector differ from those of scan {last} in this store, so the "
            "stored context does not fit them; keep them, use another store.url, or re-score with --rescore-from"
        )


@contextlib.contextmanager
def _progress_bar(total: int, enabled: bool) -> Iterator:
    """A rich progress bar over series on a terminal; a no-op callback otherwise."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("scanning series", total=total)
        yield lambda done: bar.advance(task, done)


def _earlier_scores(store: ScanStore, points: dict[str, pd.DataFrame], series: list[SeriesRows]) -> pd.DataFrame:
    """The stored scores of the series to draw, up to ``PLOT_MARGIN_ROWS`` data rows before this scan's first.

    A scan's figures draw its events in context; when an event starts at the
    scan's first new row, the context is what earlier scans stored. One query
    for all the series drawn; a series whose data holds no earlier row gets none.

    Returns:
        ``series``, ``time`` and the score columns, like :meth:`ScanStore.read_scores`.
    """
    rows = {item.series: item for item in series}
    reach = {}
    for name, scored in points.items():  # the few series drawn, not every series scanned
        times = rows[name].times
        first = times.searchsorted(pd.Timestamp(scored["time"].iloc[0]))
        if first:
            reach[name] = (times[max(first - PLOT_MARGIN_ROWS, 0)], times[first - 1])
    if not reach:
        return pd.DataFrame(columns=["series", "time"])
    stored = store.read_scores(
        list(reach), min(start for start, _ in reach.values()), max(end for _, end in reach.values())
    )
    start, end = (stored["series"].map({name: span[k] for name, span in reach.items()}) for k in (0, 1))
    return stored[(stored["time"] >= start) & (stored["time"] <= end)]


def _write_run_folder(
    config: ForecasterConfig,
    summary: ScanSummary,
    series: list[SeriesRows],
    earlier: pd.DataFrame,
    columns: list[str],
    url: str,
) -> Path:
    """Write ``config.yaml``, ``summary.json``, ``events.csv``, the figures and ``index.html``.

    ``earlier`` holds stored scores before this scan's rows (:func:`_earlier_scores`), drawn as context.
    """
    rows = {item.series: item for item in series}
    plotted = {}
    for name, points in summary.points.items():
        before = earlier[earlier["series"] == name].drop(columns="series")
        if len(before):
            points = pd.concat([before.astype(points.dtypes[before.columns].to_dict()), points], ignore_index=True)
        spans = [
            (pd.Timestamp(event["start"]), pd.Timestamp(event["end"]))
            for event in summary.events
            if event["series"] == name
        ]
        times = pd.DatetimeIndex(points["time"])
        first = max(0, times.searchsorted(min(start for start, _ in spans)) - PLOT_MARGIN_ROWS)
        last = times.searchsorted(max(end for _, end in spans), side="right") + PLOT_MARGIN_ROWS
        points = points.iloc[first:last]
        item = rows[name]
        keep = (item.times >= points["time"].iloc[0]) & (item.times <= points["time"].iloc[-1])
        plotted[name] = (pd.DataFrame(item.values[keep], index=item.times[keep], columns=columns), points)
    with RunFolder(config.report.output_dir, f"{config.name}-scan") as run:
        run.write_yaml("config.yaml", config_to_dict(config))
        shown_url = make_url(url).render_as_string(hide_password=True)
        counts = summary.to_dict()
        run.write_json("summary.json", {**counts, "store": shown_url})
        pd.DataFrame(summary.events, columns=list(EVENT_COLUMNS)).to_csv(run.path / "events.csv", index=False)
        lines, warnings = scan_summary(counts)
        write_index_html(
            run,
            f"{config.name}: anomaly scan {summary.scan_id}",
            [scan_section(run, counts, summary.events, plotted, PLOT_MARGIN_ROWS)],
            lines,
            warnings,
            subtitle=f"forecaster scan into {shown_url}",
        )
    return run.final_path
