"""From a config and a series collection to per-point scores and anomaly events."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from forecaster.anomaly.detectors import WindowDetector, make_detector
from forecaster.anomaly.events import event_rules, find_events
from forecaster.anomaly.likelihood import most_surprising, suppress_repeats
from forecaster.anomaly.seasonal import seasonal_errors
from forecaster.anomaly.signals import absolute_change
from forecaster.anomaly.thresholds import SeriesThresholds, fit_series_thresholds, flag_errors
from forecaster.config import AnomalyConfig, ForecasterConfig, detector_kwargs
from forecaster.data.series import SeriesCollection, align_to_index
from forecaster.errors import ConfigError, DataError

logger = logging.getLogger(__name__)


@dataclass
class DetectionResult:
    """Scores and events of one detection run.

    Attributes:
        scores: one row per point: ``series``, ``time``, ``normal`` (declared
            normal and held in the file), ``filled`` (a row the data layer
            filled: not scored), ``error`` (combined, smoothed), ``threshold``, ``flag``,
            ``likelihood`` and ``log_likelihood`` (of the most surprising error
            signal, named in ``source``), ``alarm`` (the log likelihood with
            repeats silenced) and ``error_<column>`` per feature.
        events: one row per event (see :func:`~forecaster.anomaly.events.find_events`).
        metrics: JSON-ready summary (counts, threshold, flag rates, training).
        detector: the fitted detector.
        collection: the scored series.
        config: the ``anomaly`` section it was scored with (smoothing, threshold, events).
    """

    scores: pd.DataFrame
    events: pd.DataFrame
    metrics: dict
    detector: WindowDetector
    collection: SeriesCollection
    config: AnomalyConfig


def normal_rows(collection: SeriesCollection, config: AnomalyConfig) -> np.ndarray:
    """Return which rows are declared normal, by ``config.normal``.

    Args:
        collection: the series.
        config: the ``anomaly`` section.

    Returns:
        bool ``(n_rows,)``: the first ``normal_fraction`` of each series
        (``first``), the rows from ``normal_start`` to ``normal_end`` (``dates``)
        or every row (``all``).
    """
    n_rows = len(collection.frame)
    if config.normal == "all":
        return np.ones(n_rows, dtype=bool)
    if config.normal == "dates":
        index = collection.frame.index
        start = None if config.normal_start is None else align_to_index(config.normal_start, index)
        end = None if config.normal_end is None else align_to_index(config.normal_end, index)
        mask = np.ones(n_rows, dtype=bool)
        if start is not None:
            mask &= index >= start
        if end is not None:
            mask &= index <= end
        return mask
    position = np.arange(n_rows) - np.repeat(collection.offsets[:-1], collection.lengths())
    limit = np.repeat(np.floor(config.normal_fraction * collection.lengths()), collection.lengths())
    return position < limit


def combine_errors(errors: np.ndarray) -> np.ndarray:
    """Return the mean over features of per-feature errors, ``(n_rows, n_features)`` to ``(n_rows,)`` (NaN skipped)."""
    errors = np.asarray(errors, dtype=np.float64)
    observed = np.isfinite(errors)
    counts = observed.sum(axis=1)
    with np.errstate(invalid="ignore"):
        return np.where(counts > 0, np.where(observed, errors, 0.0).sum(axis=1) / counts, np.nan)


def smooth_errors(
    errors: np.ndarray, span: int, offsets: np.ndarray | None = None, initial: np.ndarray | None = None
) -> np.ndarray:
    """Exponentially weighted moving average of errors, causal and per series (``span`` 0 or 1 returns them).

    With ``adjust=False`` the average's first output is its first input, so
    starting a series from its last smoothed value (``initial``) continues the
    recursion exactly as if its earlier rows were smoothed with it.

    Args:
        errors: float ``(n_rows,)``.
        span: EWMA span (``alpha = 2 / (span + 1)``); NaN are skipped.
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.
        initial: float ``(n_series,)`` each series' last smoothed value before
            these rows (NaN: none); ``None`` starts every series afresh. Default ``None``.

    Returns:
        float64 ``(n_rows,)``.
    """
    errors = np.asarray(errors, dtype=np.float64)
    if span <= 1:
        return errors
    bounds = np.array([0, errors.size]) if offsets is None else np.asarray(offsets)
    if initial is not None:
        lengths = np.diff(bounds)
        extended = np.insert(errors, bounds[:-1], initial)
        smoothed = smooth_errors(extended, span, np.cumsum([0, *(lengths + 1)]))
        return np.delete(smoothed, bounds[:-1] + np.arange(len(lengths)))
    series = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    smoothed = (
        pd.Series(errors)
        .groupby(series)
        .transform(lambda part: part.ewm(span=span, adjust=False, ignore_na=True).mean())
    )
    return np.where(np.isnan(errors), np.nan, smoothed.to_numpy())


@dataclass
class ScoringState:
    """What scoring a series' next rows needs from its earlier rows.

    A point's scores depend on earlier rows: the detector's window, the
    seasonal reference cycles back, the EWMA of the errors, the likelihood's
    history and the alarm's quiet period. Scoring new rows from the state their
    series' earlier rows left gives each the scores that scoring all rows at
    once gives it (the likelihood's rolling statistics to within float rounding).

    Attributes:
        times: int64 ``(n_raw,)`` the last raw rows' times: nanoseconds since the epoch
            (UTC for zoned timestamps: unique and increasing across clock changes; the
            seasonal signals read them on the local clock), or step numbers.
        values: float64 ``(n_raw, n_features)`` their values.
        signals: ``{signal: float64 (n_tail,)}`` the last smoothed error signals, all of one length.
        ewma: ``{signal: float}`` the last finite smoothed value of each signal (NaN when none).
        log_likelihood: float64 ``(n_quiet,)`` the last log likelihoods (for alarm silencing).
    """

    times: np.ndarray
    values: np.ndarray
    signals: dict[str, np.ndarray]
    ewma: dict[str, float]
    log_likelihood: np.ndarray

    @classmethod
    def empty(cls, n_features: int) -> "ScoringState":
        """The state of a series with no scored rows yet."""
        return cls(
            times=np.empty(0, dtype=np.int64),
            values=np.empty((0, n_features)),
            signals={},
            ewma={},
            log_likelihood=np.empty(0),
        )


@dataclass
class PointScores:
    """Every score of the rows of one or more series (see :func:`score_points`).

    Attributes:
        feature_errors: float32 ``(n_rows, n_features)`` the detector's point errors per feature.
        signals: ``{signal: float64 (n_rows,)}`` the smoothed error signals (:func:`error_signals`).
        likelihood: float64 ``(n_rows,)`` the most surprising signal's anomaly likelihood.
        log_likelihood: float64 ``(n_rows,)`` its log likelihood.
        source: object ``(n_rows,)`` that signal's name.
        alarm: float64 ``(n_rows,)`` the log likelihood with repeats silenced.
        states: the state each series leaves for scoring its next rows, when asked for.
    """

    feature_errors: np.ndarray
    signals: dict[str, np.ndarray]
    likelihood: np.ndarray
    log_likelihood: np.ndarray
    source: np.ndarray
    alarm: np.ndarray
    states: list[ScoringState] | None = None

    @property
    def error(self) -> np.ndarray:
        """The smoothed detector error, the one the threshold flags."""
        return self.signals["detector"]


def _instants(times: pd.Index | np.ndarray) -> np.ndarray:
    """Return times as int64: nanoseconds since the epoch of timestamps (UTC for zoned ones), else the numbers themselves."""
    if isinstance(times, pd.DatetimeIndex):
        return times.as_unit("ns").asi8
    return np.asarray(times).astype(np.int64)


def _wall_clock(instants: np.ndarray, zone) -> np.ndarray:
    """Return instants (from :func:`_instants`) as int64 wall-clock nanoseconds in ``zone``; ``None`` keeps them."""
    if zone is None:
        return instants
    return pd.DatetimeIndex(instants).tz_localize("UTC").tz_convert(zone).tz_localize(None).as_unit("ns").asi8


def score_points(
    detector: WindowDetector,
    config: AnomalyConfig,
    values: np.ndarray,
    times: pd.Index | np.ndarray,
    offsets: np.ndarray | None = None,
    series_ids: list | None = None,
    states: list[ScoringState] | None = None,
) -> PointScores:
    """Score rows with a fitted detector: point errors, error signals, likelihood and alarm, continuing each series.

    The one scoring path of :func:`detect` (every row of each series, from
    nothing) and of scans (the new rows of each series, from the state its
    earlier rows left): each series' rows are preceded by the raw rows its
    state keeps for the detector's window and the seasonal and change signals,
    the smoothing continues from its last value, and the likelihood and alarm
    read the signal and log-likelihood tails of the state.

    Args:
        detector: the fitted detector.
        config: the ``anomaly`` section: ``mode``, ``ewma_span``, ``alarm_signals``,
            ``seasonal_periods``, ``seasonal_cycles``, likelihood and alarm settings.
        values: float64 ``(n_rows, n_features)`` the rows to score, series after series; NaN where missing.
        times: ``(n_rows,)`` their timestamps (or step numbers); the seasonal signals
            compare zoned ones by their local clock, continued states included.
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.
        series_ids: one id per series (a detector scaled per series needs them). Default ``None``.
        states: each series' :class:`ScoringState`, to continue from (a series
            scored for the first time has :meth:`ScoringState.empty`) and to
            return updated in ``states``; ``None`` scores every series from its
            first row and keeps no state. Default ``None``.

    Returns:
        The :class:`PointScores` of the rows.

    Raises:
        DataError: as :meth:`~forecaster.anomaly.detectors.WindowDetector.point_errors` does.
    """
    values = np.asarray(values, dtype=np.float64)
    bounds = np.array([0, len(values)]) if offsets is None else np.asarray(offsets)
    carried = _carried(
        states, lambda state: state.values[len(state.values) - min(len(state.values), detector.window_length - 1) :]
    )
    rows = _after(carried, values, bounds)
    feature_errors = detector.point_errors(rows.values, rows.offsets, mode=config.mode, series_ids=series_ids)[rows.new]
    signals = error_signals(combine_errors(feature_errors), values, times, config, bounds, states)
    ranking = alarm_scores(signals, config, bounds, states)
    scores = PointScores(
        feature_errors, signals, ranking["likelihood"], ranking["log_likelihood"], ranking["source"], ranking["alarm"]
    )
    if states is not None:
        scores.states = _next_states(states, scores, values, times, bounds, detector.window_length - 1, config)
    return scores


def error_signals(
    error: np.ndarray,
    values: np.ndarray,
    times: pd.Index | np.ndarray,
    config: AnomalyConfig,
    offsets: np.ndarray | None = None,
    states: list[ScoringState] | None = None,
) -> dict[str, np.ndarray]:
    """The error signals the alarm score weighs: the detector's error, the change and the seasonal-profile errors.

    Args:
        error: float ``(n_rows,)`` the detector's combined point errors.
        values: float ``(n_rows, n_features)`` the scored values.
        times: ``(n_rows,)`` their timestamps; the seasonal errors read zoned ones on their local clock.
        config: the ``anomaly`` section (``seasonal_periods``, ``seasonal_cycles``, ``ewma_span``, ``alarm_signals``).
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.
        states: each series' state (its raw rows and last smoothed values) to
            continue from; ``None`` starts every series afresh. Default ``None``.

    Returns:
        ``{"detector": error, "seasonal_<period>": errors, ...}`` and
        ``"change"`` (:func:`~forecaster.anomaly.signals.absolute_change`) when
        ``alarm_signals`` names it; float64 ``(n_rows,)`` each, every one
        smoothed by ``ewma_span`` (the seasonal errors are averaged over
        features like the detector's).
    """
    values = np.asarray(values, dtype=np.float64)
    bounds = np.array([0, len(values)]) if offsets is None else np.asarray(offsets)
    raw = _after(_carried(states, lambda state: state.values), values, bounds)
    signals = {"detector": np.asarray(error, dtype=np.float64)}
    if "change" in config.alarm_signals:
        signals["change"] = absolute_change(raw.values, raw.offsets)[raw.new]
    if config.seasonal_periods:
        stamps = (
            times
            if states is None
            else _wall_clock(
                _after(_carried(states, lambda state: state.times), _instants(times), bounds).values,
                getattr(times, "tz", None),
            )
        )
        for period in config.seasonal_periods:
            seasonal = seasonal_errors(raw.values, stamps, period, config.seasonal_cycles, raw.offsets)[raw.new]
            signals[f"seasonal_{period}"] = combine_errors(seasonal)
    return {
        name: smooth_errors(
            signal,
            config.ewma_span,
            bounds,
            None if states is None else np.array([state.ewma.get(name, np.nan) for state in states]),
        )
        for name, signal in signals.items()
    }


def alarm_scores(
    signals: dict[str, np.ndarray],
    config: AnomalyConfig,
    offsets: np.ndarray | None = None,
    states: list[ScoringState] | None = None,
) -> dict[str, np.ndarray]:
    """Turn error signals into ranking scores in [0, 1] and an alarm score with one alarm per anomaly.

    Args:
        signals: from :func:`error_signals`; the seasonal ones and those
            ``config.alarm_signals`` names are weighed.
        config: the ``anomaly`` section (likelihood and alarm settings).
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.
        states: each series' state (its signal and log-likelihood tails) to
            continue from; ``None`` starts every series afresh. Default ``None``.

    Returns:
        ``{"likelihood", "log_likelihood", "source", "alarm"}``: the most
        surprising signal's likelihood and log likelihood, its name, and the log
        likelihood with the ``alarm_quiet_rows`` after each alarm (a value of at
        least ``alarm_level``) set to 0. All causal.
    """
    first = next(iter(signals.values()))
    bounds = np.array([0, len(first)]) if offsets is None else np.asarray(offsets)
    weighed = {
        name: _after(_carried(states, lambda state, name=name: state.signals.get(name, np.empty(0))), errors, bounds)
        for name, errors in signals.items()
        if name in config.alarm_signals or name.startswith("seasonal_")
    }
    tail = next(iter(weighed.values()))
    likelihood, log_likelihood, source = most_surprising(
        {name: rows.values for name, rows in weighed.items()},
        tail.offsets,
        history=config.likelihood_history,
        window=config.likelihood_window,
        robust=config.likelihood_robust,
    )
    likelihood, log_likelihood, source = likelihood[tail.new], log_likelihood[tail.new], source[tail.new]
    alarm = log_likelihood
    if config.alarm_quiet_rows:
        quiet = _after(_carried(states, lambda state: state.log_likelihood), log_likelihood, bounds)
        alarm = suppress_repeats(quiet.values, config.alarm_level, config.alarm_quiet_rows, quiet.offsets)[quiet.new]
    return {"likelihood": likelihood, "log_likelihood": log_likelihood, "source": source, "alarm": alarm}


@dataclass
class _Rows:
    """Each series' carried rows, then its rows to score, stacked; ``new`` selects the rows to score."""

    values: np.ndarray
    offsets: np.ndarray
    new: np.ndarray

    def part(self, k: int) -> np.ndarray:
        return self.values[self.offsets[k] : self.offsets[k + 1]]


def _carried(states: list[ScoringState] | None, pick) -> list[np.ndarray] | None:
    """What each state carries of one kind (``pick(state)``), or ``None`` without states."""
    return None if states is None else [pick(state) for state in states]


def _after(carried: list[np.ndarray] | None, rows: np.ndarray, offsets: np.ndarray) -> _Rows:
    """Stack each series' carried rows before its rows (``offsets``); without carried rows, the rows themselves."""
    if carried is None:
        return _Rows(rows, offsets, np.ones(len(rows), dtype=bool))
    pieces, new = [], []
    for k, before in enumerate(carried):
        pieces += [before, rows[offsets[k] : offsets[k + 1]]]
        new += [np.zeros(len(before), dtype=bool), np.ones(offsets[k + 1] - offsets[k], dtype=bool)]
    lengths = np.diff(offsets) + np.array([len(before) for before in carried], dtype=np.int64)
    return _Rows(np.concatenate(pieces), np.cumsum([0, *lengths]), np.concatenate(new))


def _next_states(
    states: list[ScoringState],
    scores: PointScores,
    values: np.ndarray,
    times: pd.Index | np.ndarray,
    offsets: np.ndarray,
    n_window: int,
    config: AnomalyConfig,
) -> list[ScoringState]:
    """The state each series leaves: raw rows for the window and seasonal reach, signal and log-likelihood tails.

    The seasonal reach is measured on the clock the seasonal errors read
    (:func:`~forecaster.anomaly.seasonal.seasonal_errors`: the running maximum
    of the local wall clock, which goes back an hour when daylight saving ends),
    and kept from the first row at that clock time, so the rows kept have the
    running maximum of all the series' rows.
    """
    raw = _after([state.values for state in states], values, offsets)
    instants = _after([state.times for state in states], _instants(times), offsets)
    walls = _wall_clock(instants.values, getattr(times, "tz", None))
    tails = {
        name: _after([state.signals.get(name, np.empty(0)) for state in states], signal, offsets)
        for name, signal in scores.signals.items()
    }
    quiet = _after([state.log_likelihood for state in states], scores.log_likelihood, offsets)
    n_series = len(offsets) - 1
    owner = np.repeat(np.arange(n_series), np.diff(offsets))
    last = {
        name: pd.Series(signal).groupby(owner).last().reindex(range(n_series)).to_numpy()
        for name, signal in scores.signals.items()
    }
    reach = max((pd.Timedelta(period).value for period in config.seasonal_periods), default=0) * config.seasonal_cycles
    tail_rows = config.likelihood_history + config.likelihood_window
    following = []
    for k, state in enumerate(states):
        series_times = instants.part(k)
        keep = max(n_window, 1)
        if reach and len(series_times):
            wall = walls[instants.offsets[k] : instants.offsets[k + 1]]
            clock = np.maximum.accumulate(wall)
            needed = max(np.searchsorted(clock, clock[-1] - reach, side="right") - 1, 0)
            # From the first row of the needed one's clock time on: that row's wall clock is the running maximum.
            keep = max(keep, len(series_times) - np.searchsorted(clock, clock[needed], side="left"))
        following.append(
            ScoringState(
                times=series_times[-keep:],
                values=raw.part(k)[-keep:],
                signals={name: tail.part(k)[-tail_rows:] for name, tail in tails.items()},
                ewma={
                    name: float(state.ewma.get(name, np.nan) if np.isnan(last[name][k]) else last[name][k])
                    for name in last
                },
                log_likelihood=quiet.part(k)[-config.alarm_quiet_rows :] if config.alarm_quiet_rows else np.empty(0),
            )
        )
    return following


def reference_thresholds(detector: WindowDetector, config: AnomalyConfig) -> tuple[np.ndarray, SeriesThresholds | None]:
    """Smooth a detector's reference errors as scored errors are smoothed and fit each series' fixed threshold on them.

    Args:
        detector: the fitted detector (its ``reference_errors_``, segments and their series).
        config: the ``anomaly`` section (``ewma_span``, ``threshold``).

    Returns:
        ``(reference, thresholds)``: the smoothed combined reference errors, float64
        ``(n_reference,)``, and the :class:`~forecaster.anomaly.thresholds.SeriesThresholds`
        (``None`` for the ``dynamic`` method, which has no fixed level).

    Raises:
        DataError: when the reference errors have no finite value (fixed methods).
    """
    reference = smooth_errors(combine_errors(detector.reference_errors_), config.ewma_span, detector.reference_offsets_)
    if config.threshold.method == "dynamic":
        return reference, None
    return reference, fit_series_thresholds(
        reference, detector.reference_offsets_, detector.reference_series_, config.threshold
    )


def detect(
    config: ForecasterConfig,
    collection: SeriesCollection,
    detector: WindowDetector | None = None,
    backup_dir: Path | None = None,
) -> DetectionResult:
    """Fit (unless given) a detector on the normal rows and score every point of ``collection``.

    Rows the data layer filled (``collection.filled``: inserted timestamps,
    missing values) are neither trained on, nor used to calibrate the
    threshold, nor scored, so a filled gap raises no flags.

    A detector trained here on long-format data (``data.id_column``) scales
    each series by its own normal rows; a given detector scaled per series
    fits the scaling of series it does not know when ``anomaly.unseen_series``
    is ``fit`` (``metrics["unseen_series_fitted"]`` names them).

    Scores come from :func:`score_points`, the path scans take too. Fixed
    thresholds are fitted per series on its own reference errors
    (:func:`reference_thresholds`); series with too few, or none, are flagged
    at the pooled level (``metrics["threshold_pooled_series"]`` names them: not the
    series of a detector scaled for all series together, which share its one level
    by design, nor a series whose errors are all the reference errors, as the pooled
    level is then its own).
    Flagged points are grouped into events by ``anomaly.events``
    (:func:`~forecaster.anomaly.events.advance_events`, as scans do).

    Args:
        config: the run config; its ``anomaly`` section chooses detector, normal rows, mode,
            smoothing, threshold, likelihood and events; ``seed`` seeds the training.
        collection: the series; every value column is a feature.
        detector: a fitted detector to apply instead of training one. Default ``None``.
        backup_dir: folder of the resumable backup of the detector's training
            (see :meth:`~forecaster.anomaly.detectors.WindowDetector.fit`); ``None`` disables it. Default ``None``.

    Returns:
        The :class:`DetectionResult`.

    Raises:
        ConfigError: when a series is shorter than one window of the detector.
        DataError: when the normal rows hold no training window, or a series has no
            scaling and ``anomaly.unseen_series`` is ``refuse``.
    """
    cfg = config.anomaly
    # Rows the data layer filled are missing to the detector: never trained on, calibrated with nor flagged.
    values = np.where(collection.filled[:, None], np.nan, collection.frame.to_numpy(dtype=np.float64))
    declared = normal_rows(collection, cfg)
    normal = declared & ~collection.filled
    trained = detector is not None
    detector = detector if trained else make_detector(**detector_kwargs(cfg, config.seed))
    if collection.lengths().min() < detector.window_length:
        raise ConfigError(
            f"anomaly.lookback: a series of {collection.lengths().min()} rows is shorter than one window of "
            f"{detector.window_length} rows; lower anomaly.lookback or score longer series"
        )
    per_series = config.data is not None and config.data.id_column is not None
    fitted_series: list[str] = []
    if not trained:
        logger.info("training the %s detector on %d normal rows", cfg.detector, int(normal.sum()))
        try:
            detector.fit(
                values, normal, collection.offsets, collection.series_ids if per_series else None, backup_dir=backup_dir
            )
        except DataError as error:
            raise DataError(f"{error}{_filled_note(collection, declared)}") from None
    elif cfg.unseen_series == "fit":
        fitted_series = detector.fit_unseen_series(values, normal, collection.offsets, collection.series_ids)
    index = collection.frame.index
    scored = score_points(detector, cfg, values, index, collection.offsets, collection.series_ids)
    error, per_feature = scored.error, scored.feature_errors
    reference, levels = reference_thresholds(detector, cfg)
    flags, thresholds = flag_errors(error, cfg.threshold, levels, collection.offsets, collection.series_ids)
    series_index = np.repeat(np.arange(collection.n_series), collection.lengths())
    scores = pd.DataFrame(
        {
            "series": [collection.series_ids[k] for k in series_index],
            "time": collection.frame.index,
            "normal": normal,
            "filled": collection.filled,
            "error": error,
            "threshold": thresholds,
            "flag": flags,
            "likelihood": scored.likelihood,
            "log_likelihood": scored.log_likelihood,
            "source": scored.source,
            "alarm": scored.alarm,
        }
    )
    for j, column in enumerate(collection.columns):
        scores[f"error_{column}"] = per_feature[:, j]
    events = find_events(
        flags,
        error,
        thresholds,
        index,
        event_rules(cfg, collection.frequency),
        offsets=collection.offsets,
        series_ids=collection.series_ids,
        feature_errors=per_feature,
        feature_names=collection.columns,
    )
    metrics = _summarise(scores, events, detector, reference, cfg)
    metrics["threshold_pooled_series"] = [] if levels is None else levels.pooled_series(collection.series_ids)
    metrics["alarms"] = _count_alarms(scores, cfg.alarm_level)
    metrics["unseen_series_fitted"] = fitted_series
    logger.info("%d of %d points flagged, %d events", metrics["n_flagged"], metrics["n_points"], metrics["n_events"])
    return DetectionResult(scores, events, metrics, detector, collection, cfg)


def _filled_note(collection: SeriesCollection, declared: np.ndarray) -> str:
    """Name the filled rows among the declared normal ones, which training left out (empty when none)."""
    left_out = declared & collection.filled
    if not left_out.any():
        return ""
    first = collection.frame.index[int(np.argmax(left_out))]
    return (
        f" ({int(left_out.sum())} declared normal rows, the first at {first}, were filled gaps and are not trained on)"
    )


def _count_alarms(scores: pd.DataFrame, level: float) -> dict:
    """Alarms (alarm score at least ``level``) in all, and how many each error signal raised."""
    alarms = scores[scores["alarm"] >= level]
    return {
        "level": level,
        "n_alarms": int(len(alarms)),
        "by_source": {str(name): int(count) for name, count in alarms["source"].value_counts().items()},
    }


def _summarise(
    scores: pd.DataFrame, events: pd.DataFrame, detector: WindowDetector, reference: np.ndarray, config: AnomalyConfig
) -> dict:
    normal = scores["normal"].to_numpy()
    flags = scores["flag"].to_numpy()
    history = detector.history_
    return {
        "detector": detector.name,
        "mode": detector.mode,
        "threshold_method": config.threshold.method,
        "threshold": float(np.nanmedian(scores["threshold"])) if scores["threshold"].notna().any() else None,
        "n_points": int(len(scores)),
        "n_scored": int(scores["error"].notna().sum()),
        "n_flagged": int(flags.sum()),
        "n_events": int(len(events)),
        "flag_rate_normal_rows": float(flags[normal].mean()) if normal.any() else None,
        "flag_rate_other_rows": float(flags[~normal].mean()) if (~normal).any() else None,
        "reference_error": {
            "n": int(np.isfinite(reference).sum()),
            "mean": float(np.nanmean(reference)) if reference.size else None,
            "p99": float(np.nanquantile(reference, 0.99)) if reference.size else None,
        },
        "training": {
            "epochs": len(history.get("loss", [])),
            "final_loss": history["loss"][-1] if history.get("loss") else None,
            "best_val_loss": min(history["val_loss"]) if history.get("val_loss") else None,
        },
    }
