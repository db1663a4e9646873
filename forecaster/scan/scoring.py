"""Score a group of series incrementally: new rows after their context, in one batched predict.

:func:`scan_group` is the unit of work of a scan: pure computation (no store,
no files), so the local engine and a worker of a distributed one call the same
function. Each series brings its new rows and the :class:`SeriesContext` its
last scan left; every series of the group goes through the detector in one
``point_errors`` call, then through the same error signals, likelihood, alarm
silencing and threshold as :func:`forecaster.anomaly.detect`, each continued
from its context, so a point gets the scores a scan of all data at once gives
it (the likelihood's rolling statistics to within float rounding).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from forecaster.anomaly.detectors import WindowDetector
from forecaster.anomaly.likelihood import most_surprising, suppress_repeats
from forecaster.anomaly.pipeline import combine_errors, normal_rows, smooth_errors
from forecaster.anomaly.seasonal import seasonal_errors
from forecaster.config import AnomalyConfig
from forecaster.data.series import SeriesCollection
from forecaster.scan.context import SeriesContext
from forecaster.scan.events import EventRules, advance_events


@dataclass
class SeriesInput:
    """One series' rows to score.

    Attributes:
        series: the series id.
        times: ``(n_rows,)`` naive timestamps, increasing, after the watermark.
        values: float64 ``(n_rows, n_features)``.
        context: what the last scan left, or ``None`` for a series scanned from scratch.
        write_from: only rows at or after this time are returned (``--rescore-from``
            scores earlier rows to rebuild the context but keeps their stored scores). Default ``None``.
    """

    series: str
    times: pd.DatetimeIndex
    values: np.ndarray
    context: SeriesContext | None = None
    write_from: pd.Timestamp | None = None


@dataclass
class SeriesResult:
    """One series' scan.

    Attributes:
        series: the series id.
        points: one row per new point: ``time`` and the score columns of the store
            (``error``, ``threshold``, ``likelihood``, ``log_likelihood``,
            ``source``, ``flag``, ``alarm``) and ``error_<feature>``.
        events: events opened, extended or closed (``id`` ``None`` for new ones).
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
    threshold: float,
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
        threshold: the fixed threshold level on the smoothed detector error.
        rules: event persistence, cooldown and closing.
        feature_names: the value columns, in order.
        inputs: the series, each with at least one new row.

    Returns:
        One :class:`SeriesResult` per input, in order (skipped ones with their reason).
    """
    contexts = {item.series: item.context or _empty_context(len(feature_names)) for item in inputs}
    fitted, skipped = _prepare_scaling(detector, config, inputs, contexts)
    scored = [item for item in inputs if item.series not in skipped]
    results = {series: SeriesResult(series, pd.DataFrame(), skipped=reason) for series, reason in skipped.items()}
    if scored:
        for result in _score(detector, config, threshold, rules, feature_names, scored, [contexts[item.series] for item in scored]):
            result.scaling_fitted = result.series in fitted
            results[result.series] = result
    return [results[item.series] for item in inputs]


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
        detector.add_series_scaling(stored, np.stack([contexts[s].scaling[0] for s in stored]),
                                    np.stack([contexts[s].scaling[1] for s in stored]))
    missing = [item for item in inputs if item.series in set(unseen) - set(stored)]
    if not missing:
        return set(), {}
    if config.unseen_series == "refuse":
        reason = "the detector has no scaling for this series (set anomaly.unseen_series: fit)"
        return set(), {item.series: reason for item in missing}
    offsets = np.cumsum([0] + [len(item.values) for item in missing])
    frame = pd.DataFrame(np.concatenate([item.values for item in missing]),
                         index=pd.DatetimeIndex(np.concatenate([item.times.as_unit("ns").asi8 for item in missing])))
    normal = normal_rows(SeriesCollection(frame, tuple(item.series for item in missing), offsets, "s"), config)
    fitted = detector.fit_unseen_series(frame.to_numpy(), normal, offsets, [item.series for item in missing])
    position = {series: row for row, series in enumerate(detector.series_ids_)}
    for series in fitted:
        contexts[series].scaling = (detector.mean_[position[series]], detector.scale_[position[series]])
    return set(fitted), {}


def _score(
    detector: WindowDetector, config: AnomalyConfig, threshold: float, rules: EventRules, feature_names: list[str],
    inputs: list[SeriesInput], contexts: list[SeriesContext],
) -> list[SeriesResult]:
    """Score series that all have a scaling (see :func:`scan_group`)."""
    n_context = detector.window_length - 1
    detector_rows = _stack([c.values[len(c.values) - min(len(c.values), n_context):] for c in contexts],
                           [item.values for item in inputs])
    per_feature = detector.point_errors(detector_rows.values, detector_rows.offsets, mode="causal",
                                        series_ids=[item.series for item in inputs])[detector_rows.new]
    raw = _stack([c.values for c in contexts], [item.values for item in inputs])
    times = _stack([c.times for c in contexts], [item.times.as_unit("ns").asi8 for item in inputs])
    new_offsets = np.cumsum([0] + [len(item.values) for item in inputs])
    signals = {"detector": combine_errors(per_feature)}
    for period in config.seasonal_periods:
        errors = seasonal_errors(raw.values, pd.DatetimeIndex(times.values), period, config.seasonal_cycles, raw.offsets)
        signals[f"seasonal_{period}"] = combine_errors(errors[raw.new])
    smoothed, ewma = {}, {}
    for name, values in signals.items():
        states = np.array([c.ewma.get(name, np.nan) for c in contexts])
        smoothed[name], ewma[name] = _smooth_continued(values, new_offsets, states, config.ewma_span)
    tails = {name: _stack([c.signals.get(name, np.empty(0)) for c in contexts], [values[new_offsets[k]:new_offsets[k + 1]] for k in range(len(inputs))])
             for name, values in smoothed.items()}
    first = next(iter(tails.values()))
    likelihood, log_likelihood, source = most_surprising(
        {name: tail.values for name, tail in tails.items()}, first.offsets,
        history=config.likelihood_history, window=config.likelihood_window,
    )
    likelihood, log_likelihood, source = likelihood[first.new], log_likelihood[first.new], source[first.new]
    alarm = log_likelihood
    if config.alarm_quiet_rows:
        quiet = _stack([c.log_likelihood for c in contexts], [log_likelihood[new_offsets[k]:new_offsets[k + 1]] for k in range(len(inputs))])
        alarm = suppress_repeats(quiet.values, config.alarm_level, config.alarm_quiet_rows, quiet.offsets)[quiet.new]
    error = smoothed["detector"]
    with np.errstate(invalid="ignore"):
        flags = error > threshold
    results = []
    tail_rows = config.likelihood_history + config.likelihood_window
    for k, item in enumerate(inputs):
        rows = slice(new_offsets[k], new_offsets[k + 1])
        points = pd.DataFrame({
            "time": item.times, "error": error[rows], "threshold": np.full(rows.stop - rows.start, threshold),
            "likelihood": likelihood[rows], "log_likelihood": log_likelihood[rows], "source": source[rows].astype(str),
            "flag": flags[rows], "alarm": alarm[rows],
        })
        for j, name in enumerate(feature_names):
            points[f"error_{name}"] = per_feature[rows, j]
        context = contexts[k]
        touched, pending, last = advance_events(
            item.series, item.times, flags[rows], error[rows], points["threshold"].to_numpy(), per_feature[rows],
            feature_names, rules, context.pending, context.event,
        )
        raw_keep = _raw_tail_length(raw.part(k), times.part(k), n_context, config)
        next_context = SeriesContext(
            times=times.part(k)[-raw_keep:], values=raw.part(k)[-raw_keep:],
            signals={name: tail.part(k)[-tail_rows:] for name, tail in tails.items()},
            ewma={name: float(states[k]) for name, states in ewma.items()},
            log_likelihood=np.concatenate([context.log_likelihood, log_likelihood[rows]])[-config.alarm_quiet_rows:]
            if config.alarm_quiet_rows else np.empty(0),
            pending=pending, event=last, scaling=context.scaling,
        )
        if item.write_from is not None:
            points = points[points["time"] >= item.write_from].reset_index(drop=True)
            touched = [event for event in touched if pd.Timestamp(event["end"]) >= item.write_from]
        results.append(SeriesResult(item.series, points, touched, next_context))
    return results


@dataclass
class _Stacked:
    """Context rows then new rows of each series, stacked; ``new`` selects the new rows."""

    values: np.ndarray
    offsets: np.ndarray
    new: np.ndarray

    def part(self, k: int) -> np.ndarray:
        return self.values[self.offsets[k] : self.offsets[k + 1]]


def _stack(context_parts: list[np.ndarray], new_parts: list[np.ndarray]) -> _Stacked:
    pieces, new = [], []
    for before, after in zip(context_parts, new_parts):
        pieces += [before, after]
        new += [np.zeros(len(before), dtype=bool), np.ones(len(after), dtype=bool)]
    lengths = [len(before) + len(after) for before, after in zip(context_parts, new_parts)]
    return _Stacked(np.concatenate(pieces), np.cumsum([0] + lengths), np.concatenate(new))


def _smooth_continued(errors: np.ndarray, offsets: np.ndarray, states: np.ndarray, span: int) -> tuple[np.ndarray, np.ndarray]:
    """EWMA-smooth each series' errors continuing from its last smoothed value; return them and the new states.

    With ``adjust=False`` the EWMA's first output is its first input, so
    prepending the last smoothed value reproduces the uninterrupted recursion.
    """
    if span <= 1:
        return errors, states
    lengths = np.diff(offsets)
    starts = offsets[:-1] + np.arange(len(lengths))
    extended = np.insert(errors, offsets[:-1], states)
    smoothed = smooth_errors(extended, span, np.cumsum([0, *(lengths + 1)]))
    new = np.ones(extended.size, dtype=bool)
    new[starts] = False
    smoothed = smoothed[new]
    finite = pd.Series(np.where(np.isfinite(smoothed), smoothed, np.nan)).groupby(np.repeat(np.arange(len(lengths)), lengths)).last()
    last = finite.reindex(range(len(lengths))).to_numpy()
    return smoothed, np.where(np.isnan(last), states, last)


def _raw_tail_length(values: np.ndarray, times: np.ndarray, n_context: int, config: AnomalyConfig) -> int:
    """Raw rows the next scan needs: the detector's window and, per seasonal period, the cycles back."""
    keep = n_context
    if config.seasonal_periods and len(times):
        reach = max(pd.Timedelta(period) for period in config.seasonal_periods).value * config.seasonal_cycles
        first_needed = np.searchsorted(times, times[-1] - reach, side="right") - 1
        keep = max(keep, len(times) - max(first_needed, 0))
    return max(1, min(keep, len(values)))


def _empty_context(n_features: int) -> SeriesContext:
    return SeriesContext(times=np.empty(0, dtype=np.int64), values=np.empty((0, n_features)), signals={}, ewma={},
                         log_likelihood=np.empty(0))
