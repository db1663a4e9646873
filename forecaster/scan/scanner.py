"""Run an incremental scan of many series into a store: watermarks, late data, groups, one transaction per series."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

from forecaster.anomaly.detectors import WindowDetector
from forecaster.anomaly.events import EventRules
from forecaster.anomaly.thresholds import SeriesThresholds
from forecaster.config import AnomalyConfig
from forecaster.data import missing_times_between
from forecaster.errors import DataError, StoreError
from forecaster.reports.html import count_noun
from forecaster.scan.context import SeriesContext
from forecaster.scan.scoring import SeriesInput, scan_group
from forecaster.store import ScanStore

logger = logging.getLogger(__name__)


@dataclass
class SeriesRows:
    """One series as read from the data.

    Attributes:
        series: the series id.
        times: ``(n_rows,)`` naive timestamps (UTC when the data had a zone), increasing, regular.
        values: float64 ``(n_rows, n_features)``, NaN in filled rows
            (:meth:`~forecaster.data.SeriesCollection.observed_values`).
        filled: bool ``(n_rows,)``, rows the data layer filled (inserted, or with missing values).
        timezone: the zone whose clock the data keeps (its steps follow local time), or ``None``. Default ``None``.
    """

    series: str
    times: pd.DatetimeIndex
    values: np.ndarray
    filled: np.ndarray
    timezone: str | None = None


@dataclass
class ScanSummary:
    """What a scan did.

    Attributes:
        scan_id: the scan's id in the store.
        n_series: series scanned (rows scored); the series read are ``n_series + up_to_date + len(skipped)``.
        up_to_date: series with no row after their watermark (not scanned).
        rows_scored: points written.
        new_events: events opened.
        updated_events: stored events extended or closed; after a re-score, stored events matched with a
            re-scored one (:func:`match_by_overlap`) that ends later or is in another state
            (:func:`alerts_again`).
        removed_event_ids: the ids of the stored events a re-score no longer found or merged into another,
            deleted (not given out again); ``removed_events`` counts them.
        late_rows: rows at or before a watermark that were not scored before, or whose values changed among the
            last raw rows the series' context keeps for scoring (older changes are not seen); not re-scored.
        rows_filled: rows scored that the data did not hold (missing values, and missing rows within
            the data or between a watermark and the next row), scored as missing.
        skipped: ``{series: reason}`` for series not scanned; a reason names the file it read when it
            has one, never the series (the key names it, and summaries show it once).
        scaling_fitted: series whose scaling this scan fitted (``anomaly.unseen_series: fit``).
        threshold_pooled: series flagged at the pooled threshold, having too few reference errors of their own.
        rescore_from: the time given to ``--rescore-from`` (naive), or ``None`` for an ordinary scan.
        events: the new and updated events, each with its store ``id`` and ``kind`` (``new`` or ``updated``).
        points: ``{series: scored points}`` of the series to draw (at most ``max_plotted`` of
            :func:`scan_series`): those with the most severe new or updated events, most severe first.
        figure_ranks: ``{series: (highest event severity, number of events, -scan position)}`` of the
            series in ``points``, by which they were chosen (a severity that is NaN ranks lowest).
    """

    scan_id: int
    n_series: int = 0
    up_to_date: int = 0
    rows_scored: int = 0
    new_events: int = 0
    updated_events: int = 0
    removed_event_ids: list[int] = field(default_factory=list)
    late_rows: int = 0
    rows_filled: int = 0
    skipped: dict[str, str] = field(default_factory=dict)
    scaling_fitted: list[str] = field(default_factory=list)
    threshold_pooled: list[str] = field(default_factory=list)
    rescore_from: pd.Timestamp | None = None
    events: list[dict] = field(default_factory=list)
    points: dict[str, pd.DataFrame] = field(default_factory=dict)
    figure_ranks: dict[str, tuple[float, int, int]] = field(default_factory=dict)

    @property
    def removed_events(self) -> int:
        """How many stored events a re-score removed."""
        return len(self.removed_event_ids)

    def to_dict(self) -> dict:
        """The counts, the event ids, skipped series, fitted scalings and re-score time as JSON-ready data.

        ``new_event_ids`` and ``updated_event_ids`` list the store ids of :attr:`events` by kind, in scan
        order; ``rescore_from`` is ISO 8601 or ``None``.
        """
        return {
            "scan_id": self.scan_id,
            "n_series": self.n_series,
            "up_to_date": self.up_to_date,
            "rows_scored": self.rows_scored,
            "new_events": self.new_events,
            "updated_events": self.updated_events,
            "removed_events": self.removed_events,
            "new_event_ids": [event["id"] for event in self.events if event["kind"] == "new"],
            "updated_event_ids": [event["id"] for event in self.events if event["kind"] == "updated"],
            "removed_event_ids": self.removed_event_ids,
            "late_rows": self.late_rows,
            "rows_filled": self.rows_filled,
            "skipped": self.skipped,
            "scaling_fitted": self.scaling_fitted,
            "threshold_pooled": self.threshold_pooled,
            "rescore_from": None if self.rescore_from is None else self.rescore_from.isoformat(),
        }


def scan_series(
    store: ScanStore,
    scan_id: int,
    detector: WindowDetector,
    config: AnomalyConfig,
    thresholds: SeriesThresholds,
    rules: EventRules,
    feature_names: list[str],
    data: list[SeriesRows],
    frequency: str,
    fill: str = "interpolate",
    holidays: tuple = (),
    group_size: int = 64,
    rescore_from: pd.Timestamp | None = None,
    keep_scores: pd.Timedelta | None = None,
    progress: Callable[[int], None] | None = None,
    max_plotted: int = 6,
) -> ScanSummary:
    """Score every series' rows after its watermark, group by group, committing each series on its own.

    Rows at or before a series' watermark are not re-scored: those the store
    has no score for, and those whose values differ from the ones the last
    scan kept as context (its last raw rows: the detector's window, or the
    seasonal reference's reach when longer; older rows' values are not kept,
    so their changes are not seen), are counted as late. With ``rescore_from``, each
    series is scored from its first row again (to rebuild its context) and its
    scores and events are replaced from ``rescore_from`` or from its first row
    after its watermark, whichever comes first (:func:`rescore_start`: a
    re-score never leaves a row unscored); its events are matched with the
    stored ones by overlap (:func:`match_by_overlap`); rows before that time
    that are late are counted so (the rebuilt context no longer tells them
    apart), and a series with no row at or after ``rescore_from`` and none
    after its watermark is skipped, left as it was.

    Rows missing between a series' watermark and its first new row are
    inserted and scored as missing, as a scan of all the data at once scores
    the rows the data layer fills (:func:`forecaster.anomaly.detect`); with
    ``fill`` ``refuse`` the series is skipped instead, naming the missing times.

    Args:
        store: the open store (its lock held by the caller).
        scan_id: this scan's id (:meth:`ScanStore.begin_scan`).
        detector: the fitted detector.
        config: the ``anomaly`` section used to score.
        thresholds: each series' fixed threshold level.
        rules: event persistence, cooldown and closing.
        feature_names: the value columns, in order.
        data: the series.
        frequency: the series' step, normalised (:attr:`~forecaster.data.SeriesCollection.frequency`).
        fill: ``data.fill``: ``refuse`` skips a series with rows missing after its watermark. Default ``interpolate``.
        holidays: dates a business-day step skips. Default none.
        group_size: series per batched predict call. Default 64.
        rescore_from: re-score from this (naive) time on. Default ``None``.
        keep_scores: delete each series' scores older than this before its last scored time. Default ``None``.
        progress: called with the number of series finished after each group. Default ``None``.
        max_plotted: series whose points are kept for figures: those with the most severe new or
            updated event (ties: more events, then scan order). Default 6.

    Returns:
        The :class:`ScanSummary`.
    """
    summary = ScanSummary(scan_id, rescore_from=rescore_from)
    for start in range(0, len(data), group_size):
        group = data[start : start + group_size]
        marks = store.read_watermarks([rows.series for rows in group])
        inputs, n_filled = [], {}
        for rows in group:
            try:
                item = _new_rows(
                    store, rows, marks.get(rows.series), rescore_from, keep_scores, summary, frequency, fill, holidays
                )
            except DataError as exc:
                summary.skipped[rows.series] = str(exc)
                continue
            if item is None:
                summary.up_to_date += 1
            else:
                inputs.append(item[0])
                n_filled[rows.series] = item[1]
        results = scan_group(detector, config, thresholds, rules, feature_names, inputs) if inputs else []
        scored = [result for result in results if result.skipped is None]
        summary.skipped.update({result.series: result.skipped for result in results if result.skipped is not None})
        written_from = {item.series: item.write_from for item in inputs}
        matched = {
            result.series: _match_rescored(store, result, written_from[result.series])
            for result in scored
            if written_from[result.series] is not None
        }
        _commit_group(store, scan_id, scored, written_from, keep_scores, matched)
        for result in scored:
            _count(summary, result, max_plotted)
            summary.rows_filled += n_filled[result.series]
        for rematched in matched.values():
            summary.removed_event_ids += rematched.removed
        if progress is not None:
            progress(len(group))
    logger.debug(
        "scan %d: %d series scanned, %d up to date, %d skipped, %d rows scored, %d new, %d updated, %d removed events",
        scan_id,
        summary.n_series,
        summary.up_to_date,
        len(summary.skipped),
        summary.rows_scored,
        summary.new_events,
        summary.updated_events,
        summary.removed_events,
    )
    return summary


def _new_rows(
    store: ScanStore,
    rows: SeriesRows,
    mark: tuple[pd.Timestamp, bytes] | None,
    rescore_from: pd.Timestamp | None,
    keep_scores: pd.Timedelta | None,
    summary: ScanSummary,
    frequency: str,
    fill: str,
    holidays: tuple,
) -> tuple[SeriesInput, int] | None:
    """The rows of a series to score now, with its context, and how many of them are filled; count its late rows.

    Returns ``None`` when nothing is new; raises :class:`DataError` for rows missing after the watermark under
    ``fill: refuse``, new rows off the grid of the scored ones, or no row at or after ``rescore_from``.
    """
    if rescore_from is not None:
        write_from = rescore_start(rows.times, None if mark is None else mark[0], rescore_from)
        written = rows.times >= write_from
        if not written.any():
            raise DataError(
                f"no row at or after --rescore-from {rescore_from} (its last row is {rows.times.max()}): "
                "not re-scored, its scores, events and watermark kept"
            )
        summary.late_rows += _late_before_rescore(store, rows, mark, write_from, keep_scores)
        return SeriesInput(rows.series, rows.times, rows.values, write_from=write_from, timezone=rows.timezone), int(
            rows.filled[written].sum()
        )
    if mark is None:
        if not len(rows.times):
            return None
        return SeriesInput(rows.series, rows.times, rows.values, timezone=rows.timezone), int(rows.filled.sum())
    last_time, blob = mark
    context = SeriesContext.from_bytes(blob, rows.series)
    new = rows.times > last_time
    old_times, old_values = rows.times[~new], rows.values[~new]
    if len(old_times):
        summary.late_rows += _count_late(store, rows.series, old_times, old_values, last_time, context, keep_scores)
    if not new.any():
        return None
    times, values = rows.times[new], rows.values[new]
    gap = missing_times_between(last_time, times[0], frequency, holidays, source="the new rows", timezone=rows.timezone)
    if len(gap) and fill == "refuse":
        raise DataError(
            f"{len(gap)} rows missing from {gap[0]} to {gap[-1]}, between the last scanned row "
            f"({last_time}) and the new ones; send them, or set data.fill to interpolate, ffill or mask"
        )
    times = gap.as_unit("ns").append(times.as_unit("ns"))
    values = np.concatenate([np.full((len(gap), values.shape[1]), np.nan), values])
    return SeriesInput(rows.series, times, values, context, timezone=rows.timezone), len(gap) + int(
        rows.filled[new].sum()
    )


def rescore_start(times: pd.DatetimeIndex, watermark: pd.Timestamp | None, rescore_from: pd.Timestamp) -> pd.Timestamp:
    """The time from which a re-score writes a series: ``rescore_from``, or its first row after its watermark if earlier.

    Rows after the watermark were never scored, so a re-score from a later time
    scores them as an ordinary scan would instead of leaving a gap that later
    scans report as late rows; a series never scanned is written from its first row.

    Args:
        times: ``(n_rows,)`` the series' timestamps, increasing.
        watermark: its last scanned time, or ``None`` when it was never scanned.
        rescore_from: the time given to ``--rescore-from``.

    Returns:
        ``min(rescore_from, first row after the watermark)``; ``rescore_from`` when no row is after the watermark.
    """
    new = times if watermark is None else times[times > watermark]
    return min(rescore_from, new[0]) if len(new) else rescore_from


def _late_before_rescore(
    store: ScanStore,
    rows: SeriesRows,
    mark: tuple[pd.Timestamp, bytes] | None,
    rescore_from: pd.Timestamp,
    keep_scores: pd.Timedelta | None,
) -> int:
    """Late rows before ``rescore_from``, which a re-score keeps as scored: counted now, as the context it rebuilds
    from them will not tell them apart later (0 for a series without a watermark or with an unreadable context).

    With ``keep_scores``, only rows within it of the watermark are checked, as in an ordinary scan: older
    scores were pruned, not missed.
    """
    if mark is None:
        return 0
    kept = (rows.times < rescore_from) & (rows.times <= mark[0])
    if keep_scores is not None:  # the scores the last scan kept are those within keep_scores of its watermark
        kept &= rows.times >= mark[0] - keep_scores
    if not kept.any():
        return 0
    try:
        context = SeriesContext.from_bytes(mark[1], rows.series)
    except StoreError:  # the re-score replaces an unreadable context: nothing to compare with
        return 0
    times = rows.times[kept]
    return _count_late(store, rows.series, times, rows.values[kept], times[-1], context, None)


def _count_late(
    store: ScanStore,
    series: str,
    times: pd.DatetimeIndex,
    values: np.ndarray,
    last_time: pd.Timestamp,
    context: SeriesContext,
    keep_scores: pd.Timedelta | None,
) -> int:
    """Rows at or before the watermark never scored, plus rows whose values changed since the context was kept.

    Only the raw rows the context keeps for scoring (its last ``len(context.times)`` rows up to the
    watermark: the detector's window, or the seasonal reference's reach when longer) are compared: the
    store holds scores, not values, so a change to an older row is not seen, and a changed row stops
    being counted once later scans have moved it out of the context.
    """
    if keep_scores is not None:
        kept = times >= last_time - keep_scores
        times, values = times[kept], values[kept]
    if not len(times):
        return 0
    # Validated data holds every grid time between its first and last row, and the store only times of that
    # grid, so as many stored scores as rows in the range means every row was scored: no need to fetch them.
    unscored = 0
    if store.count_scores(series, times[0], last_time) < len(times):
        unscored = int((~times.isin(store.stored_times(series, times[0], last_time))).sum())
    stamps = times.as_unit("ns").asi8
    position = np.searchsorted(context.times, stamps)
    known = (position < len(context.times)) & (context.times[np.minimum(position, len(context.times) - 1)] == stamps)
    before, now = context.values[position[known]], values[known]
    changed = int((~((before == now) | (np.isnan(before) & np.isnan(now)))).any(axis=1).sum())
    found = [f"{count_noun(unscored, 'late row')} not scored before"] if unscored else []
    if changed:
        found.append(
            f"{count_noun(changed, 'row')} changed since scanned, of the last {count_noun(len(context.times), 'row')} "
            "kept for scoring (changes to older rows are not seen)"
        )
    if found:
        logger.warning("series %s: %s; re-score them with --rescore-from", series, " and ".join(found))
    return unscored + changed


def _commit_group(
    store: ScanStore,
    scan_id: int,
    results: list,
    written_from: dict[str, pd.Timestamp | None],
    keep_scores: pd.Timedelta | None,
    matched: dict[str, Rematched],
) -> None:
    """Commit each series' scan of a group in its own transaction, in order.

    A scan killed part-way leaves every series either committed (scores, events,
    watermark and context together) or untouched, so the next scan redoes
    exactly the series that were not committed. ``written_from`` gives each
    re-scored series the time its stored scores are replaced from (``None`` in an ordinary scan).
    Each event of ``result.events`` gets the ``id`` the store keeps it under.
    """
    for result in results:
        new_events = [event for event in result.events if event.get("new")]
        updated_events = [event for event in result.events if not event.get("new")]
        rematched = matched.get(result.series, NOTHING_REMATCHED)
        last_time = pd.Timestamp(int(result.context.times[-1]))
        ids = store.write_series(
            scan_id,
            result.series,
            result.points,
            new_events,
            updated_events,
            last_time,
            result.context.to_bytes(),
            replace_from=written_from[result.series],
            keep_before=None if keep_scores is None else last_time - keep_scores,
            drop_events=tuple(rematched.removed),
            revised_events=tuple(rematched.revised),
        )
        for event, event_id in zip([*new_events, *updated_events], ids):
            event["id"] = event_id


EVENT_FIELDS = ("start", "end", "peak", "peak_score", "severity", "n_points", "state")
"""What makes a re-scored event differ from the stored event it is matched with."""


class Rematched(NamedTuple):
    """What a re-score does to a series' stored events besides inserting new ones and updating those to alert on.

    Attributes:
        removed: ids of the stored events it no longer finds, to delete.
        revised: events it matched with other fields but nothing to alert on again (:func:`alerts_again`),
            each with the ``id`` of its stored event, to update without marking them touched by this scan.
    """

    removed: list[int]
    revised: list[dict]


NOTHING_REMATCHED = Rematched([], [])


def alerts_again(event: dict, stored) -> bool:
    """Whether a re-scored event changed as an incremental scan's update changes one: worth an alert again.

    An incremental scan updates a stored event when new rows extend it (a later
    end) or close it; a re-score alerts on the same changes: the event ends
    later, or is in another state (open or closed). Other changes (a start that
    moved, more or fewer flagged points within the span, a new detector's peak,
    peak score or severity, or an event that shrank) update the stored row
    silently: they are the same incident, seen by another detector.

    Args:
        event: the re-scored event (``end``, ``state``).
        stored: the stored event it is matched with (:func:`match_by_overlap`; attributes of the same names).

    Returns:
        ``True`` when the change is worth an alert.
    """
    return pd.Timestamp(event["end"]) > pd.Timestamp(stored.end) or event["state"] != stored.state


def event_overlaps(
    starts: np.ndarray, ends: np.ndarray, stored_starts: np.ndarray, stored_ends: np.ndarray
) -> np.ndarray:
    """How long each re-scored event of a series overlaps each of its stored events, in nanoseconds.

    Two events overlap when their spans (``start`` to ``end``, both included)
    share a time; the overlap is the length of the shared span: zero for one
    shared time, negative when they do not overlap.

    Args:
        starts, ends: ``(n_events,)`` datetime64 spans of the re-scored events.
        stored_starts, stored_ends: ``(n_stored,)`` datetime64 spans of the stored events.

    Returns:
        int64 ``(n_events, n_stored)``.
    """
    starts, ends, stored_starts, stored_ends = (
        np.asarray(times, dtype="datetime64[ns]").astype(np.int64)
        for times in (starts, ends, stored_starts, stored_ends)
    )
    return np.minimum(ends[:, None], stored_ends[None, :]) - np.maximum(starts[:, None], stored_starts[None, :])


def match_by_overlap(overlap: np.ndarray) -> dict[int, int]:
    """Pair re-scored events with stored events by overlap in time, largest overlap first.

    Pairs are taken greedily from the largest overlap down (ties: the earlier
    event, then the earlier stored event), each event and each stored event at
    most once: an event whose start moved after a retrain keeps its stored
    event; an event that split keeps it in the part that overlaps it most, the
    other parts are new; of stored events merged into one, the one it overlaps
    most is kept, the others are left unmatched.

    Args:
        overlap: int ``(n_events, n_stored)`` (:func:`event_overlaps`), negative where no pair may be made;
            rows and columns in order of start.

    Returns:
        ``{event index: stored event index}``.
    """
    rows, columns = np.nonzero(overlap >= 0)
    pairs: dict[int, int] = {}
    taken: set[int] = set()
    for k in np.lexsort((columns, rows, -overlap[rows, columns])):
        row, column = int(rows[k]), int(columns[k])
        if row not in pairs and column not in taken:
            pairs[row] = column
            taken.add(column)
    return pairs


def _match_rescored(store: ScanStore, result, rescore_from: pd.Timestamp) -> Rematched:
    """Match a re-scored series' events with its stored ones by overlap: what to remove and revise silently.

    A re-score finds every event of the rows it was given afresh, all marked new.
    A stored event is *in play* when it is open or ends at or after ``rescore_from``
    (the series' re-score time, :func:`rescore_start`). A re-scored event ending
    before that time is left alone unless it is open or overlaps an event in play,
    or a stored event that an event taken into account overlaps (the earlier part
    of an event split across that time); the others are matched with the stored events of the series
    (:func:`match_by_overlap`). A matched event keeps the stored event's id: it is
    an update when the change is worth an alert (:func:`alerts_again`), a silent
    revision when only other fields changed (its start included), and nothing to
    write when nothing changed; an unmatched one is new. A stored event left
    unmatched is removed (logged with its id) when it is in play or overlaps a
    re-scored event taken into account (it was merged into another). ``result.events``
    is rewritten in place: the new events and the updates to alert on.
    """
    stored = store.list_events(series=result.series)
    in_play = (stored["state"] == "open").to_numpy() | (stored["end"] >= rescore_from).to_numpy()
    events = pd.DataFrame(result.events, columns=["start", "end", "state"])
    ends = pd.to_datetime(events["end"])
    overlap = event_overlaps(
        pd.to_datetime(events["start"]).to_numpy(),
        ends.to_numpy(),
        stored["start"].to_numpy(),
        stored["end"].to_numpy(),
    )
    overlapping = overlap >= 0
    considered = (
        (ends >= rescore_from).to_numpy() | (events["state"] == "open").to_numpy() | (overlapping & in_play).any(axis=1)
    )
    while True:  # a stored event an event taken into account overlaps is rewritten: take in the others overlapping it
        touched = in_play | overlapping[considered].any(axis=0)
        grown = considered | (overlapping & touched).any(axis=1)
        if (grown == considered).all():
            break
        considered = grown
    pairs = match_by_overlap(np.where(considered[:, None], overlap, -1))
    rows = list(stored.itertuples(index=False))
    kept, revised = [], []
    for k, event in enumerate(result.events):
        if not considered[k]:
            continue
        before = rows[pairs[k]] if k in pairs else None
        if before is None:
            kept.append(event)
        elif alerts_again(event, before):
            kept.append({**event, "new": False, "id": int(before.id)})
        elif any(_differs(event[name], getattr(before, name)) for name in EVENT_FIELDS):
            revised.append({**event, "id": int(before.id)})
    result.events[:] = kept
    unmatched = np.ones(len(rows), dtype=bool)
    unmatched[list(pairs.values())] = False
    removed = [rows[k] for k in np.flatnonzero(unmatched & touched)]
    if removed:
        logger.info(
            "series %s: the re-score no longer finds %d stored event%s, removed: %s",
            result.series,
            len(removed),
            "" if len(removed) == 1 else "s",
            "; ".join(f"id {row.id} ({row.start} to {row.end})" for row in removed),
        )
    return Rematched([int(row.id) for row in removed], revised)


def _differs(value, stored) -> bool:
    """Whether an event's field differs from its stored value (times compared as times, scores to 1e-9)."""
    if isinstance(stored, (float, np.floating)):
        return not np.isclose(float(value), float(stored), rtol=1e-9, atol=0.0)
    if isinstance(stored, (pd.Timestamp, np.datetime64)) or hasattr(stored, "isoformat"):
        return pd.Timestamp(value) != pd.Timestamp(stored)
    return value != stored


def _count(summary: ScanSummary, result, max_plotted: int) -> None:
    """Add one scored series to the summary."""
    new_events = [event for event in result.events if event.get("new")]
    updated_events = [event for event in result.events if not event.get("new")]
    summary.n_series += 1
    summary.rows_scored += len(result.points)
    summary.new_events += len(new_events)
    summary.updated_events += len(updated_events)
    if result.scaling_fitted:
        summary.scaling_fitted.append(result.series)
    if result.events:
        summary.events += [
            {**{k: v for k, v in event.items() if k != "new"}, "kind": "new" if event.get("new") else "updated"}
            for event in result.events
        ]
        _keep_for_figure(summary, result, max_plotted)


def _keep_for_figure(summary: ScanSummary, result, max_plotted: int) -> None:
    """Keep a series' points while it ranks among the ``max_plotted`` series with the most severe events.

    Series rank by their highest event severity (NaN lowest), then their number of
    events, then scan order; ``summary.points`` stays ordered by rank, most severe first.
    """
    severity = np.array([event["severity"] for event in result.events], dtype=np.float64)
    rank = (float(np.where(np.isnan(severity), -np.inf, severity).max()), len(severity), -summary.n_series)
    ranks = summary.figure_ranks
    if len(ranks) >= max_plotted:
        weakest = min(ranks, key=ranks.__getitem__, default=None)
        if weakest is None or rank < ranks[weakest]:
            return
        del ranks[weakest], summary.points[weakest]
    ranks[result.series] = rank
    summary.points[result.series] = result.points
    summary.points = {series: summary.points[series] for series in sorted(ranks, key=ranks.__getitem__, reverse=True)}
