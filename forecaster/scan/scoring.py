"""Score a group of series incrementally: new rows after their context, in one batched predict.

:func:`scan_group` is the unit of work of a scan: pure computation (no store,
no files), so the local engine and a worker of a distributed one call the same
function. Each series brings its new rows and the :class:`SeriesContext` its
last scan left; the group goes through :func:`~forecaster.anomaly.pipeline.score_points`
(one batched ``point_errors`` call), each series' own threshold and
:func:`~forecaster.anomaly.events.advance_events`: the functions
:func:`forecaster.anomaly.detect` calls, each series continued from its
context, so a point gets the scores and events a scan of all data at once
gives it (the likelihood's rolling statistics to within float rounding).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecaster.anomaly.detectors import WindowDetector
from forecaster.anomaly.events import EventRules, EventState, advance_events
from forecaster.anomaly.pipeline import normal_rows, score_points
from forecaster.anomaly.thresholds import SeriesThresholds, flag_errors
from forecaster.config import AnomalyConfig
from forecaster.data.series import SeriesCollection
from forecaster.scan.context import SeriesContext
from forecaster.store import utc_naive


@dataclass
class SeriesInput:
    """One series' rows to score.

    Attributes:
        series: the series id.
        times: ``(n_rows,)`` naive timestamps (UTC when the data has a zone), increasing, after the watermark.
        values: float64 ``(n_rows, n_features)``.
        context: what the last scan left, or ``None`` for a series scanned from scratch.
        write_from: only rows at or after this time are returned (``--rescore-from``
            scores earlier rows to rebuild the context but keeps their stored scores); every
            event found is returned, all marked new. Default ``None``.
        timezone: the zone whose clock the series keeps (``data.timezone``), or ``None``: the
            seasonal signals and ``anomaly.normal`` dates read its local clock, as
            :func:`~forecaster.anomaly.detect` reads the zoned data. Default ``None``.
    """

    series: str
    times: pd.DatetimeIndex
    values: np.ndarray
    context: SeriesContext | None = None
    write_from: pd.Timestamp | None = None
    timezone: str | None = None


@dataclass
class SeriesResult:
    """One series' scan.

    Attributes:
        series: the series id.
        points: one row per new point: ``time`` and the score columns of the store
            (``error``, ``threshold``, ``likelihood``, ``log_likelihood``,
            ``source``, ``flag``, ``alarm``) and ``error_<feature>``.
        events: events opened, extended or closed (:func:`~forecaster.anomaly.events.advance_events`
            dicts, ``new`` true for those opened; no store id: the store finds an extended event by series and
            start, and a re-score's events are matched with the stored ones by the scanner).
        context: the context for the next scan.
        skipped: why the series was not scored (``points`` is then empty), or ``None``.
        scaling_fitted: whether this scan fitted the series' scaling (``anomaly.unseen_series: fit``).
    """

    series: str
    points: pd.DataFrame
    events: list[dict] = field(default_factory=list)
    context: SeriesContext | None = None
    skipped: str | None = None
    scaling_fitted: bool = False


def scan_group(
    detector: WindowDetector,
    config: AnomalyConfig,
    thresholds: SeriesThresholds,
    rules: EventRules,
    feature_names: list[str],
    inputs: list[SeriesInput],
) -> list[SeriesResult]:
    """Score the new rows of a group of series and advance their events, continuing each from its context.

    A per-series detector gets the scaling a context stored for a series it
    does not know; a series it knows no scaling for is fitted one on its
    normal rows (by ``config.normal``) when ``config.unseen_series`` is
    ``fit``, and skipped otherwise.

    Args:
        detector: the fitted detector (per-series scalings may be added to it).
        config: the ``anomaly`` section used to score (signals, smoothing, likelihood, alarms).
        thresholds: each series' fixed threshold on the smoothed detector error
            (:func:`~forecaster.anomaly.pipeline.reference_thresholds`).
        rules: event persistence, cooldown and closing (:func:`~forecaster.anomaly.events.event_rules`).
        feature_names: the value columns, in order.
        inputs: the series, each with at least one new row.

    Returns:
        One :class:`SeriesResult` per input, in order (skipped ones with their reason).
    """
    contexts = {item.series: item.context or SeriesContext.empty(len(feature_names)) for item in inputs}
    results = {}
    for same_clock in _by_zone(inputs):
        fitted, skipped = _prepare_scaling(detector, config, same_clock, contexts)
        results.update(
            {series: SeriesResult(series, pd.DataFrame(), skipped=reason) for series, reason in skipped.items()}
        )
        scored = [item for item in same_clock if item.series not in skipped]
        if scored:
            for result in _score(
                detector, config, thresholds, rules, feature_names, scored, [contexts[item.series] for item in scored]
            ):
                result.scaling_fitted = result.series in fitted
                results[result.series] = result
    return [results[item.series] for item in inputs]


def _by_zone(inputs: list[SeriesInput]) -> list[list[SeriesInput]]:
    """The inputs in one list per zone (in order of first appearance): each list is scored on its own clock.

    Files of one folder may carry different UTC offsets when ``data.timezone``
    is unset, so a group can hold several zones; a pass per zone, not per series.
    """
    zones: dict = {}
    for item in inputs:
        zones.setdefault(item.timezone, []).append(item)
    return list(zones.values())


MIN_UNSEEN_WINDOWS = 4
"""Windows' worth of declared-normal rows a series unseen in training needs before its scaling is fitted
(``anomaly.unseen_series: fit``): fitted from fewer rows, its mean and scale would be noise, kept for good."""


def _prepare_scaling(
    detector: WindowDetector, config: AnomalyConfig, inputs: list[SeriesInput], contexts: dict[str, SeriesContext]
) -> tuple[set[str], dict[str, str]]:
    """Give a per-series detector the scaling of every series: stored in its context, or fitted now when allowed.

    Returns:
        ``(fitted, skipped)``: the series fitted now, and ``{series: reason}`` for those left unscaled.
    """
    unseen = detector.unseen_series([item.series for item in inputs])
    stored = [series for series in unseen if contexts[series].scaling is not None]
    if stored:
        detector.add_series_scaling(
            stored,
            np.stack([contexts[s].scaling[0] for s in stored]),
            np.stack([contexts[s].scaling[1] for s in stored]),
        )
    missing = [item for item in inputs if item.series in set(unseen) - set(stored)]
    if not missing:
        return set(), {}
    if config.unseen_series == "refuse":
        reason = "the detector has no scaling for this series (set anomaly.unseen_series: fit)"
        return set(), {item.series: reason for item in missing}
    offsets = np.cumsum([0] + [len(item.values) for item in missing])
    frame = pd.DataFrame(np.concatenate([item.values for item in missing]), index=_local_times(missing))
    normal = normal_rows(SeriesCollection(frame, tuple(item.series for item in missing), offsets, "s"), config)
    usable = normal & np.isfinite(frame.to_numpy()).all(axis=1)
    counts = np.add.reduceat(usable.astype(np.int64), offsets[:-1]) if len(usable) else np.zeros(len(missing), int)
    needed = MIN_UNSEEN_WINDOWS * detector.window_length
    too_few = {
        item.series: f"only {count} declared-normal rows to fit its scaling from, at least {needed} needed "
        f"({MIN_UNSEEN_WINDOWS} windows); it is scaled and scored once a scan sees that many"
        for item, count in zip(missing, counts)
        if count < needed
    }
    kept = [k for k, item in enumerate(missing) if item.series not in too_few]
    rows = np.concatenate([np.arange(offsets[k], offsets[k + 1]) for k in kept]) if kept else np.zeros(0, np.int64)
    fitted = (
        detector.fit_unseen_series(
            frame.to_numpy()[rows],
            normal[rows],
            np.cumsum([0] + [offsets[k + 1] - offsets[k] for k in kept]),
            [missing[k].series for k in kept],
        )
        if kept
        else []
    )
    position = {series: row for row, series in enumerate(detector.series_ids_)}
    for series in fitted:
        contexts[series].scaling = (detector.mean_[position[series]], detector.scale_[position[series]])
    return set(fitted), too_few


def _score(
    detector: WindowDetector,
    config: AnomalyConfig,
    thresholds: SeriesThresholds,
    rules: EventRules,
    feature_names: list[str],
    inputs: list[SeriesInput],
    contexts: list[SeriesContext],
) -> list[SeriesResult]:
    """Score series that all have a scaling (see :func:`scan_group`)."""
    series_ids = [item.series for item in inputs]
    offsets = np.cumsum([0] + [len(item.values) for item in inputs])
    values = np.concatenate([item.values for item in inputs])
    local = _local_times(inputs)
    scored = score_points(detector, config, values, local, offsets, series_ids, states=contexts)
    times = utc_naive(local)
    flags, levels = flag_errors(scored.error, config.threshold, thresholds, offsets, series_ids)
    touched, event_states = advance_events(
        flags,
        scored.error,
        levels,
        times,
        rules,
        offsets=offsets,
        series_ids=series_ids,
        feature_errors=scored.feature_errors,
        feature_names=feature_names,
        states={item.series: EventState(context.pending, context.event) for item, context in zip(inputs, contexts)},
    )
    results = []
    for k, (item, context) in enumerate(zip(inputs, contexts)):
        rows = slice(offsets[k], offsets[k + 1])
        points = pd.DataFrame(
            {
                "time": item.times,
                "error": scored.error[rows],
                "threshold": levels[rows],
                "likelihood": scored.likelihood[rows],
                "log_likelihood": scored.log_likelihood[rows],
                "source": scored.source[rows].astype(str),
                "flag": flags[rows],
                "alarm": scored.alarm[rows],
            }
        )
        for j, name in enumerate(feature_names):
            points[f"error_{name}"] = scored.feature_errors[rows, j]
        events = [event for event in touched if event["series"] == item.series]
        state = event_states[item.series]
        next_context = SeriesContext(
            **vars(scored.states[k]), pending=state.pending, event=state.event, scaling=context.scaling
        )
        if item.write_from is not None:  # every event found is kept: the scanner matches them with the stored ones
            points = points[points["time"] >= item.write_from].reset_index(drop=True)
        results.append(SeriesResult(item.series, points, events, next_context))
    return results


def _local_times(inputs: list[SeriesInput]) -> pd.DatetimeIndex:
    """The times of inputs of one zone, series after series, in that zone (as ``detect`` has them), or naive."""
    times = pd.DatetimeIndex(np.concatenate([item.times.as_unit("ns").asi8 for item in inputs]))
    zone = inputs[0].timezone
    return times if zone is None else times.tz_localize("UTC").tz_convert(zone)
