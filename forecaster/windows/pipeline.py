"""One entry point from a series collection to scaled, split, batched windows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecaster.config import ScalingConfig, SplitConfig
from forecaster.data.series import SeriesCollection
from forecaster.errors import DataError
from forecaster.windows.calendar import calendar_features
from forecaster.windows.dataset import WindowDataset
from forecaster.windows.scaling import SeriesScaler
from forecaster.windows.spec import WindowSpec
from forecaster.windows.splits import SPLITS, SplitRows, split_rows, window_starts


@dataclass(frozen=True)
class WindowMetadata:
    """Where each window of a split comes from, in window order.

    Attributes:
        series_index: int64 ``(n_windows,)``, position of the window's series in the collection.
        origin: ``DatetimeIndex`` ``(n_windows,)``, timestamp of the last input row.
        target_times: datetime64 ``(n_windows, horizon)``, timestamps of the target
            rows (UTC wall-clock when the index has a time zone).
    """

    series_index: np.ndarray
    origin: pd.DatetimeIndex
    target_times: np.ndarray


@dataclass(frozen=True)
class WindowedData:
    """Everything :func:`prepare_windows` builds: scaler, scaled array, splits and datasets.

    Attributes:
        spec: the window spec.
        collection: the unscaled series.
        scaler: the :class:`SeriesScaler` fitted on the training rows.
        values: float32 ``(n_rows, n_features)``, scaled targets, past and
            future covariates, then calendar features (``spec.feature_names``);
            NaN where the data is missing. The last ``spec.n_future`` columns
            (future covariates and calendar features) are the known-future inputs.
        split_rows: row ranges of each split.
        train: shuffled training windows.
        val: validation windows in time order, or None when the split has no rows.
        test: test windows in time order, or None when the split has no rows.
    """

    spec: WindowSpec
    collection: SeriesCollection
    scaler: SeriesScaler
    values: np.ndarray
    split_rows: SplitRows
    train: WindowDataset
    val: WindowDataset | None
    test: WindowDataset | None

    def dataset(self, split: str) -> WindowDataset | None:
        """Return the dataset of ``split`` (``"train"``, ``"val"`` or ``"test"``)."""
        return {"train": self.train, "val": self.val, "test": self.test}[split]

    def window_metadata(self, split: str) -> WindowMetadata:
        """Return series, origin and target timestamps of each window of ``split``, in ``starts`` order.

        Args:
            split: ``"train"``, ``"val"`` or ``"test"``.

        Returns:
            The :class:`WindowMetadata`; empty arrays when the split has no dataset.
        """
        dataset = self.dataset(split)
        starts = dataset.starts if dataset is not None else np.empty(0, dtype=np.int64)
        index = self.collection.frame.index
        first_target = starts + self.spec.lookback
        return WindowMetadata(
            series_index=np.searchsorted(self.collection.offsets, starts, side="right") - 1,
            origin=index[first_target - 1],
            target_times=index.values[first_target[:, None] + np.arange(self.spec.horizon)],
        )

    def summary(self) -> dict:
        """Return window counts, rows per split and scaler statistics as JSON-ready data (for metrics.json)."""
        return {
            "lookback": self.spec.lookback,
            "horizon": self.spec.horizon,
            "stride": self.spec.stride,
            "n_series": self.collection.n_series,
            "feature_names": self.spec.feature_names,
            "has_missing": self.train.has_missing,
            "rows": {split: self.split_rows.n_rows(split) for split in SPLITS},
            "windows": {
                split: (dataset.n_windows if (dataset := self.dataset(split)) is not None else 0) for split in SPLITS
            },
            "scaler": self.scaler.statistics(),
        }


def prepare_windows(
    collection: SeriesCollection,
    spec: WindowSpec,
    split_cfg: SplitConfig,
    scaling_cfg: ScalingConfig,
    batch_size: int = 256,
    seed: int | None = None,
) -> WindowedData:
    """Split, scale and window a series collection for Keras.

    Splits every series in time order, fits the scaler on the training rows
    only, writes the scaled columns and calendar features into one float32
    array and serves each split's windows from strided views of it. A split
    with no rows (``val: 0``) gets no dataset.

    Args:
        collection: the validated series.
        spec: window shape and columns.
        split_cfg: the ``split`` config section.
        scaling_cfg: the ``scaling`` config section.
        batch_size: windows per batch. Default 256.
        seed: seed of the training shuffle. Default None.

    Returns:
        The :class:`WindowedData`.

    Raises:
        DataError: for a spec column missing from the data, a series shorter
            than ``lookback + horizon``, a split with rows but no window, or a
            scaler that cannot be fitted (see :meth:`SeriesScaler.fit`).
    """
    missing = [column for column in spec.value_columns if column not in collection.columns]
    if missing:
        raise DataError(
            f"columns {missing} of the window spec are not in the data (columns: {collection.columns}); "
            "fix data.target_columns / data.past_covariates"
        )
    lengths = collection.lengths()
    short = np.flatnonzero(lengths < spec.window_length)
    if short.size:
        k = short[0]
        raise DataError(
            f"series {collection.series_ids[k]!r} has {lengths[k]} rows but lookback {spec.lookback} + horizon "
            f"{spec.horizon} needs at least {spec.window_length} rows; use a longer series or lower "
            "windows.lookback / windows.horizon"
        )
    rows = split_rows(collection, split_cfg)
    scaler = SeriesScaler(scaling_cfg.method, scaling_cfg.scope).fit(collection, rows, spec)
    n_values = len(spec.value_columns)
    values = np.empty((len(collection.frame), n_values + spec.n_calendar), dtype=np.float32)
    scaler.transform(collection, out=values[:, :n_values])
    values[:, n_values:] = calendar_features(collection.frame.index, spec.calendar_features)
    datasets = {}
    for split in SPLITS:
        starts = window_starts(rows, split, spec.lookback, spec.horizon, spec.stride)
        _check_split_has_windows(rows, split, starts, spec)
        datasets[split] = (
            WindowDataset(
                values,
                starts,
                spec.lookback,
                spec.horizon,
                spec.n_targets,
                spec.n_future,  # trailing known-future columns: future covariates, then calendar features
                batch_size=batch_size,
                shuffle=split == "train",
                seed=seed,
            )
            if rows.n_rows(split)
            else None
        )
    return WindowedData(spec, collection, scaler, values, rows, **datasets)


def _check_split_has_windows(rows: SplitRows, split: str, starts: np.ndarray, spec: WindowSpec) -> None:
    n_rows = rows.n_rows(split)
    if starts.size or (n_rows == 0 and split != "train"):
        return
    target_starts, target_ends = rows.rows(split)
    longest = int((target_ends - target_starts).max())
    needed = spec.window_length if split == "train" else spec.horizon
    reach = "" if split == "train" else f" with lookback {spec.lookback} rows of the same series before them"
    raise DataError(
        f"split {split!r} gets no window: it needs at least {needed} rows in one series{reach}, "
        f"but its longest range has {longest} rows ({n_rows} in all); give split {split!r} more rows "
        "or lower windows.lookback / windows.horizon"
    )
