"""Labelled synthetic anomalies injected into normal stretches of a series.

For measuring and tuning detectors without hand labels: a normal series gets
anomalies of one kind at known rows, in the style of the injection
benchmarks of Lai et al. ("Revisiting time series outlier detection", NeurIPS
2021 Datasets and Benchmarks: point and pattern outliers, global, contextual,
shapelet, seasonal and trend) and the operator-facing kinds of Wu & Keogh
(TKDE 2021): spikes and dips, level shifts, variance bursts, flat lines,
dropouts to zero, frequency changes, slow drifts and missing daily peaks.
Sizes are multiples of robust scales of the normal rows (the values' spread
for shifts, the step-to-step spread for noise), so one setting fits series of
any unit. Everything is drawn from one seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ANOMALY_KINDS = (
    "spike",
    "dip",
    "level_shift",
    "variance_burst",
    "flatline",
    "dropout",
    "frequency_change",
    "drift",
    "missing_peak",
)
MAD_TO_STD = 1.4826  # the median absolute deviation of a normal distribution times this is its std


@dataclass(frozen=True)
class InjectedAnomaly:
    """One injected anomaly: its kind and its rows ``[start, end)``."""

    kind: str
    start: int
    end: int


def anomaly_length(kind: str, period: int) -> int:
    """Rows one anomaly of ``kind`` spans, for a series with seasonal period ``period`` rows (dropouts: the most)."""
    lengths = {
        "spike": 1,
        "dip": 1,
        "dropout": 12,
        "flatline": period,
        "variance_burst": period,
        "missing_peak": period,
        "level_shift": 2 * period,
        "frequency_change": 2 * period,
        "drift": 4 * period,
    }
    return lengths[kind]


def inject_anomalies(
    values: np.ndarray, kind: str, n_anomalies: int = 3, first_row: int = 0, period: int = 24, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, list[InjectedAnomaly]]:
    """Inject ``n_anomalies`` anomalies of one kind after ``first_row`` and label their rows.

    The rows after ``first_row`` are cut into ``n_anomalies`` equal slots and
    one anomaly starts at a random row of each slot, at least a quarter slot
    from its edges, so anomalies never overlap or touch. With ``s`` the robust
    standard deviation (1.4826 MAD) of ``values[:first_row]`` and ``d`` that of
    their first differences, and ``a`` drawn from [1, 2] per anomaly:

    - ``spike`` / ``dip``: one row moved up / down by ``(2 + a) s``;
    - ``level_shift``: ``2 period`` rows moved by ``+-a s``;
    - ``variance_burst``: ``period`` rows get Gaussian noise of std ``(2 + 2a) d``;
    - ``flatline``: ``period`` rows held at the value before them;
    - ``dropout``: 3-12 rows set to 0;
    - ``frequency_change``: ``2 period`` rows replaced by the following ``4 period`` rows at double speed;
    - ``drift``: ``4 period`` rows moved by a ramp up to ``+-a s`` over three quarters of them and back;
    - ``missing_peak``: ``period`` rows capped at their own median (the day's peak cut off).

    Args:
        values: float ``(n_rows,)`` a normal series.
        kind: one of :data:`ANOMALY_KINDS`.
        n_anomalies: anomalies injected. Default 3.
        first_row: rows before it stay untouched (the normal rows a detector learns from). Default 0.
        period: seasonal period in rows (e.g. 24 for hourly data with a daily cycle). Default 24.
        seed: seed of every random draw. Default 0.

    Returns:
        ``(injected, labels, anomalies)``: a float64 ``(n_rows,)`` copy with the
        anomalies, bool ``(n_rows,)`` True on their rows, and the
        :class:`InjectedAnomaly` list in time order. Rows outside the labels
        equal ``values``.

    Raises:
        ValueError: for an unknown kind, fewer than 2 normal rows or
            ``n_anomalies < 1``, or when the rows after ``first_row`` cannot hold the anomalies.
    """
    if kind not in ANOMALY_KINDS:
        raise ValueError(f"inject_anomalies: kind must be one of {ANOMALY_KINDS}, got {kind!r}")
    values = np.asarray(values, dtype=np.float64)
    if first_row < 2 or n_anomalies < 1:
        raise ValueError(
            f"inject_anomalies: need first_row >= 2 and n_anomalies >= 1, got {first_row} and {n_anomalies}"
        )
    length = anomaly_length(kind, period)
    reach = 2 * length if kind == "frequency_change" else length  # rows read from the clean series
    slot = (values.size - first_row) // n_anomalies
    if reach > slot // 2:
        raise ValueError(
            f"inject_anomalies: {values.size - first_row} rows after first_row cannot hold {n_anomalies} "
            f"{kind} anomalies of {reach} rows each; use a longer series or fewer anomalies"
        )
    rng = np.random.default_rng(seed)
    normal = values[:first_row]
    spread = MAD_TO_STD * np.median(np.abs(normal - np.median(normal))) or np.std(normal) or 1.0
    steps = np.diff(normal)
    step_spread = MAD_TO_STD * np.median(np.abs(steps - np.median(steps))) or np.std(steps) or spread
    injected, labels, anomalies = values.copy(), np.zeros(values.size, dtype=bool), []
    for k in range(n_anomalies):
        start = first_row + k * slot + int(rng.integers(slot // 4, slot - slot // 4 - reach + 1))
        size, sign = rng.uniform(1.0, 2.0), rng.choice([-1.0, 1.0])
        rows = np.arange(start, start + (int(rng.integers(3, length + 1)) if kind == "dropout" else length))
        clean = values[rows]
        if kind in ("spike", "dip"):
            injected[rows] = clean + (1.0 if kind == "spike" else -1.0) * (2.0 + size) * spread
        elif kind == "level_shift":
            injected[rows] = clean + sign * size * spread
        elif kind == "variance_burst":
            injected[rows] = clean + rng.normal(0.0, (2.0 + 2.0 * size) * step_spread, rows.size)
        elif kind == "flatline":
            injected[rows] = values[start - 1]
        elif kind == "dropout":
            injected[rows] = 0.0
        elif kind == "frequency_change":
            injected[rows] = values[start + 2 * np.arange(rows.size)]
        elif kind == "drift":
            rise = int(0.75 * rows.size)
            ramp = np.r_[np.linspace(0.0, 1.0, rise), np.linspace(1.0, 0.0, rows.size - rise)]
            injected[rows] = clean + sign * size * spread * ramp
        else:  # missing_peak
            injected[rows] = np.minimum(clean, np.median(clean))
        labels[rows] = True
        anomalies.append(InjectedAnomaly(kind, int(rows[0]), int(rows[-1]) + 1))
    return injected, labels, anomalies
