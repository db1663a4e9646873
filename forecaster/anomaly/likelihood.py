"""The anomaly likelihood: how unusual the recent error is against the errors seen so far.

After Numenta's anomaly likelihood (Ahmad et al., Neurocomputing 2017): the
mean error of the last ``window`` points is compared with a Gaussian fitted to
the same moving mean over the ``history`` points before them, in each series
on its own. The likelihood is the Gaussian's cumulative probability of the
recent mean, so errors are comparable across series and files whatever their
scale, and the reference follows drift. Every value depends only on the point
and earlier points of its series.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

LOG_SCALE = 10.0 * np.log(10.0)  # ln 1e10: the log likelihood is 0.5 at a tail probability of 1e-10
IQR_TO_STD = 1.349  # the interquartile range of a normal distribution over its standard deviation


def anomaly_likelihood(
    errors: np.ndarray,
    offsets: np.ndarray | None = None,
    history: int = 2000,
    window: int = 8,
    min_history: int | None = None,
    relative_floor: float = 0.2,
    robust: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Map point errors to an anomaly likelihood in [0, 1], causally and per series.

    For point ``t``, ``recent`` is the mean of the last ``window`` errors; the
    reference is the mean ``mu`` and standard deviation ``sigma`` of
    ``recent`` over the ``history`` points before ``t``. With ``z = (recent -
    mu) / max(sigma, relative_floor * mu)``, the likelihood is ``Phi(z)`` (the
    standard normal CDF). The log likelihood ``s / (s + ln 1e10)``, with
    ``s = -ln(1 - Phi(z))``, keeps apart the rare values that ``Phi`` rounds
    to 1 and never saturates (0.33 means a tail probability of 1e-5, 0.5 of
    1e-10, 0.67 of 1e-20), so ranking and thresholds work across series. Points with
    fewer than ``min_history`` reference points get likelihood 0.5 and log
    likelihood 0. NaN errors are skipped in the means.

    Args:
        errors: float ``(n_rows,)`` combined point errors in time order.
        offsets: int ``(n_series + 1,)`` row boundaries of the series; ``None``
            for one series. Default ``None``.
        history: reference points before each point. Default 2000.
        window: errors averaged into the recent error. Default 8.
        min_history: reference points needed before scoring; ``None`` uses
            ``min(history, 10 * window)``. Default ``None``.
        relative_floor: lower bound of ``sigma`` as a share of ``mu``, so a
            near-constant error does not make every small change extreme. Default 0.2.
        robust: use the median for ``mu`` and the interquartile range / 1.349
            for ``sigma`` (Huber & Ronchetti, "Robust Statistics", 2009), so
            earlier anomalies in the history do not widen the reference and
            mask later ones. Default False.

    Returns:
        ``(likelihood, log_likelihood)``, two float64 ``(n_rows,)`` arrays in [0, 1].
    """
    errors = np.asarray(errors, dtype=np.float64)
    bounds = np.array([0, errors.size]) if offsets is None else np.asarray(offsets)
    min_history = min(history, 10 * window) if min_history is None else min_history
    log_sf = np.zeros(errors.size)
    ready = np.zeros(errors.size, dtype=bool)
    for start, end in zip(bounds[:-1], bounds[1:]):
        recent = pd.Series(errors[start:end]).rolling(window, min_periods=1).mean()
        past = recent.shift(1).rolling(history, min_periods=min_history)
        if robust:
            mean = past.median().to_numpy()
            std = ((past.quantile(0.75) - past.quantile(0.25)) / IQR_TO_STD).to_numpy()
        else:
            mean, std = past.mean().to_numpy(), past.std().to_numpy()
        scale = np.maximum(std, relative_floor * np.abs(mean)) + 1e-12
        with np.errstate(invalid="ignore"):
            z = (recent.to_numpy() - mean) / scale
        finite = np.isfinite(z)
        log_sf[start:end][finite] = stats.norm.logsf(z[finite])
        ready[start:end] = finite
    likelihood = np.where(ready, -np.expm1(log_sf), 0.5)
    log_likelihood = np.where(ready, -log_sf / (LOG_SCALE - log_sf), 0.0)
    return likelihood, log_likelihood


def most_surprising(
    signals: dict[str, np.ndarray],
    offsets: np.ndarray | None = None,
    history: int = 2000,
    window: int = 8,
    robust: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Score several error signals of the same points and keep, per point, the most surprising one.

    Each signal (say a detector's error and a seasonal-profile error) gets its
    own :func:`anomaly_likelihood`, so signals on any scale compete on the
    same footing; the point's score is the largest log likelihood.

    Args:
        signals: ``{name: float (n_rows,) errors}``, at least one.
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.
        history: reference points of each likelihood. Default 2000.
        window: errors averaged into the recent error. Default 8.
        robust: median and interquartile reference (see :func:`anomaly_likelihood`). Default False.

    Returns:
        ``(likelihood, log_likelihood, source)``: the chosen signal's likelihood
        and log likelihood, float64 ``(n_rows,)``, and its name per point.
    """
    names = list(signals)
    scored = [
        anomaly_likelihood(signals[name], offsets, history=history, window=window, robust=robust) for name in names
    ]
    logs = np.stack([log_likelihood for _, log_likelihood in scored])
    pick = np.argmax(logs, axis=0)
    likelihood = np.stack([value for value, _ in scored])[pick, np.arange(logs.shape[1])]
    return likelihood, logs[pick, np.arange(logs.shape[1])], np.asarray(names, dtype=object)[pick]


def suppress_repeats(scores: np.ndarray, level: float, rows: int, offsets: np.ndarray | None = None) -> np.ndarray:
    """Silence the scores that follow a detection: one alarm per anomaly, not one per row.

    A score is set to 0 when any of the ``rows`` scores before it in its series
    reached ``level`` (suppressed scores still count, so a long anomaly stays
    one alarm). Causal: each output depends on the score and earlier scores.

    Args:
        scores: float ``(n_rows,)`` anomaly scores in time order.
        level: score that counts as an alarm.
        rows: points silenced after an alarm.
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.

    Returns:
        float64 ``(n_rows,)``.
    """
    scores = np.asarray(scores, dtype=np.float64)
    bounds = np.array([0, scores.size]) if offsets is None else np.asarray(offsets)
    series = np.repeat(np.arange(len(bounds) - 1), np.diff(bounds))
    alarms = pd.Series((scores >= level).astype(np.float64))
    recent = alarms.groupby(series).transform(lambda part: part.shift(1).rolling(rows, min_periods=1).max())
    return np.where(recent.fillna(0.0).to_numpy() > 0, 0.0, scores)
