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

LOG_SCALE = 10.0 * np.log(10.0)


def anomaly_likelihood(
    errors: np.ndarray,
    offsets: np.ndarray | None = None,
    history: int = 2000,
    window: int = 8,
    min_history: int | None = None,
    relative_floor: float = 0.2,
) -> tuple[np.ndarray, np.ndarray]:
    """Map point errors to an anomaly likelihood in [0, 1], causally and per series.

    For point ``t``, ``recent`` is the mean of the last ``window`` errors; the
    reference is the mean ``mu`` and standard deviation ``sigma`` of
    ``recent`` over the ``history`` points before ``t``. With ``z = (recent -
    mu) / max(sigma, relative_floor * mu)``, the likelihood is ``Phi(z)`` (the
    standard normal CDF) and the log likelihood is ``-log10(1 - Phi(z)) / 10``
    clipped to [0, 1], which keeps apart the rare values that ``Phi`` rounds
    to 1 (0.5 means a tail probability of 1e-5, 1 of 1e-10 or less). Points with
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
        mean, std = past.mean().to_numpy(), past.std().to_numpy()
        scale = np.maximum(std, relative_floor * np.abs(mean)) + 1e-12
        with np.errstate(invalid="ignore"):
            z = (recent.to_numpy() - mean) / scale
        finite = np.isfinite(z)
        log_sf[start:end][finite] = stats.norm.logsf(z[finite])
        ready[start:end] = finite
    likelihood = np.where(ready, -np.expm1(log_sf), 0.5)
    log_likelihood = np.where(ready, np.clip(-log_sf / LOG_SCALE, 0.0, 1.0), 0.0)
    return likelihood, log_likelihood
