"""Thresholds that turn point errors into anomaly flags.

Four methods, chosen by :class:`~forecaster.config.ThresholdConfig`:

- ``quantile``: a quantile of the reference errors (errors on held-out normal data);
- ``std``: their mean plus ``k`` standard deviations;
- ``pot``: peaks over threshold (Siffer et al., KDD 2017): a generalised Pareto
  tail fitted to the reference errors above a high quantile gives the level
  exceeded with probability ``risk``;
- ``dynamic``: the nonparametric dynamic threshold of Hundman et al. (KDD 2018),
  chosen from the scored errors themselves, block by block, with pruning.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from forecaster.anomaly.events import flag_runs
from forecaster.config import ThresholdConfig
from forecaster.errors import DataError


def quantile_threshold(errors: np.ndarray, quantile: float = 0.995) -> float:
    """Return the ``quantile`` of the finite ``errors``.

    Args:
        errors: reference errors, any shape; NaN are ignored.
        quantile: level in (0, 1). Default 0.995.

    Returns:
        The threshold.

    Raises:
        DataError: when ``errors`` has no finite value.
    """
    return float(np.quantile(_finite(errors), quantile))


def std_threshold(errors: np.ndarray, k: float = 4.0) -> float:
    """Return mean + ``k`` standard deviations of the finite ``errors``.

    Args:
        errors: reference errors, any shape; NaN are ignored.
        k: number of standard deviations. Default 4.

    Returns:
        The threshold.

    Raises:
        DataError: when ``errors`` has no finite value.
    """
    values = _finite(errors)
    return float(values.mean() + k * values.std())


def pot_threshold(errors: np.ndarray, risk: float = 1e-3, init_quantile: float = 0.98) -> float:
    """Return the level exceeded with probability ``risk``, by peaks over threshold (Siffer et al. 2017).

    The excesses of ``errors`` over their ``init_quantile`` are fitted by a
    generalised Pareto distribution (shape ``gamma``, scale ``sigma``, maximum
    likelihood); the threshold is
    ``t + sigma / gamma * ((risk * n / n_t) ** -gamma - 1)`` (``t - sigma *
    log(risk * n / n_t)`` when ``gamma`` is 0), with ``t`` the initial
    quantile, ``n`` the number of errors and ``n_t`` the number of excesses.
    When ``risk`` is not rarer than the initial quantile, the empirical
    ``1 - risk`` quantile is returned.

    Args:
        errors: reference errors, any shape; NaN are ignored.
        risk: target probability that a normal point exceeds the threshold. Default 1e-3.
        init_quantile: quantile above which the tail is fitted. Default 0.98.

    Returns:
        The threshold.

    Raises:
        DataError: when ``errors`` has no finite value.
    """
    values = _finite(errors)
    initial = float(np.quantile(values, init_quantile))
    excesses = values[values > initial] - initial
    if risk >= 1 - init_quantile or excesses.size < 10 or np.ptp(excesses) == 0:
        return float(np.quantile(values, 1 - risk))
    gamma, _, sigma = stats.genpareto.fit(excesses, floc=0)
    ratio = risk * values.size / excesses.size
    if abs(gamma) < 1e-8:
        return initial - sigma * float(np.log(ratio))
    return initial + sigma / gamma * (ratio**-gamma - 1)


def dynamic_threshold(
    errors: np.ndarray,
    z_min: float = 2.0,
    z_max: float = 10.0,
    prune: float = 0.13,
    block: int = 2000,
    offsets: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Flag errors with the nonparametric dynamic threshold of Hundman et al. (KDD 2018).

    In each block of ``block`` errors, epsilon = mean + z std, with z from
    ``z_min`` to ``z_max`` in steps of 0.5, is chosen to maximise
    ``(delta_mean / mean + delta_std / std) / (n_above + n_sequences ** 2)``,
    where the deltas are the drops in mean and std when the errors above
    epsilon are removed. Anomalous sequences are then pruned: their maxima,
    sorted, plus the largest normal error, are compared in turn and the
    sequences after the last relative drop above ``prune`` are declared normal.
    Each series is cut into its own blocks, so no block and no sequence spans
    two series.

    Args:
        errors: float ``(n,)`` (smoothed) errors in time order; NaN never flag.
        z_min: smallest z tried. Default 2.
        z_max: largest z tried. Default 10.
        prune: minimum relative drop between consecutive maxima. Default 0.13.
        block: errors per block, counted from each series' first row. Default 2000.
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.

    Returns:
        ``(flags, thresholds)``: bool ``(n,)`` and float ``(n,)``, the epsilon of each point's block.
    """
    errors = np.asarray(errors, dtype=np.float64)
    flags = np.zeros(errors.shape, dtype=bool)
    thresholds = np.full(errors.shape, np.nan)
    bounds = np.array([0, errors.size]) if offsets is None else np.asarray(offsets)
    z_values = np.arange(z_min, z_max + 1e-9, 0.5)
    for series_start, series_end in zip(bounds[:-1], bounds[1:]):
        for start in range(series_start, series_end, block):
            end = min(start + block, series_end)
            part = errors[start:end]
            if np.isfinite(part).sum() < 2:
                continue
            epsilon = _choose_epsilon(part, z_values)
            thresholds[start:end] = epsilon
            flags[start:end] = _prune(part, part > epsilon, prune)
    return flags, thresholds


def flag_errors(
    errors: np.ndarray, reference: np.ndarray, config: ThresholdConfig, offsets: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Flag the errors above the configured threshold.

    Args:
        errors: float ``(n,)`` combined (smoothed) errors to flag; NaN never flag.
        reference: errors of held-out normal data, for the ``quantile``, ``std``
            and ``pot`` methods.
        config: the ``anomaly.threshold`` section.
        offsets: int ``(n_series + 1,)`` row boundaries, for the ``dynamic``
            method's per-series blocks; ``None`` for one series. Default ``None``.

    Returns:
        ``(flags, thresholds)``: bool ``(n,)`` and the float ``(n,)`` threshold of each point.

    Raises:
        DataError: when ``reference`` has no finite value (fixed methods).
    """
    if config.method == "dynamic":
        return dynamic_threshold(errors, config.z_min, config.z_max, config.prune, config.block, offsets)
    level = fit_threshold(reference, config)
    with np.errstate(invalid="ignore"):
        return np.asarray(errors) > level, np.full(np.shape(errors), level)


def fit_threshold(reference: np.ndarray, config: ThresholdConfig) -> float:
    """Return the fixed threshold of the ``quantile``, ``std`` or ``pot`` method from reference errors.

    Args:
        reference: errors of held-out normal data, any shape.
        config: the ``anomaly.threshold`` section; ``dynamic`` has no fixed level.

    Returns:
        The threshold.

    Raises:
        ValueError: for the ``dynamic`` method.
        DataError: when ``reference`` has no finite value.
    """
    if config.method == "quantile":
        return quantile_threshold(reference, config.quantile)
    if config.method == "std":
        return std_threshold(reference, config.k)
    if config.method == "pot":
        return pot_threshold(reference, config.risk, config.pot_init_quantile)
    raise ValueError("fit_threshold: the dynamic method chooses its threshold from the scored errors; use flag_errors")


def _finite(errors: np.ndarray) -> np.ndarray:
    values = np.asarray(errors, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        raise DataError("reference errors: no finite value to fit a threshold on; declare more rows normal (anomaly.normal)")
    return values


def _choose_epsilon(errors: np.ndarray, z_values: np.ndarray) -> float:
    finite = np.where(np.isfinite(errors), errors, -np.inf)
    values = errors[np.isfinite(errors)]
    mean, std = values.mean(), values.std()
    if std == 0:
        return float(mean)
    epsilons = mean + z_values * std
    best, best_score = float(epsilons[-1]), -np.inf
    for epsilon in epsilons:
        above = finite > epsilon
        below = values[values <= epsilon]
        if not above.any() or below.size < 2:
            continue
        n_sequences = int(np.count_nonzero(np.diff(above.astype(np.int8), prepend=0) == 1))
        score = ((mean - below.mean()) / mean + (std - below.std()) / std) / (above.sum() + n_sequences**2)
        if score > best_score:
            best, best_score = float(epsilon), score
    return best


def _prune(errors: np.ndarray, flags: np.ndarray, prune: float) -> np.ndarray:
    starts, ends = flag_runs(flags)
    if starts.size == 0:
        return flags
    padded = np.append(np.nan_to_num(errors, nan=-np.inf), -np.inf)
    maxima = np.maximum.reduceat(padded, np.column_stack([starts, ends]).ravel())[::2]
    order = np.argsort(-maxima)
    normal = errors[~flags & np.isfinite(errors)]
    ranked = np.append(maxima[order], normal.max() if normal.size else 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        drops = (ranked[:-1] - ranked[1:]) / ranked[:-1]
    significant = np.flatnonzero(drops > prune)
    n_keep = significant[-1] + 1 if significant.size else 0
    kept = np.zeros(errors.shape, dtype=bool)
    for sequence in order[:n_keep]:
        kept[starts[sequence] : ends[sequence]] = True
    return kept

