"""Thinning long series for drawing without losing a single extreme.

A figure 1,650 pixels wide cannot show a million points, but plain striding
(every k-th point) drops exactly the spikes an analyst looks for. Here each of
``n_out / 2`` equal-width time buckets keeps its minimum and its maximum
(``tsdownsample``'s ``MinMaxDownsampler``, in Rust), so the thinned line
reaches every peak and trough the full line reaches at that resolution; the
first and last points, the start of every run of missing values (so gaps stay
gaps) and any points the caller must keep (flagged anomalies) are added.
"""

from __future__ import annotations

import numpy as np
from tsdownsample import MinMaxDownsampler


def thin_indices(x_ns: np.ndarray, y: np.ndarray, n_out: int, keep: np.ndarray | None = None) -> np.ndarray:
    """Return the indices of the points of a line to draw, keeping every bucket's minimum and maximum.

    Args:
        x_ns: int64 or float ``(n,)`` increasing positions, e.g. timestamps as
            nanoseconds (``index.asi8``) or row numbers.
        y: float ``(n,)`` values; NaN are allowed (the first of each run of NaN
            is kept so a line breaks there).
        n_out: about how many points to keep (at least 4; rounded up to an even
            number); the result also holds the points of ``keep``.
        keep: int indices or bool ``(n,)`` mask of points that must be kept
            (e.g. flagged anomalies). Default ``None``.

    Returns:
        int64 ``(m,)`` sorted, unique indices into ``y``; every index
        (``np.arange(n)``) when ``n <= n_out``.

    Raises:
        ValueError: when ``x_ns`` and ``y`` differ in length or ``n_out`` is below 4.
    """
    x_ns = np.asarray(x_ns)
    y = np.asarray(y, dtype=np.float64)
    if x_ns.shape != y.shape or y.ndim != 1:
        raise ValueError(f"thin_indices: x_ns and y must be 1-D of one length, got shapes {x_ns.shape} and {y.shape}")
    if n_out < 4:
        raise ValueError(f"thin_indices: n_out must be at least 4, got {n_out}")
    n = y.size
    if n <= n_out:
        return np.arange(n, dtype=np.int64)
    finite = np.isfinite(y)
    observed = np.flatnonzero(finite)
    chosen = [np.array([0, n - 1], dtype=np.int64)]
    if observed.size > n_out:
        x_observed = np.ascontiguousarray(x_ns[observed])
        buckets = MinMaxDownsampler().downsample(x_observed, np.ascontiguousarray(y[observed]), n_out=n_out + n_out % 2)
        chosen.append(observed[buckets.astype(np.int64)])
    else:
        chosen.append(observed)
    gap_starts = np.flatnonzero(~finite & np.concatenate([[True], finite[:-1]]))
    chosen.append(gap_starts)
    if keep is not None:
        keep = np.asarray(keep)
        chosen.append(np.flatnonzero(keep) if keep.dtype == bool else keep.astype(np.int64))
    return np.unique(np.concatenate(chosen))
