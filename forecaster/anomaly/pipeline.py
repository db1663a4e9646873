"""From a config and a series collection to per-point scores and anomaly events."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecaster.anomaly.detectors import WindowDetector, make_detector
from forecaster.anomaly.events import find_events
from forecaster.anomaly.likelihood import most_surprising, suppress_repeats
from forecaster.anomaly.seasonal import seasonal_errors
from forecaster.anomaly.signals import absolute_change
from forecaster.anomaly.thresholds import flag_errors
from forecaster.config import AnomalyConfig, ForecasterConfig
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
    """

    scores: pd.DataFrame
    events: pd.DataFrame
    metrics: dict
    detector: WindowDetector
    collection: SeriesCollection


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


def smooth_errors(errors: np.ndarray, span: int, offsets: np.ndarray | None = None) -> np.ndarray:
    """Exponentially weighted moving average of errors, causal and per series (``span`` 0 or 1 returns them).

    Args:
        errors: float ``(n_rows,)``.
        span: EWMA span (``alpha = 2 / (span + 1)``); NaN are skipped.
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.

    Returns:
        float64 ``(n_rows,)``.
    """
    errors = np.asarray(errors, dtype=np.float64)
    if span <= 1:
        return errors
    bounds = np.array([0, errors.size]) if offsets is None else np.asarray(offsets)
    series = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    smoothed = pd.Series(errors).groupby(series).transform(lambda part: part.ewm(span=span, adjust=False, ignore_na=True).mean())
    return np.where(np.isnan(errors), np.nan, smoothed.to_numpy())


def error_signals(
    error: np.ndarray, values: np.ndarray, times: pd.DatetimeIndex, config: AnomalyConfig,
    offsets: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """The error signals the alarm score weighs: the detector's error and one seasonal-profile error per period.

    Args:
        error: float ``(n_rows,)`` the detector's combined point errors.
        values: float ``(n_rows, n_features)`` the scored values.
        times: ``(n_rows,)`` their timestamps.
        config: the ``anomaly`` section (``seasonal_periods``, ``seasonal_cycles``, ``ewma_span``, ``alarm_signals``).
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.

    Returns:
        ``{"detector": error, "seasonal_<period>": errors, ...}`` and
        ``"change"`` (:func:`~forecaster.anomaly.signals.absolute_change`) when
        ``alarm_signals`` names it; float64 ``(n_rows,)`` each, every one
        smoothed by ``ewma_span`` (the seasonal errors are averaged over
        features like the detector's).
    """
    signals = {"detector": smooth_errors(error, config.ewma_span, offsets)}
    if "change" in config.alarm_signals:
        signals["change"] = smooth_errors(absolute_change(values, offsets), config.ewma_span, offsets)
    for period in config.seasonal_periods:
        seasonal = combine_errors(seasonal_errors(values, times, period, config.seasonal_cycles, offsets))
        signals[f"seasonal_{period}"] = smooth_errors(seasonal, config.ewma_span, offsets)
    return signals


def alarm_scores(signals: dict[str, np.ndarray], config: AnomalyConfig, offsets: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Turn error signals into ranking scores in [0, 1] and an alarm score with one alarm per anomaly.

    Args:
        signals: from :func:`error_signals`; the seasonal ones and those
            ``config.alarm_signals`` names are weighed.
        config: the ``anomaly`` section (likelihood and alarm settings).
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.

    Returns:
        ``{"likelihood", "log_likelihood", "source", "alarm"}``: the most
        surprising signal's likelihood and log likelihood, its name, and the log
        likelihood with the ``alarm_quiet_rows`` after each alarm (a value of at
        least ``alarm_level``) set to 0. All causal.
    """
    weighed = {name: errors for name, errors in signals.items() if name in config.alarm_signals or name.startswith("seasonal_")}
    likelihood, log_likelihood, source = most_surprising(
        weighed, offsets, history=config.likelihood_history, window=config.likelihood_window,
        robust=config.likelihood_robust,
    )
    alarm = log_likelihood
    if config.alarm_quiet_rows:
        alarm = suppress_repeats(log_likelihood, config.alarm_level, config.alarm_quiet_rows, offsets)
    return {"likelihood": likelihood, "log_likelihood": log_likelihood, "source": source, "alarm": alarm}


def detect(
    config: ForecasterConfig, collection: SeriesCollection, detector: WindowDetector | None = None
) -> DetectionResult:
    """Fit (unless given) a detector on the normal rows and score every point of ``collection``.

    Rows the data layer filled (``collection.filled``: inserted timestamps,
    missing values) are neither trained on, nor used to calibrate the
    threshold, nor scored, so a filled gap raises no flags.

    A detector trained here on long-format data (``data.id_column``) scales
    each series by its own normal rows; a given detector scaled per series
    fits the scaling of series it does not know when ``anomaly.unseen_series``
    is ``fit`` (``metrics["unseen_series_fitted"]`` names them).

    Args:
        config: the run config; its ``anomaly`` section chooses detector, normal rows, mode,
            smoothing, threshold, likelihood and events; ``seed`` seeds the training.
        collection: the series; every value column is a feature.
        detector: a fitted detector to apply instead of training one. Default ``None``.

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
    detector = detector if trained else make_detector(cfg, config.seed)
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
            detector.fit(values, normal, collection.offsets, collection.series_ids if per_series else None)
        except DataError as error:
            raise DataError(f"{error}{_filled_note(collection, declared)}") from None
    elif cfg.unseen_series == "fit":
        fitted_series = detector.fit_unseen_series(values, normal, collection.offsets, collection.series_ids)
    per_feature = detector.point_errors(values, collection.offsets, series_ids=collection.series_ids)
    signals = error_signals(combine_errors(per_feature), values, collection.frame.index, cfg, collection.offsets)
    error = signals["detector"]
    reference = smooth_errors(combine_errors(detector.reference_errors_), cfg.ewma_span, detector.reference_offsets_)
    flags, thresholds = flag_errors(error, reference, cfg.threshold, collection.offsets)
    ranking = alarm_scores(signals, cfg, collection.offsets)
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
            "likelihood": ranking["likelihood"],
            "log_likelihood": ranking["log_likelihood"],
            "source": ranking["source"],
            "alarm": ranking["alarm"],
        }
    )
    for j, column in enumerate(collection.columns):
        scores[f"error_{column}"] = per_feature[:, j]
    events = find_events(
        flags, error, thresholds, collection.frame.index, offsets=collection.offsets, series_ids=collection.series_ids,
        feature_errors=per_feature, feature_names=collection.columns, min_gap=cfg.min_gap,
        min_length=cfg.min_length, top_features=cfg.top_features,
    )
    metrics = _summarise(scores, events, detector, reference)
    metrics["alarms"] = _count_alarms(scores, cfg.alarm_level)
    metrics["unseen_series_fitted"] = fitted_series
    logger.info("%d of %d points flagged, %d events", metrics["n_flagged"], metrics["n_points"], metrics["n_events"])
    return DetectionResult(scores, events, metrics, detector, collection)


def _filled_note(collection: SeriesCollection, declared: np.ndarray) -> str:
    """Name the filled rows among the declared normal ones, which training left out (empty when none)."""
    left_out = declared & collection.filled
    if not left_out.any():
        return ""
    first = collection.frame.index[int(np.argmax(left_out))]
    return f" ({int(left_out.sum())} declared normal rows, the first at {first}, were filled gaps and are not trained on)"


def _count_alarms(scores: pd.DataFrame, level: float) -> dict:
    """Alarms (alarm score at least ``level``) in all, and how many each error signal raised."""
    alarms = scores[scores["alarm"] >= level]
    return {"level": level, "n_alarms": int(len(alarms)),
            "by_source": {str(name): int(count) for name, count in alarms["source"].value_counts().items()}}


def _summarise(scores: pd.DataFrame, events: pd.DataFrame, detector: WindowDetector, reference: np.ndarray) -> dict:
    normal = scores["normal"].to_numpy()
    flags = scores["flag"].to_numpy()
    history = detector.history_
    return {
        "detector": detector.name,
        "mode": detector.config.mode,
        "threshold_method": detector.config.threshold.method,
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
