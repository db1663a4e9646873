"""Anomaly events: runs of flagged points merged into a table an operator can act on."""

from __future__ import annotations

import numpy as np
import pandas as pd

EVENT_COLUMNS = ["series", "start", "end", "n_points", "peak_time", "peak_score", "severity", "top_features"]


def flag_runs(flags: np.ndarray, offsets: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return the runs of True in a flag array, split at series boundaries.

    Args:
        flags: bool ``(n,)``.
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.

    Returns:
        ``(starts, ends)``, int64 ``(n_runs,)`` each; run ``i`` is ``flags[starts[i]:ends[i]]``.
    """
    flags = np.asarray(flags, dtype=bool)
    series_start = np.zeros(flags.size + 1, dtype=bool)
    series_start[np.asarray(offsets if offsets is not None else [0, flags.size])] = True
    before = np.concatenate([[False], flags[:-1]])
    after = np.concatenate([flags[1:], [False]])
    starts = np.flatnonzero(flags & (~before | series_start[:-1]))
    ends = np.flatnonzero(flags & (~after | series_start[1:])) + 1
    return starts, ends


def merge_runs(flags: np.ndarray, min_gap: int = 1, min_length: int = 1, offsets: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Merge flagged runs separated by fewer than ``min_gap`` unflagged points; drop short ones.

    Runs never merge across series boundaries.

    Args:
        flags: bool ``(n_rows,)``.
        min_gap: runs whose gap (unflagged points between them) is below this merge. Default 1 (no merging).
        min_length: merged runs shorter than this many points are dropped. Default 1.
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.

    Returns:
        ``(starts, ends)``, int64 ``(n_events,)``; event ``i`` covers rows ``[starts[i], ends[i])``.
    """
    flags = np.asarray(flags, dtype=bool)
    bounds = np.array([0, flags.size]) if offsets is None else np.asarray(offsets)
    starts, ends = flag_runs(flags, bounds)
    if starts.size == 0:
        return starts, ends
    series = np.searchsorted(bounds, starts, side="right") - 1
    joins = (starts[1:] - ends[:-1] < min_gap) & (series[1:] == series[:-1])
    first = np.concatenate([[True], ~joins])
    last = np.concatenate([~joins, [True]])
    starts, ends = starts[first], ends[last]
    keep = ends - starts >= min_length
    return starts[keep], ends[keep]


def find_events(
    flags: np.ndarray,
    scores: np.ndarray,
    thresholds: np.ndarray,
    times: pd.Index | np.ndarray,
    *,
    offsets: np.ndarray | None = None,
    series_ids: tuple | None = None,
    feature_errors: np.ndarray | None = None,
    feature_names: list[str] | None = None,
    min_gap: int = 1,
    min_length: int = 1,
    top_features: int = 3,
) -> pd.DataFrame:
    """Turn point flags into events: start, end, peak, severity and the features that contributed most.

    Args:
        flags: bool ``(n_rows,)`` anomalous points.
        scores: float ``(n_rows,)`` the (smoothed) error that was thresholded.
        thresholds: float ``(n_rows,)`` the threshold of each point.
        times: ``(n_rows,)`` timestamps (or row numbers).
        offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.
        series_ids: label of each series; ``None`` numbers them. Default ``None``.
        feature_errors: float ``(n_rows, n_features)`` per-feature errors, or ``None``. Default ``None``.
        feature_names: names of the features. Default ``None`` (``f0``, ``f1``, ...).
        min_gap: see :func:`merge_runs`. Default 1.
        min_length: see :func:`merge_runs`. Default 1.
        top_features: features named per event, by mean error over the event. Default 3.

    Returns:
        A frame with one row per event and columns :data:`EVENT_COLUMNS`: ``end``
        is the last flagged time, ``severity`` the peak score over the
        threshold at the peak, ``top_features`` a comma-separated list.
    """
    starts, ends = merge_runs(flags, min_gap, min_length, offsets)
    if starts.size == 0:
        return pd.DataFrame(columns=EVENT_COLUMNS)
    bounds = np.array([0, len(flags)]) if offsets is None else np.asarray(offsets)
    times = np.asarray(times)
    clean = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=-np.inf)
    peaks = np.array([start + int(np.argmax(clean[start:end])) for start, end in zip(starts, ends)])
    series = np.searchsorted(bounds, starts, side="right") - 1
    ids = series_ids if series_ids is not None else tuple(range(len(bounds) - 1))
    frame = pd.DataFrame(
        {
            "series": [ids[k] for k in series],
            "start": times[starts],
            "end": times[ends - 1],
            "n_points": ends - starts,
            "peak_time": times[peaks],
            "peak_score": clean[peaks],
            "severity": clean[peaks] / np.asarray(thresholds, dtype=np.float64)[peaks],
            "top_features": _top_features(feature_errors, feature_names, starts, ends, top_features),
        }
    )
    return frame[EVENT_COLUMNS]


def _top_features(feature_errors, feature_names, starts, ends, top_features) -> list[str]:
    if feature_errors is None:
        return [""] * len(starts)
    feature_errors = np.nan_to_num(np.asarray(feature_errors, dtype=np.float64))
    names = feature_names or [f"f{j}" for j in range(feature_errors.shape[1])]
    sums = np.add.reduceat(np.vstack([feature_errors, np.zeros((1, feature_errors.shape[1]))]),
                           np.column_stack([starts, ends]).ravel(), axis=0)[::2]
    order = np.argsort(-sums, axis=1, kind="stable")[:, :top_features]
    return [", ".join(names[j] for j in row) for row in order]
