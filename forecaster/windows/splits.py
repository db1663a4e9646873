"""Time-ordered train/validation/test splits of each series and the window starts inside them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from forecaster.config import SplitConfig
from forecaster.data.series import SeriesCollection, align_to_index
from forecaster.errors import DataError

SPLITS = ("train", "val", "test")


@dataclass(frozen=True)
class SplitRows:
    """Row ranges of each split, per series, as global row positions.

    Split ``s`` (0 train, 1 val, 2 test) of series ``k`` holds the target rows
    ``[bounds[k, s], bounds[k, s + 1])``. Rows after ``bounds[k, 3]`` (possible
    with the ``rows`` method) belong to no split.

    Attributes:
        bounds: int64 array ``(n_series, 4)``: series start, train end, val end, test end.
    """

    bounds: np.ndarray

    def rows(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(starts, ends)`` of split ``split``'s target rows, each ``(n_series,)``."""
        position = SPLITS.index(split)
        return self.bounds[:, position], self.bounds[:, position + 1]

    def n_rows(self, split: str) -> int:
        """Return the number of target rows of ``split`` over all series."""
        starts, ends = self.rows(split)
        return int((ends - starts).sum())


def split_rows(collection: SeriesCollection, split_cfg: SplitConfig) -> SplitRows:
    """Cut every series into consecutive train, validation and test row ranges.

    ``fractions`` gives each series ``floor(n * train)`` training rows and
    ``floor(n * (train + val))`` training plus validation rows; test takes the
    rest. ``rows`` takes ``train_rows``, ``val_rows``, ``test_rows`` from the
    start of every series and leaves any remainder unused. ``dates`` starts
    validation at the first row at or after ``val_start`` and test at the
    first row at or after ``test_start``.

    Args:
        collection: the series.
        split_cfg: the ``split`` config section.

    Returns:
        The :class:`SplitRows`.

    Raises:
        DataError: when a series is shorter than ``train_rows + val_rows + test_rows``.
    """
    starts = collection.offsets[:-1].astype(np.int64)
    lengths = collection.lengths().astype(np.int64)
    if split_cfg.method == "fractions":
        fractions = np.array([split_cfg.train, split_cfg.train + split_cfg.val])
        # Round first so that 0.7 + 0.2 of 100 rows is 90, not floor(89.99999999999999).
        boundaries = np.floor(np.round(lengths[:, None] * fractions, 9)).astype(np.int64)
        relative = np.concatenate([boundaries, lengths[:, None]], axis=1)
    elif split_cfg.method == "rows":
        needed = split_cfg.train_rows + split_cfg.val_rows + split_cfg.test_rows
        short = np.flatnonzero(lengths < needed)
        if short.size:
            k = short[0]
            raise DataError(
                f"series {collection.series_ids[k]!r} has {lengths[k]} rows but split rows "
                f"train_rows + val_rows + test_rows = {needed}; lower the split row counts or use method 'fractions'"
            )
        cumulative = np.cumsum([split_cfg.train_rows, split_cfg.val_rows, split_cfg.test_rows])
        relative = np.broadcast_to(cumulative, (len(lengths), 3))
    else:
        relative = np.stack(
            [
                _rows_before(collection, split_cfg.val_start),
                _rows_before(collection, split_cfg.test_start),
                lengths,
            ],
            axis=1,
        )
    return SplitRows(bounds=np.concatenate([starts[:, None], starts[:, None] + relative], axis=1))


def _rows_before(collection: SeriesCollection, moment: dt.datetime | str) -> np.ndarray:
    """Rows of each series strictly before ``moment`` (in the index's time zone when it has one)."""
    index = collection.frame.index
    moment = align_to_index(moment, index)
    return np.array(
        [index[start:end].searchsorted(moment) for start, end in zip(collection.offsets[:-1], collection.offsets[1:])],
        dtype=np.int64,
    )


def window_starts(split_rows: SplitRows, split: str, lookback: int, horizon: int, stride: int) -> np.ndarray:
    """Return the first input row of every window whose targets lie inside a split.

    A window starting at ``t`` belongs to the split range ``[a, b)`` of its
    series when all its targets do: ``a <= t + lookback`` and
    ``t + lookback + horizon <= b``. Its input rows may reach back before
    ``a`` (into earlier splits, as in the ETT protocol) but never before the
    series start, so no window crosses a series boundary. Starts run from
    the first valid one in steps of ``stride``.

    Args:
        split_rows: row ranges of every split.
        split: ``"train"``, ``"val"`` or ``"test"``.
        lookback: input steps per window.
        horizon: target steps per window.
        stride: steps between window starts.

    Returns:
        int64 array ``(n_windows,)`` of global row positions, series by series, ascending.
    """
    target_starts, target_ends = split_rows.rows(split)
    first = np.maximum(split_rows.bounds[:, 0], target_starts - lookback)
    last = target_ends - lookback - horizon
    counts = np.where(last >= first, (last - first) // stride + 1, 0)
    # Window j belongs to series k = its repeat; its rank inside k is j minus the windows before k.
    before = np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(first, counts) + stride * (np.arange(counts.sum(), dtype=np.int64) - before)
