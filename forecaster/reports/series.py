"""Figures of the input series: each column over time with its train/validation/test split."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
from forecaster.data.series import SeriesCollection  # noqa: E402
from forecaster.windows.splits import SplitRows  # noqa: E402

SPLIT_COLOURS = {"train": "#dbe9f6", "val": "#fde9c8", "test": "#f6d5d5"}


def plot_series_overview(
    collection: SeriesCollection,
    split: SplitRows,
    path: Path,
    series_index: int = 0,
    max_points: int = 5000,
) -> Path:
    """Draw every column of one series, one panel each, with the splits shaded.

    Args:
        collection: the validated series.
        split: split row ranges (global row positions).
        path: PNG file to write.
        series_index: which series of the collection to draw.
        max_points: longer series are thinned to about this many points by
            striding (a figure, not an analysis).

    Returns:
        ``path``.
    """
    frame = collection.series(series_index)
    offset = int(collection.offsets[series_index])
    step = max(1, len(frame) // max_points)
    times = frame.index[::step]
    n_columns = frame.shape[1]
    fig, axes = plt.subplots(n_columns, 1, figsize=(11, 1.6 + 1.5 * n_columns), sharex=True, squeeze=False)
    bounds = split.bounds[series_index] - offset
    for ax, column in zip(axes[:, 0], frame.columns):
        ax.plot(times, frame[column].to_numpy()[::step], lw=0.7, color="#1f4e79")
        for name, (start, end) in zip(SPLIT_COLOURS, zip(bounds[:-1], bounds[1:])):
            if end > start:
                ax.axvspan(frame.index[start], frame.index[min(end, len(frame)) - 1], color=SPLIT_COLOURS[name], lw=0)
        ax.set_ylabel(str(column), rotation=0, ha="right", fontsize=8)
        ax.tick_params(labelsize=7)
    handles = [plt.Rectangle((0, 0), 1, 1, color=c) for c in SPLIT_COLOURS.values()]
    axes[0, 0].legend(handles, list(SPLIT_COLOURS), loc="upper left", ncol=3, fontsize=7)
    axes[0, 0].set_title(f"Series {collection.series_ids[series_index]!s}: columns and splits", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
