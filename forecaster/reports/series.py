"""Figures of the input series: each column over time with its train/validation/test split."""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import Patch

from forecaster.data.series import SeriesCollection
from forecaster.reports.style import PALETTE, new_figure, styled
from forecaster.reports.thinning import thin_indices
from forecaster.reports.timeaxis import format_x_axis, plot_positions
from forecaster.windows.splits import SplitRows

SPLIT_COLOURS = {"train": PALETTE["sky"], "validation": PALETTE["orange"], "test": PALETTE["vermillion"]}
MAX_PANELS = 8
"""Columns drawn at most; the targets come first."""


def plot_series_overview(
    collection: SeriesCollection,
    split: SplitRows,
    series_index: int = 0,
    max_points: int = 5000,
    columns: list[str] | None = None,
    title: str = "",
) -> Figure:
    """Draw the columns of one series, one panel each, with the splits shaded.

    Long series are thinned for drawing by :func:`~forecaster.reports.thinning.thin_indices`,
    which keeps every bucket's minimum and maximum, so no spike disappears.

    Args:
        collection: the validated series.
        split: split row ranges (global row positions).
        series_index: which series of the collection to draw. Default 0.
        max_points: about how many points each panel draws. Default 5000.
        columns: the columns to draw, in order (at most :data:`MAX_PANELS`).
            Default: the collection's columns.
        title: figure title. Default names the series.

    Returns:
        The figure.
    """
    frame = collection.series(series_index)
    shown = list(columns or frame.columns)[:MAX_PANELS]
    offset = int(collection.offsets[series_index])
    bounds = split.bounds[series_index] - offset
    figure = new_figure(1.2 + 1.25 * len(shown))
    axes = figure.subplots(len(shown), 1, sharex=True, squeeze=False)[:, 0]
    times = frame.index
    for axis, column in zip(axes, shown):
        styled(axis)
        values = frame[column].to_numpy(dtype=float)
        keep = thin_indices(plot_positions(times), values, max_points)
        axis.plot(times[keep], values[keep], lw=0.7, color=PALETTE["blue"])
        for colour, start, end in zip(SPLIT_COLOURS.values(), bounds[:-1], bounds[1:]):
            if end > start:
                axis.axvspan(times[start], times[min(end, len(frame)) - 1], color=colour, alpha=0.18, lw=0)
        axis.set_ylabel(str(column), rotation=0, ha="right", va="center")
    format_x_axis(axes[-1], times)
    handles = [Patch(color=colour, alpha=0.35, label=name) for name, colour in SPLIT_COLOURS.items()]
    figure.legend(handles=handles, loc="outside lower center", ncol=3)
    label = "Input series" if collection.n_series == 1 else f"Series {collection.series_ids[series_index]!s}"
    figure.suptitle(title or f"{label}: every column (data units) with the training, validation and test splits")
    return figure
