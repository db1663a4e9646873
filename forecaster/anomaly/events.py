"""Anomaly events: flagged points grouped into events an operator can act on, by one state machine.

``forecaster detect`` (every row of a series at once) and ``forecaster scan``
(the new rows of each scan) feed flagged points to the same machine,
:func:`advance_events`, with the same :class:`EventRules`, so both find the
same events. Per series, at most one event is open at a time, without alert
fatigue:

- an event opens when ``min_points`` flagged points fall within ``within``
  (it starts at the first of them), unless the series' last event ended less
  than ``cooldown`` before the point (such points are ignored);
- a flagged point no more than ``close_after`` after the open event's last
  one extends it (end, point count, peak);
- the event closes once the series has been quiet for longer than
  ``close_after`` (decided by the rows' times, not the clock).

The machine looks only at flagged points and each series' last row time, and
keeps what it needs between calls (:class:`EventState`: the pending points and
the last event), so feeding it the rows in chunks gives the events of feeding
them at once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecaster.config import AnomalyConfig
from forecaster.errors import ConfigError

EVENT_COLUMNS = ["series", "start", "end", "n_points", "peak_time", "peak_score", "severity", "top_features"]


@dataclass(frozen=True)
class EventRules:
    """Persistence, cooldown and closing of events, on the rows' time axis.

    Durations are integers on the axis of :func:`time_axis`: nanoseconds for
    timestamps, steps for step numbers (:func:`event_rules` converts the
    ``anomaly.events`` section).

    Args:
        min_points: flagged points needed to open an event (>= 1). Default 1.
        within: span the ``min_points`` points must fall within. Default 0.
        cooldown: quiet span after an event's end before another may open. Default 0.
        close_after: quiet span after which an open event closes; flagged points
            up to this far after its end extend it. Default 0.
        top_features: features named per event (largest errors at its peak). Default 3.
    """

    min_points: int = 1
    within: int = 0
    cooldown: int = 0
    close_after: int = 0
    top_features: int = 3


@dataclass
class EventState:
    """What one series' event machine keeps between calls.

    Attributes:
        pending: flagged points not yet in an event, oldest first: dicts with
            ``time`` (ISO timestamp or step number), ``score``, ``severity`` and ``features``.
        event: the series' last event (with ``state`` ``open`` or ``closed``), or ``None``.
    """

    pending: list[dict] = field(default_factory=list)
    event: dict | None = None


def event_rules(config: AnomalyConfig, frequency: str) -> EventRules:
    """Convert the ``anomaly.events`` section to :class:`EventRules` on the time axis of data with ``frequency``.

    A duration (``"60min"``) is read as such; an integer is that many rows:
    that many steps of a fixed ``frequency`` (or of step numbers), and for
    steps of varying length (months, business days) that many average steps
    plus half of one, so that ``3`` rows of monthly data reach any month
    three rows later and none four rows later.

    Args:
        config: the ``anomaly`` section (``events``, ``top_features``).
        frequency: the data's step as a pandas offset alias, or ``"step"`` for step numbers.

    Returns:
        The rules.

    Raises:
        ConfigError: naming the key, for a duration on step numbers, or a
            ``within`` too short for ``min_points`` rows of a fixed step.
    """
    events = config.events
    spans = {}
    for key in ("within", "cooldown", "close_after"):
        value = getattr(events, key)
        if isinstance(value, int):
            spans[key] = _row_span(value, frequency)
        elif frequency == "step":
            raise ConfigError(
                f"anomaly.events.{key}: {value!r} is a duration, but the data are step numbers "
                f"(data.time_unit: step); write a number of steps, e.g. {key}: 3"
            )
        else:
            spans[key] = pd.Timedelta(value).value
    step = 1 if frequency == "step" else _fixed_step(frequency)
    if step is not None and spans["within"] < (events.min_points - 1) * step:
        raise ConfigError(
            f"anomaly.events.within: {events.min_points} flagged points (min_points) never fall within "
            f"{events.within!r} of each other at one row every {frequency!r}; raise within to at least "
            f"{events.min_points - 1} rows or lower min_points"
        )
    return EventRules(events.min_points, spans["within"], spans["cooldown"], spans["close_after"], config.top_features)


def time_axis(times: pd.Index | np.ndarray) -> np.ndarray:
    """Return the int64 axis events are timed on: nanoseconds since the epoch (UTC) for timestamps, else the step numbers."""
    if isinstance(times, pd.DatetimeIndex):
        return times.as_unit("ns").asi8
    return np.asarray(times).astype(np.int64)


def advance_events(
    flags: np.ndarray,
    scores: np.ndarray,
    thresholds: np.ndarray,
    times: pd.Index | np.ndarray,
    rules: EventRules,
    *,
    offsets: np.ndarray | None = None,
    series_ids: list | None = None,
    feature_errors: np.ndarray | None = None,
    feature_names: list[str] | None = None,
    states: dict[str, EventState] | None = None,
) -> tuple[list[dict], dict[str, EventState]]:
    """Feed newly scored rows of one or more series to their event state machines.

    A loop over the flagged points (and the series with pending points or an
    open event), not over rows.

    Args:
        flags: bool ``(n_rows,)`` anomalous points, series after series, each in time order.
        scores: float ``(n_rows,)`` the thresholded (smoothed) error.
        thresholds: float ``(n_rows,)`` the threshold at each row.
        times: ``(n_rows,)`` timestamps (a ``DatetimeIndex``) or step numbers.
        rules: the :class:`EventRules`, on the axis of :func:`time_axis`.
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.
        series_ids: one id per series; ``None`` numbers them. Default ``None``.
        feature_errors: float ``(n_rows, n_features)`` per-feature errors, or ``None``. Default ``None``.
        feature_names: the features' names. Default ``None`` (``f0``, ``f1``, ...).
        states: ``{series: EventState}`` left by the previous rows of these series;
            ``None`` (or a series missing from it) starts afresh. Default ``None``.

    Returns:
        ``(touched, states)``: every event these rows opened, extended or closed
        (dicts with ``series``, ``start``, ``end``, ``peak`` (times as ISO
        strings, or step numbers), ``peak_score``, ``severity`` (peak score over
        the threshold at the peak), ``n_points`` (flagged points), ``features``
        (the ``top_features`` largest errors at the peak, comma-separated),
        ``state`` and ``new``, true for events these rows opened; an event is
        identified by its series and start), in the order they were first
        touched, and the :class:`EventState` each series of these rows leaves.
    """
    flags = np.asarray(flags, dtype=bool)
    bounds = np.array([0, flags.size]) if offsets is None else np.asarray(offsets)
    ids = [str(series) for series in (series_ids if series_ids is not None else range(len(bounds) - 1))]
    axis = time_axis(times)
    stamps = times if isinstance(times, pd.DatetimeIndex) else None
    scores = np.asarray(scores, dtype=np.float64)
    thresholds = np.asarray(thresholds, dtype=np.float64)
    if feature_errors is None:
        feature_errors = np.zeros((flags.size, 0))
    names = feature_names or [f"f{j}" for j in range(feature_errors.shape[1])]
    given = states or {}
    current = {
        series: EventState(
            [dict(point) for point in given[series].pending],
            None if given[series].event is None else dict(given[series].event),
        )
        for series in ids
        if series in given
    }
    touched: dict[int, dict] = {}
    rows = np.flatnonzero(flags)
    for row, owner in zip(rows, np.searchsorted(bounds, rows, side="right") - 1):
        state = current.setdefault(ids[owner], EventState())
        at, last = int(axis[row]), state.event
        point = {
            "time": _label(stamps, axis, row),
            "score": float(scores[row]),
            "severity": float(scores[row] / thresholds[row]),
            "features": _top_features(feature_errors[row], names, rules.top_features),
        }
        if last is not None and last["state"] == "open":
            if at - _at(last["end"]) <= rules.close_after:
                _extend(last, point)
                touched[id(last)] = last
                continue
            last["state"] = "closed"
            touched[id(last)] = last
        if last is not None and at < _at(last["end"]) + rules.cooldown:
            continue
        state.pending = [p for p in state.pending if _at(p["time"]) >= at - rules.within] + [point]
        if len(state.pending) >= rules.min_points:
            first = state.pending[0]
            state.event = {
                "new": True,
                "series": ids[owner],
                "start": first["time"],
                "end": first["time"],
                "peak": first["time"],
                "peak_score": first["score"],
                "severity": first["severity"],
                "features": first["features"],
                "n_points": 1,
                "state": "open",
            }
            for later in state.pending[1:]:
                _extend(state.event, later)
            touched[id(state.event)] = state.event
            state.pending = []
    position = {series: k for k, series in enumerate(ids)}
    for series, state in current.items():
        k = position[series]
        if bounds[k + 1] == bounds[k]:
            continue
        end = int(axis[bounds[k + 1] - 1])
        last = state.event
        if last is not None and last["state"] == "open" and end - _at(last["end"]) > rules.close_after:
            last["state"] = "closed"
            touched[id(last)] = last
        state.pending = [p for p in state.pending if _at(p["time"]) >= end - rules.within]
    left = {
        series: EventState(
            state.pending,
            None if state.event is None else {key: value for key, value in state.event.items() if key != "new"},
        )
        for series, state in current.items()
    }
    return list(touched.values()), {series: left.get(series, EventState()) for series in ids}


def find_events(
    flags: np.ndarray,
    scores: np.ndarray,
    thresholds: np.ndarray,
    times: pd.Index | np.ndarray,
    rules: EventRules,
    *,
    offsets: np.ndarray | None = None,
    series_ids: tuple | None = None,
    feature_errors: np.ndarray | None = None,
    feature_names: list[str] | None = None,
) -> pd.DataFrame:
    """Group the flagged points of whole series into events (:func:`advance_events` from a fresh state).

    Args:
        flags: bool ``(n_rows,)`` anomalous points.
        scores: float ``(n_rows,)`` the (smoothed) error that was thresholded.
        thresholds: float ``(n_rows,)`` the threshold of each point.
        times: ``(n_rows,)`` timestamps (a ``DatetimeIndex``) or step numbers.
        rules: the :class:`EventRules`.
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.
        series_ids: label of each series; ``None`` numbers them. Default ``None``.
        feature_errors: float ``(n_rows, n_features)`` per-feature errors, or ``None``. Default ``None``.
        feature_names: the features' names. Default ``None`` (``f0``, ``f1``, ...).

    Returns:
        A frame with one row per event, series after series and by start, and
        columns :data:`EVENT_COLUMNS`: ``start``, ``end`` (the last flagged
        point) and ``peak_time`` as ``times`` holds them (zoned timestamps in
        their zone), ``severity`` the peak score over the threshold at the peak,
        ``top_features`` the largest errors at the peak, comma-separated.
    """
    ids = series_ids if series_ids is not None else tuple(range(len(offsets) - 1 if offsets is not None else 1))
    events, _ = advance_events(
        flags,
        scores,
        thresholds,
        times,
        rules,
        offsets=offsets,
        series_ids=ids,
        feature_errors=feature_errors,
        feature_names=feature_names,
    )
    if not events:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    label = {str(series): series for series in ids}
    frame = pd.DataFrame(
        {
            "series": [label[event["series"]] for event in events],
            "start": _as_times([event["start"] for event in events], times),
            "end": _as_times([event["end"] for event in events], times),
            "n_points": [event["n_points"] for event in events],
            "peak_time": _as_times([event["peak"] for event in events], times),
            "peak_score": [event["peak_score"] for event in events],
            "severity": [event["severity"] for event in events],
            "top_features": [event["features"] for event in events],
        }
    )
    return frame[EVENT_COLUMNS]


def flag_runs(flags: np.ndarray, offsets: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return the runs of True in a flag array, split at series boundaries.

    Args:
        flags: bool ``(n,)``.
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.

    Returns:
        ``(starts, ends)``, int64 ``(n_runs,)`` each; run ``i`` is ``flags[starts[i]:ends[i]]``.
    """
    flags = np.asarray(flags, dtype=bool)
    series_start = np.zeros(flags.size + 1, dtype=bool)
    series_start[np.asarray(offsets if offsets is not None else [0, flags.size])] = True
    before = np.concatenate([[False], flags[:-1]])
    after = np.concatenate([flags[1:], [False]])
    starts = np.flatnonzero(flags & (~before | series_start[:-1]))
    ends = np.flatnonzero(flags & (~after | series_start[1:])) + 1
    return starts, ends


def _fixed_step(frequency: str) -> int | None:
    """Nanoseconds between rows of ``frequency``, or ``None`` for a step of varying length (``MS``, ``B``)."""
    try:
        return pd.Timedelta(pd.tseries.frequencies.to_offset(frequency)).value
    except (ValueError, TypeError):
        return None


def _row_span(rows: int, frequency: str) -> int:
    """``rows`` rows of ``frequency`` on the event axis (see :func:`event_rules`)."""
    if frequency == "step":
        return rows
    step = _fixed_step(frequency)
    if step is not None:
        return rows * step
    origin = pd.Timestamp("2000-01-03")
    average = (origin + 400 * pd.tseries.frequencies.to_offset(frequency) - origin).value / 400
    return int((rows + 0.5) * average) if rows else 0


def _label(stamps: pd.DatetimeIndex | None, axis: np.ndarray, row: int) -> str | int:
    """A row's time as events hold it: ISO text for a timestamp, the step number otherwise."""
    return stamps[row].isoformat() if stamps is not None else int(axis[row])


def _at(label: str | int) -> int:
    """The axis position of a time held by an event (see :func:`_label`)."""
    return pd.Timestamp(label).value if isinstance(label, str) else int(label)


def _as_times(labels: list, times: pd.Index | np.ndarray) -> pd.Index:
    """Event times back as ``times`` holds them (zoned timestamps in their zone, step numbers as numbers)."""
    if not isinstance(times, pd.DatetimeIndex):
        return pd.Index(labels, dtype=np.int64)
    if times.tz is None:
        return pd.DatetimeIndex(labels)
    return pd.to_datetime(labels, utc=True).tz_convert(times.tz)


def _extend(event: dict, point: dict) -> None:
    """Add a flagged point to an open event: its end, count and (when higher) peak move."""
    event["end"] = point["time"]
    event["n_points"] += 1
    if point["score"] > event["peak_score"]:
        event.update(
            peak=point["time"], peak_score=point["score"], severity=point["severity"], features=point["features"]
        )


def _top_features(errors: np.ndarray, names: list[str], count: int) -> str:
    """The ``count`` features with the largest finite errors, comma-separated."""
    order = np.argsort(-np.nan_to_num(errors, nan=-np.inf), kind="stable")[:count]
    return ", ".join(names[j] for j in order if np.isfinite(errors[j]))
