"""Thresholds that turn point errors into anomaly flags.

Four methods, chosen by :class:`~forecaster.config.ThresholdConfig`:

- ``quantile``: a quantile of the reference errors (errors on held-out normal data);
- ``std``: their mean plus ``k`` standard deviations;
- ``pot``: peaks over threshold (Siffer et al., KDD 2017): a generalised Pareto
  tail fitted to the reference errors above a high quantile gives the level
  exceeded with probability ``risk``;
- ``dynamic``: the nonparametric dynamic threshold of Hundman et al. (KDD 2018),
  chosen from the scored errors themselves, block by block, with pruning.

The fixed levels are fitted per series, on each series' own reference errors
(:func:`fit_series_thresholds`), so a noisy metric and a quiet one are each
flagged against their own normal; a series with fewer than
:data:`MIN_SERIES_REFERENCE` reference errors gets the pooled level.
"""

from __future__ import annotations

from dataclasses import dataclass

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


MIN_THRESHOLD = 0.01
"""The lowest threshold, in the errors' unit (standard deviations of the declared-normal rows). A series
that was constant while normal has reference errors of 0; a threshold of 0 would flag numerical noise and
give every event an infinite severity (which JSON cannot even hold)."""

MIN_SERIES_REFERENCE = 100
"""Finite reference errors a series needs for a threshold of its own; a series with fewer gets the pooled level."""


@dataclass(frozen=True)
class SeriesThresholds:
    """Fixed threshold levels per series, and the pooled level for series without enough reference errors.

    Attributes:
        levels: ``{series: level}`` for each series with at least
            :data:`MIN_SERIES_REFERENCE` finite reference errors, or whose
            errors are all the reference errors (its own level is then the
            pooled one, however few they are).
        pooled: the level fitted on every series' reference errors together.
        per_series: whether levels are fitted per series; ``False`` for a
            detector scaled for all series together, whose one pooled level
            every series shares by design. Default ``True``.
    """

    levels: dict[str, float]
    pooled: float
    per_series: bool = True

    def of(self, series_ids) -> np.ndarray:
        """Return float64 ``(n_series,)``: each series' level, the pooled one for series without their own."""
        return np.array([self.levels.get(str(series), self.pooled) for series in series_ids], dtype=np.float64)

    def pooled_series(self, series_ids) -> list[str]:
        """Return the series of ``series_ids`` (as strings) flagged at the pooled level instead of one of their own.

        Empty when the levels are not fitted per series (``per_series`` ``False``): no series
        then has a level of its own to fall back from.
        """
        if not self.per_series:
            return []
        return [str(series) for series in series_ids if str(series) not in self.levels]


def fit_series_thresholds(
    reference: np.ndarray, offsets: np.ndarray, series: list[str] | None, config: ThresholdConfig
) -> SeriesThresholds:
    """Fit the ``quantile``, ``std`` or ``pot`` level of every series from its own reference errors.

    Quantiles and means/standard deviations are computed for all series at
    once (a sort by series and value, and bincounts); ``pot`` fits one
    generalised Pareto tail per series, a loop over the series with enough
    reference errors, run once per detection or scan.

    Args:
        reference: float ``(n_reference,)`` (smoothed) reference errors, segment after segment.
        offsets: int ``(n_segments + 1,)`` boundaries of the segments.
        series: the series of each segment, or ``None`` when the segments have
            no owner (a detector scaled for all series together): then every
            series gets the pooled level, by design (``per_series`` ``False``).
            When every segment is one series', the pooled level is that
            series' own, whatever the number of its reference errors.
        config: the ``anomaly.threshold`` section; ``dynamic`` has no fixed level.

    Returns:
        The :class:`SeriesThresholds`.

    Raises:
        ValueError: for the ``dynamic`` method.
        DataError: when ``reference`` has no finite value.
    """
    pooled = fit_threshold(reference, config)
    if series is None:
        return SeriesThresholds({}, pooled, per_series=False)
    if len(set(series)) == 1:  # the pooled errors are this series' own
        return SeriesThresholds({str(series[0]): pooled}, pooled)
    values = np.asarray(reference, dtype=np.float64)
    owner = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    finite = np.isfinite(values)
    values, owner = values[finite], owner[finite]
    counts = np.bincount(owner, minlength=len(offsets) - 1)
    own = np.flatnonzero(counts >= MIN_SERIES_REFERENCE)
    if config.method == "quantile":
        order = np.lexsort((values, owner))
        ordered, starts = values[order], np.concatenate([[0], np.cumsum(counts)[:-1]])
        position = config.quantile * (counts[own] - 1)  # numpy's linear interpolation between order statistics
        low = np.floor(position).astype(np.int64)
        high = np.minimum(low + 1, counts[own] - 1)
        below, above = ordered[starts[own] + low], ordered[starts[own] + high]
        levels = below + (position - low) * (above - below)
    elif config.method == "std":
        safe = np.maximum(counts, 1)
        mean = np.bincount(owner, values, minlength=len(counts)) / safe
        std = np.sqrt(np.bincount(owner, (values - mean[owner]) ** 2, minlength=len(counts)) / safe)
        levels = (mean + config.k * std)[own]
    else:
        parts = np.split(values[np.argsort(owner, kind="stable")], np.cumsum(counts)[:-1])
        levels = [fit_threshold(parts[k], config) for k in own]
    return SeriesThresholds({str(series[k]): float(level) for k, level in zip(own, levels)}, pooled)


def flag_errors(
    errors: np.ndarray,
    config: ThresholdConfig,
    thresholds: SeriesThresholds | None = None,
    offsets: np.ndarray | None = None,
    series_ids: list | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Flag the errors above the configured threshold: each series' own fixed level, or ``dynamic`` per block.

    Args:
        errors: float ``(n,)`` combined (smoothed) errors to flag; NaN never flag.
        config: the ``anomaly.threshold`` section.
        thresholds: the fixed levels (:func:`fit_series_thresholds`); unused by ``dynamic``. Default ``None``.
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.
        series_ids: one id per series, which picks its level; ``None`` numbers them. Default ``None``.

    Returns:
        ``(flags, thresholds)``: bool ``(n,)`` and the float ``(n,)`` threshold of each point, never
        below :data:`MIN_THRESHOLD`.

    Raises:
        ValueError: when a fixed method is given no ``thresholds``.
    """
    errors = np.asarray(errors, dtype=np.float64)
    if config.method == "dynamic":
        flags, levels = dynamic_threshold(errors, config.z_min, config.z_max, config.prune, config.block, offsets)
    elif thresholds is None:
        raise ValueError(f"flag_errors: the {config.method} method needs the fitted thresholds (fit_series_thresholds)")
    else:
        bounds = np.array([0, errors.size]) if offsets is None else np.asarray(offsets)
        ids = range(len(bounds) - 1) if series_ids is None else series_ids
        levels = np.repeat(thresholds.of(ids), np.diff(bounds))
        flags = np.ones(errors.shape, dtype=bool)
    levels = np.maximum(levels, MIN_THRESHOLD)
    with np.errstate(invalid="ignore"):
        return flags & (errors > levels), levels


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
        raise DataError(
            "reference errors: no finite value to fit a threshold on; declare more rows normal (anomaly.normal)"
        )
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
