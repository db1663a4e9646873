"""The event state machine of scheduled scans: persistence, cooldown, open, extend and close.

Anomalous (flagged) points of one series become at most one open event at a
time, without alert fatigue:

- an event opens when ``min_points`` flagged points fall within ``within``
  (it starts at the first of them), unless the series' last event ended less
  than ``cooldown`` before the point (such points are ignored);
- a flagged point no more than ``close_after`` after the open event's last
  one extends it (end, point count, peak);
- the event closes once the series has been quiet for longer than
  ``close_after`` (decided by the rows' timestamps, not the clock).

The machine only looks at flagged points and the last row's time, and keeps
what it needs between scans (the pending points and the last event), so
feeding it the rows in chunks gives the same events as feeding them at once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class EventRules:
    """Persistence, cooldown and closing of events (``scan`` section).

    Args:
        min_points: flagged points needed to open an event (>= 1).
        within: duration the ``min_points`` points must fall within.
        cooldown: quiet time after an event's end before another may open.
        close_after: quiet time after which an open event closes.
        top_features: features named per event (largest errors at its peak).
    """

    min_points: int
    within: pd.Timedelta
    cooldown: pd.Timedelta
    close_after: pd.Timedelta
    top_features: int = 3


def advance_events(
    series: str,
    times: pd.DatetimeIndex,
    flags: np.ndarray,
    errors: np.ndarray,
    thresholds: np.ndarray,
    feature_errors: np.ndarray,
    feature_names: list[str],
    rules: EventRules,
    pending: list[dict],
    event: dict | None,
) -> tuple[list[dict], list[dict], dict]:
    """Feed one series' newly scored rows to its event state machine.

    Args:
        series: the series id.
        times: ``(n_rows,)`` the new rows' timestamps, increasing.
        flags: bool ``(n_rows,)`` anomalous points.
        errors: float ``(n_rows,)`` their thresholded errors (the score).
        thresholds: float ``(n_rows,)`` the threshold at each.
        feature_errors: float ``(n_rows, n_features)`` per-feature errors.
        feature_names: the feature names.
        rules: the :class:`EventRules`.
        pending: flagged points not yet in an event, from the previous scan.
        event: the series' last event from the previous scan, or ``None``.

    Returns:
        ``(touched, pending, last)``: every event opened, extended or closed by
        these rows (dicts with ``series``, ``start``, ``end``, ``peak``,
        ``peak_score``, ``severity``, ``n_points``, ``features``, ``state`` and
        ``new``, true for events these rows opened; an event is identified by
        its series and start), the pending points to keep, and the series'
        last event (``None`` when it has none; without ``new``).
    """
    touched: dict[int, dict] = {}
    last = None if event is None else dict(event)
    pending = [dict(point) for point in pending]
    for row in np.flatnonzero(flags):
        time = times[row]
        point = {"time": time.isoformat(), "score": float(errors[row]),
                 "severity": float(errors[row] / thresholds[row]) if thresholds[row] > 0 else float("inf"),
                 "features": _top_features(feature_errors[row], feature_names, rules.top_features)}
        if last is not None and last["state"] == "open":
            if time - pd.Timestamp(last["end"]) <= rules.close_after:
                _extend(last, point)
                touched[id(last)] = last
                continue
            last["state"] = "closed"
            touched[id(last)] = last
        if last is not None and time < pd.Timestamp(last["end"]) + rules.cooldown:
            continue
        pending = [p for p in pending if pd.Timestamp(p["time"]) >= time - rules.within] + [point]
        if len(pending) >= rules.min_points:
            last = {"new": True, "series": series, "start": pending[0]["time"], "end": pending[0]["time"],
                    "peak": pending[0]["time"], "peak_score": pending[0]["score"], "severity": pending[0]["severity"],
                    "features": pending[0]["features"], "n_points": 1, "state": "open"}
            for later in pending[1:]:
                _extend(last, later)
            touched[id(last)] = last
            pending = []
    if len(times):
        end = times[-1]
        if last is not None and last["state"] == "open" and end - pd.Timestamp(last["end"]) > rules.close_after:
            last["state"] = "closed"
            touched[id(last)] = last
        pending = [p for p in pending if pd.Timestamp(p["time"]) >= end - rules.within]
    last = None if last is None else {key: value for key, value in last.items() if key != "new"}
    return list(touched.values()), pending, last


def _extend(event: dict, point: dict) -> None:
    """Add a flagged point to an open event: its end, count and (when higher) peak move."""
    event["end"] = point["time"]
    event["n_points"] += 1
    if point["score"] > event["peak_score"]:
        event.update(peak=point["time"], peak_score=point["score"], severity=point["severity"], features=point["features"])


def _top_features(errors: np.ndarray, names: list[str], count: int) -> str:
    """The ``count`` features with the largest finite errors, comma-separated."""
    order = np.argsort(-np.nan_to_num(errors, nan=-np.inf), kind="stable")[:count]
    return ",".join(names[j] for j in order if np.isfinite(errors[j]))
