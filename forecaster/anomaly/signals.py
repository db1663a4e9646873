"""Error signals that need no network: scores computed from the values themselves.

Each takes the values of one or many series stacked in time order and returns
one non-negative error per row, causal (a row's error depends only on that row
and earlier rows of its series), so it can compete with the detector's error in
:func:`~forecaster.anomaly.likelihood.most_surprising`.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

SR_EXTENSION = 5  # estimated points appended after each window (Ren et al.'s kappa)
SR_GRADIENT_POINTS = 5  # earlier points whose mean slope extrapolates them (Ren et al.'s m)
SR_AVERAGE = 3  # width of the moving average of the log amplitude spectrum (Ren et al.'s q)


def spectral_residual(values: np.ndarray, window: int = 64, offsets: np.ndarray | None = None) -> np.ndarray:
    """Spectral-residual saliency of each row in the window that ends at it, causally and per series.

    Ren et al., "Time-Series Anomaly Detection Service at Microsoft" (KDD
    2019), after Hou & Zhang's visual saliency (CVPR 2007): for the ``window``
    values ending at a row, extended by ``5`` points extrapolated with the mean
    slope of the last ``5`` (so the row is not at the window's edge), the log
    amplitude spectrum minus its moving average (width 3) is the spectral
    residual; transformed back with the original phase, its magnitude is the
    saliency map. A row's error is the saliency at its own position. The
    window's mean (the zero-frequency term) is left out, so a high level does
    not drown the shape. Only the row and the ``window - 1`` rows before it
    are read, so it is causal; the log spectrum makes it invariant to the
    scale of the values.

    Args:
        values: float ``(n_rows,)`` series stacked in time order (NaN where missing).
        window: rows per window (>= 8). Default 64.
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.

    Returns:
        float64 ``(n_rows,)`` saliency; NaN for the first ``window - 1`` rows of
        each series and for windows holding a NaN.

    Raises:
        ValueError: for ``window < 8``.
    """
    if window < 8:
        raise ValueError(f"spectral_residual: window must be >= 8, got {window}")
    values = np.asarray(values, dtype=np.float64)
    bounds = np.array([0, values.size]) if offsets is None else np.asarray(offsets)
    saliency = np.full(values.size, np.nan)
    for start, end in zip(bounds[:-1], bounds[1:]):  # one vectorised pass per series
        if end - start < window:
            continue
        windows = sliding_window_view(
            values[start:end], window
        )  # (n_windows, window), row t ends at start + window - 1 + t
        saliency[start + window - 1 : end] = _window_saliency(windows)
    return saliency


def _window_saliency(windows: np.ndarray) -> np.ndarray:
    """Saliency of the last value of each window (``(n_windows, window)`` -> ``(n_windows,)``)."""
    last = windows[:, -1:]
    steps = np.arange(1, SR_GRADIENT_POINTS + 1)
    slope = np.mean((last - windows[:, -1 - steps]) / steps, axis=1, keepdims=True)
    estimate = windows[:, -SR_GRADIENT_POINTS : 1 - SR_GRADIENT_POINTS] + slope * SR_GRADIENT_POINTS
    extended = np.concatenate([windows, np.repeat(estimate, SR_EXTENSION, axis=1)], axis=1)
    spectrum = np.fft.fft(extended, axis=1)
    spectrum[:, 0] = 0.0  # the level: saliency is about the shape of the window, not where it sits
    amplitude = np.abs(spectrum)
    log_amplitude = np.log(amplitude + 1e-8 * (amplitude.max(axis=1, keepdims=True) + 1e-300))
    kernel = np.ones(SR_AVERAGE) / SR_AVERAGE
    padded = np.pad(log_amplitude, ((0, 0), (SR_AVERAGE // 2, SR_AVERAGE // 2)), mode="edge")
    average = sliding_window_view(padded, SR_AVERAGE, axis=1) @ kernel
    residual = np.exp(log_amplitude - average) * np.exp(1j * np.angle(spectrum))
    return np.abs(np.fft.ifft(residual, axis=1))[:, windows.shape[1] - 1]


def absolute_change(values: np.ndarray, offsets: np.ndarray | None = None) -> np.ndarray:
    """Absolute change of each row from the row before it, averaged over features, per series.

    The naive one-step forecast's error (the "last value" baseline of
    Hyndman & Athanasopoulos, "Forecasting: Principles and Practice", 3rd ed.,
    section 5.2): the cheapest detector of spikes, dips and dropouts, and a
    signal the network's error should add to, not replace. Causal.

    Args:
        values: float ``(n_rows, n_features)`` (or ``(n_rows,)``) series stacked in time order.
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.

    Returns:
        float64 ``(n_rows,)``; NaN at each series' first row (and where a value is missing).
    """
    values = np.asarray(values, dtype=np.float64)
    values = values[:, None] if values.ndim == 1 else values
    change = np.abs(np.diff(values, axis=0, prepend=np.nan))
    bounds = np.array([0, len(values)]) if offsets is None else np.asarray(offsets)
    change[bounds[:-1][bounds[:-1] < len(values)]] = np.nan
    counts = np.sum(~np.isnan(change), axis=1)
    return np.where(counts > 0, np.nansum(change, axis=1) / np.maximum(counts, 1), np.nan)
