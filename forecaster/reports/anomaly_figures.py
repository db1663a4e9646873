"""Figures of anomaly detection: the overview of a series with its events, zoomed events, errors, features.

Every event is marked at least a few pixels wide, with a line at its peak, so
a one-point event on a two-year axis still shows. Every figure is a
:class:`matplotlib.figure.Figure` built without ``pyplot``
(:mod:`forecaster.reports.style`); long series are thinned by
:func:`~forecaster.reports.thinning.thin_indices`, which keeps every extreme
and every flagged point.

Errors are the detector's absolute errors on the scale of the declared-normal
rows: one unit is one standard deviation of a feature over those rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from forecaster.anomaly.events import flag_runs
from forecaster.anomaly.pipeline import DetectionResult
from forecaster.reports.html import count_noun
from forecaster.reports.style import (
    ALERT_COLOUR,
    MUTED_COLOUR,
    PALETTE,
    THRESHOLD_COLOUR,
    new_figure,
    styled,
)
from forecaster.reports.thinning import thin_indices
from forecaster.reports.timeaxis import format_moment, format_x_axis, one_step_later, plot_positions

MAX_VALUE_PANELS = 4
"""Value columns drawn at most in an overview (those with the largest error on flagged points)."""
MAX_TITLE_COLUMNS = 8
"""Columns named at most in a title (more are counted)."""
N_TOP_EVENTS = 4
"""Events zoomed in on and broken down by feature."""
MAX_FEATURE_COLUMNS = 12
"""Features shown at most in the contribution heat map."""
CONTEXT_ROWS = 96
"""Rows shown at least before and after an event in its zoomed panel."""
MIN_EVENT_WIDTH_PT = 3.0
"""Width in points (6 pixels at 150 dpi) of the line drawn at every event's peak, whatever the time axis spans."""
UNNAMED_SERIES = "series"
"""The id of the single series of a file without an id column."""
ERROR_LABEL = "error (std of normal rows)"
EVENT_ALPHA = 0.18
PEAK_ALPHA = 0.45
SERIES_COLOUR = PALETTE["blue"]
ERROR_COLOUR = PALETTE["black"]
NORMAL_COLOUR = PALETTE["green"]
LIKELIHOOD_COLOUR = PALETTE["purple"]
FILLED_COLOUR = PALETTE["grey"]
FILLED_ALPHA = 0.3


def series_title(result: DetectionResult, series_index: int, data_name: str | None = None) -> str:
    """Name one series of a detection for a figure title: the data file, the series id (when named) and its columns.

    Args:
        result: the detection result.
        series_index: which series of the result's collection.
        data_name: the data file's name (e.g. ``machine_temperature.csv``); ``None`` leaves it out. Default ``None``.

    Returns:
        E.g. ``machine_temperature.csv: value`` for the single series of a file
        without an id column, ``sensors.csv, series pump-3: flow, pressure``
        for one of many; never ``series series``.
    """
    collection = result.collection
    columns = collection.columns
    listed = ", ".join(columns) if len(columns) <= MAX_TITLE_COLUMNS else f"{len(columns)} columns"
    series_id = str(collection.series_ids[series_index])
    unnamed = collection.n_series == 1 and series_id == UNNAMED_SERIES
    parts = [part for part in (data_name, None if unnamed else f"series {series_id}") if part]
    return f"{', '.join(parts)}: {listed}" if parts else listed


def ranked_events(events: pd.DataFrame) -> pd.DataFrame:
    """Return the events sorted by severity (most severe first) with a 1-based ``rank`` column.

    Args:
        events: the ``events`` frame of a :class:`DetectionResult`.

    Returns:
        A copy, sorted by ``severity`` descending (ties by start time), with ``rank`` added.
    """
    ordered = events.sort_values(["severity", "start"], ascending=[False, True], kind="stable", na_position="last")
    return ordered.reset_index(drop=True).assign(rank=np.arange(1, len(events) + 1))


def mark_events(axes: Axes, starts: np.ndarray, ends: np.ndarray, peaks: np.ndarray, opacity: float = 1.0) -> None:
    """Mark events on a time axis: a light band over each event and a line at least :data:`MIN_EVENT_WIDTH_PT` wide at its peak.

    The band shows an event's true extent when it is wide enough to see; the
    peak line's width is in points, not in time, so an event of one point on
    an axis of two years is still a few pixels wide. Both span the axes'
    full height and leave the data limits alone. The detect and scan pages
    both mark events this way.

    Args:
        axes: axes whose x axis holds times or steps.
        starts: float ``(n_events,)`` x position (:func:`~forecaster.reports.timeaxis.plot_positions`) of each event's start.
        ends: float ``(n_events,)`` x position of each event's exclusive end (the last flagged time plus one step).
        peaks: float ``(n_events,)`` x position of each event's peak.
        opacity: scales the band's (:data:`EVENT_ALPHA`) and the line's (:data:`PEAK_ALPHA`) opacity,
            in ``(0, 1]``; a fainter mark sets some events apart (a scan's updated events). Default 1.
    """
    if len(starts) == 0:
        return
    left, right, peak = (np.asarray(positions, dtype=np.float64) for positions in (starts, ends, peaks))
    _add_bands(axes, left, right, ALERT_COLOUR, EVENT_ALPHA * opacity)
    lines = np.stack(
        [np.column_stack([peak, np.zeros_like(peak)]), np.column_stack([peak, np.ones_like(peak)])], axis=1
    )
    axes.add_collection(
        LineCollection(
            lines,
            transform=axes.get_xaxis_transform(),
            colors=ALERT_COLOUR,
            alpha=PEAK_ALPHA * opacity,
            linewidths=MIN_EVENT_WIDTH_PT,
            zorder=0.5,
            capstyle="butt",
        ),
        autolim=False,
    )


def plot_detection_overview(
    result: DetectionResult, series_index: int = 0, max_points: int = 5000, data_name: str | None = None
) -> Figure:
    """Draw one series with its events marked, the error against the threshold underneath and the log likelihood with its alarms.

    Panels share the time axis: up to :data:`MAX_VALUE_PANELS` value columns
    (those with the largest error on flagged points, in data order), the
    error with the threshold, flagged points and the declared-normal rows
    shaded, then the log likelihood with the alarm level and the alarms. The
    most severe :data:`N_TOP_EVENTS` events are numbered by rank.

    Args:
        result: the detection result.
        series_index: which series of the result's collection. Default 0.
        max_points: about how many points each line draws (flagged points are
            always drawn). Default 5000.
        data_name: the data file's name, for the title. Default ``None``.

    Returns:
        The figure.
    """
    collection = result.collection
    start, end = int(collection.offsets[series_index]), int(collection.offsets[series_index + 1])
    frame = collection.series(series_index)
    scores = result.scores.iloc[start:end]
    times = x_ns = plot_positions(frame.index)
    flagged = scores["flag"].to_numpy(dtype=bool)
    ranked = ranked_events(result.events)
    events = ranked[ranked["series"] == collection.series_ids[series_index]]
    starts, ends, peaks = _event_positions(events, collection)
    columns = _overview_columns(scores, collection.columns, flagged)

    figure = new_figure(1.6 + 1.25 * len(columns) + 2.9)
    axes = figure.subplots(
        len(columns) + 2,
        1,
        sharex=True,
        squeeze=False,
        gridspec_kw={"height_ratios": [1.0] * len(columns) + [1.4, 0.9]},
    )[:, 0]
    for axis, column in zip(axes, columns):
        styled(axis)
        values = frame[column].to_numpy(dtype=np.float64)
        shown = thin_indices(x_ns, values, max_points, keep=flagged)
        axis.plot(times[shown], values[shown], lw=0.7, color=SERIES_COLOUR)
        axis.set_ylabel(f"{column}\n(data units)")
        shade_rows(axis, times, filled_mask(scores), FILLED_COLOUR, FILLED_ALPHA)
    error_axis, likelihood_axis = styled(axes[-2]), styled(axes[-1])
    _draw_error(error_axis, scores, times, x_ns, max_points)
    _draw_likelihood(likelihood_axis, scores, times, x_ns, max_points, result.metrics["alarms"]["level"])
    for axis in axes:
        mark_events(axis, starts, ends, peaks)
    top = events[events["rank"] <= N_TOP_EVENTS]
    top_peaks = plot_positions(top["peak_time"])
    for rank, peak in zip(top["rank"], top_peaks):
        axes[0].annotate(
            str(rank),
            (peak, 1.0),
            xycoords=axes[0].get_xaxis_transform(),
            xytext=(0, 2),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8,
            fontweight="bold",
            color=ALERT_COLOUR,
        )
    format_x_axis(axes[-1], frame.index)
    n_flagged = int(flagged.sum())
    subset = (
        f"\npanels: the {len(columns)} of {len(collection.columns)} columns with the largest error on flagged points"
        if len(columns) < len(collection.columns)
        else ""
    )
    figure.suptitle(
        f"{series_title(result, series_index, data_name)}: {count_noun(len(events), 'event')} "
        f"({n_flagged:,} of {len(frame):,} points flagged)"
        + (f"; the {min(len(top), N_TOP_EVENTS)} most severe numbered" if len(top) else "")
        + subset,
        fontsize=10,
    )
    return figure


def plot_top_events(
    result: DetectionResult,
    n_events: int = N_TOP_EVENTS,
    context_rows: int = CONTEXT_ROWS,
    max_points: int = 5000,
    data_name: str | None = None,
) -> Figure:
    """Zoom in on the most severe events: the top feature's values above the error against the threshold, with context.

    Each event gets two panels sharing a time axis: the values of its top
    feature and the error with the threshold and flagged points, from
    ``max(context_rows, rows the event spans)`` rows before the event to as
    many after it (cut at the series' ends). Each panel's title gives the
    event's peak, severity and flagged points.

    Args:
        result: the detection result.
        n_events: events drawn, most severe first. Default :data:`N_TOP_EVENTS`.
        context_rows: rows shown at least before and after an event. Default :data:`CONTEXT_ROWS`.
        max_points: about how many points each line draws. Default 5000.
        data_name: the data file's name, for the title. Default ``None``.

    Returns:
        The figure (one short panel saying so when there is no event).
    """
    top = ranked_events(result.events).head(n_events)
    if top.empty:
        return _empty_figure("No anomaly events: nothing to zoom in on")
    collection = result.collection
    n_columns = min(len(top), 2)
    n_rows = -(-len(top) // n_columns)
    figure = new_figure(3.3 * n_rows + 0.4)
    panels = figure.subfigures(n_rows, n_columns, squeeze=False).ravel()
    rows = _event_rows(result, top)
    shaded_normal = False
    for panel, event, (series_index, first, last, peak) in zip(panels, top.itertuples(), rows):
        value_axis, error_axis = (styled(axis) for axis in panel.subplots(2, 1, sharex=True, height_ratios=[1.0, 1.0]))
        offset, length = int(collection.offsets[series_index]), int(collection.lengths()[series_index])
        context = max(context_rows, last - first + 1)
        lo, hi = max(first - context, 0), min(last + context + 1, length)
        frame = collection.series(series_index).iloc[lo:hi]
        scores = result.scores.iloc[offset + lo : offset + hi]
        times = x_ns = plot_positions(frame.index)
        column = (event.top_features.split(", ")[0] if event.top_features else "") or collection.columns[0]
        values = frame[column].to_numpy(dtype=np.float64)
        shown = thin_indices(x_ns, values, max_points, keep=scores["flag"].to_numpy(dtype=bool))
        value_axis.plot(times[shown], values[shown], lw=0.9, color=SERIES_COLOUR)
        value_axis.set_ylabel(f"{column}\n(data units)")
        shaded_normal |= _draw_error(error_axis, scores, times, x_ns, max_points, legend=False)
        single = _event_positions(top.iloc[[event.Index]], collection)
        for axis in (value_axis, error_axis):
            mark_events(axis, *single)
        value_axis.plot(times[[peak - lo]], values[[peak - lo]], "v", ms=6, color=ALERT_COLOUR)
        format_x_axis(error_axis, frame.index)
        where = "" if collection.n_series == 1 and str(event.series) == UNNAMED_SERIES else f"series {event.series}, "
        panel.suptitle(
            f"#{event.rank}: {where}peak {format_moment(event.peak_time)}, "
            f"{event.severity:.2f} × threshold, {count_noun(int(event.n_points), 'flagged point')}",
            fontsize=9,
        )
    handles = [
        Line2D([], [], color=ERROR_COLOUR, lw=0.8, label="error"),
        Line2D([], [], color=THRESHOLD_COLOUR, lw=1.0, ls="--", label="threshold"),
        Line2D([], [], color=ALERT_COLOUR, marker="o", ls="", ms=3, label="flagged point"),
        Patch(color=ALERT_COLOUR, alpha=0.35, label="event (band; line at its peak)"),
        Line2D([], [], color=ALERT_COLOUR, marker="v", ls="", ms=6, label="value at the peak"),
    ]
    if shaded_normal:
        handles.append(Patch(color=NORMAL_COLOUR, alpha=0.25, label="declared normal (trained on)"))
    figure.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8, frameon=False)
    figure.suptitle(
        f"{data_name + ': ' if data_name else ''}the {len(top)} most severe events, "
        f"with at least {context_rows} rows of context either side",
        fontsize=10,
    )
    return figure


def plot_error_distribution(result: DetectionResult) -> Figure:
    """Draw the distribution of scored errors, declared-normal rows apart from the rest, with the threshold.

    The count axis is logarithmic, so the few points in the tail show beside
    the many near zero; when the errors span more than two decades the error
    axis is logarithmic too. A threshold that varies (per series, or by
    block for ``dynamic``) is drawn at its median with its range shaded.

    Args:
        result: the detection result.

    Returns:
        The figure.
    """
    scores = result.scores
    error = scores["error"].to_numpy(dtype=np.float64)
    scored = np.isfinite(error)
    normal = scores["normal"].to_numpy(dtype=bool)
    figure = new_figure(3.6, width=8.0)
    axis = styled(figure.subplots())
    if not scored.any():
        axis.text(0.5, 0.5, "no point was scored", transform=axis.transAxes, ha="center")
        figure.suptitle("Error distribution", fontsize=10)
        return figure
    values = error[scored]
    positive = values[values > 0]
    logarithmic = positive.size > 1 and positive.max() / np.median(positive) > 100
    if logarithmic:
        bins = np.geomspace(positive.min(), positive.max(), 60)
        axis.set_xscale("log")
    else:
        bins = np.linspace(values.min(), values.max(), 60) if values.max() > values.min() else 10
    axis.hist(
        error[scored & normal],
        bins=bins,
        histtype="stepfilled",
        alpha=0.45,
        color=NORMAL_COLOUR,
        label="declared-normal rows",
    )
    axis.hist(error[scored & ~normal], bins=bins, histtype="step", lw=1.3, color=SERIES_COLOUR, label="other rows")
    axis.set_yscale("log")
    thresholds = scores["threshold"].to_numpy(dtype=np.float64)
    thresholds = thresholds[np.isfinite(thresholds)]
    if thresholds.size:
        low, middle, high = np.quantile(thresholds, [0.0, 0.5, 1.0])
        if high > low:
            axis.axvspan(
                low, high, color=THRESHOLD_COLOUR, alpha=0.12, lw=0, label=f"threshold range {low:.3g}-{high:.3g}"
            )
        axis.axvline(middle, color=THRESHOLD_COLOUR, ls="--", lw=1.2, label=f"threshold {middle:.3g}")
    axis.set_xlabel(ERROR_LABEL + (", log scale" if logarithmic else ""))
    axis.set_ylabel("points (log scale)")
    axis.legend(fontsize=8, loc="best")
    n_above = int(scores["flag"].sum())
    figure.suptitle(
        f"Error distribution: {int(scored.sum()):,} scored points, {n_above:,} above the threshold", fontsize=10
    )
    return figure


def plot_feature_contributions(result: DetectionResult, n_events: int = N_TOP_EVENTS) -> Figure:
    """Draw a heat map of the mean error of each feature over each of the most severe events.

    Args:
        result: the detection result; its scores hold ``error_<column>`` per feature.
        n_events: events shown, most severe first. Default :data:`N_TOP_EVENTS`.

    Returns:
        The figure: events as rows, features as columns (the
        :data:`MAX_FEATURE_COLUMNS` largest over these events, in data order),
        each cell the feature's mean error over the event, annotated.
    """
    top = ranked_events(result.events).head(n_events)
    if top.empty:
        return _empty_figure("No anomaly events: no feature contributions")
    columns = result.collection.columns
    errors = result.scores[[f"error_{column}" for column in columns]].to_numpy(dtype=np.float64)
    rows = _event_rows(result, top)
    offsets = result.collection.offsets
    bounds = np.array([[offsets[k] + first, offsets[k] + last + 1] for k, first, last, _ in rows]).ravel()
    padded = np.vstack([np.nan_to_num(errors), np.zeros((1, errors.shape[1]))])
    observed = np.vstack([np.isfinite(errors), np.zeros((1, errors.shape[1]), dtype=bool)]).astype(np.float64)
    sums, counts = np.add.reduceat(padded, bounds, axis=0)[::2], np.add.reduceat(observed, bounds, axis=0)[::2]
    means = np.divide(sums, counts, out=np.full_like(sums, np.nan), where=counts > 0)
    shown = np.sort(np.argsort(-np.nan_to_num(means).sum(axis=0), kind="stable")[:MAX_FEATURE_COLUMNS])
    means = means[:, shown]
    figure = new_figure(max(2.6, 1.3 + 0.45 * len(top)), width=min(11.0, 3.5 + 0.75 * len(shown)))
    axis = figure.subplots()
    image = axis.imshow(means, aspect="auto", cmap="cividis", vmin=0.0)
    axis.set_xticks(
        np.arange(len(shown)),
        [columns[j] for j in shown],
        rotation=30 if len(shown) > 8 else 0,
        ha="right" if len(shown) > 8 else "center",
        fontsize=8,
    )
    axis.set_yticks(
        np.arange(len(top)),
        [f"#{event.rank}  {format_moment(event.peak_time)}" for event in top.itertuples()],
        fontsize=8,
    )
    axis.set_xlabel("feature")
    axis.set_ylabel("event (peak time)", fontsize=9)
    bright = means > 0.6 * np.nanmax(means) if np.isfinite(means).any() else np.zeros_like(means, dtype=bool)
    for (i, j), value in np.ndenumerate(means):
        axis.text(
            j,
            i,
            "–" if np.isnan(value) else f"{value:.2g}",
            ha="center",
            va="center",
            fontsize=7,
            color="black" if bright[i, j] else "white",
        )
    colorbar = figure.colorbar(image, ax=axis, shrink=0.9)
    colorbar.set_label("mean error\n(std of normal rows)", size=9)
    colorbar.ax.tick_params(labelsize=8)
    subset = f" ({len(shown)} of {len(columns)} features)" if len(shown) < len(columns) else ""
    figure.suptitle(f"Which features were off in the {len(top)} most severe events{subset}", fontsize=10)
    return figure


def _draw_error(
    axis: Axes, scores: pd.DataFrame, times: np.ndarray, x_ns: np.ndarray, max_points: int, legend: bool = True
) -> bool:
    """Draw the error, the threshold, the flagged points and the declared-normal rows of one stretch of one series.

    Returns whether any declared-normal rows were shaded.
    """
    error = scores["error"].to_numpy(dtype=np.float64)
    threshold = scores["threshold"].to_numpy(dtype=np.float64)
    flagged = scores["flag"].to_numpy(dtype=bool)
    normal = scores["normal"].to_numpy(dtype=bool)
    shown = thin_indices(x_ns, error, max_points, keep=flagged)
    axis.plot(times[shown], error[shown], lw=0.7, color=ERROR_COLOUR, label="error")
    shown = thin_indices(x_ns, threshold, max_points)
    axis.plot(times[shown], threshold[shown], lw=1.0, ls="--", color=THRESHOLD_COLOUR, label="threshold")
    axis.plot(times[flagged], error[flagged], "o", ms=2.0, mew=0, color=ALERT_COLOUR, label="flagged point")
    shaded_normal = shade_rows(axis, times, normal, NORMAL_COLOUR)
    shaded_filled = shade_rows(axis, times, filled_mask(scores), FILLED_COLOUR, FILLED_ALPHA)
    axis.set_ylabel(ERROR_LABEL.replace(" (", "\n("))
    if legend:
        handles, _ = axis.get_legend_handles_labels()
        if shaded_normal:
            handles.append(Patch(color=NORMAL_COLOUR, alpha=0.25, label="declared normal (trained on)"))
        if shaded_filled:
            handles.append(Patch(color=FILLED_COLOUR, alpha=0.35, label="filled by the data layer (not scored)"))
        handles.append(Patch(color=ALERT_COLOUR, alpha=0.35, label="event (band; line at its peak)"))
        _legend_above(axis, handles)
    return shaded_normal


def shade_rows(axis: Axes, times: np.ndarray, rows: np.ndarray, colour: str, alpha: float = 0.1) -> bool:
    """Shade every run of marked rows on a time axis, from its first time to one step after its last.

    Args:
        axis: axes whose x axis holds times.
        times: float ``(n,)`` increasing x positions of the rows (:func:`~forecaster.reports.timeaxis.plot_positions`).
        rows: bool ``(n,)`` rows to shade.
        colour: the shading colour.
        alpha: its opacity. Default 0.1.

    Returns:
        Whether anything was shaded.
    """
    starts, ends = flag_runs(rows)
    if starts.size == 0:
        return False
    step = times[1] - times[0] if len(times) > 1 else 0.0
    _add_bands(axis, times[starts], times[ends - 1] + step, colour, alpha)
    return True


def _add_bands(axis: Axes, left: np.ndarray, right: np.ndarray, colour: str, alpha: float) -> None:
    """Add full-height bands from ``left`` to ``right`` (x positions, ``(n,)`` each) behind the data.

    The data limits are left alone (the bands span the axes' height, not data values).
    """
    bottom, top = np.zeros_like(left), np.ones_like(left)
    bands = np.stack(
        [
            np.column_stack([left, bottom]),
            np.column_stack([left, top]),
            np.column_stack([right, top]),
            np.column_stack([right, bottom]),
        ],
        axis=1,
    )
    axis.add_collection(
        PolyCollection(
            bands, transform=axis.get_xaxis_transform(), facecolors=colour, alpha=alpha, linewidths=0, zorder=0
        ),
        autolim=False,
    )


def _draw_likelihood(
    axis: Axes, scores: pd.DataFrame, times: np.ndarray, x_ns: np.ndarray, max_points: int, level: float
) -> None:
    """Draw the log likelihood, the alarm level and the alarms of one series."""
    log_likelihood = scores["log_likelihood"].to_numpy(dtype=np.float64)
    alarms = scores["alarm"].to_numpy(dtype=np.float64) >= level
    shown = thin_indices(x_ns, log_likelihood, max_points, keep=alarms)
    axis.plot(times[shown], log_likelihood[shown], lw=0.7, color=LIKELIHOOD_COLOUR)
    axis.axhline(level, lw=0.9, ls=":", color=MUTED_COLOUR, label=f"alarm level {level:g}")
    axis.plot(times[alarms], log_likelihood[alarms], "v", ms=5, color=ALERT_COLOUR, label="alarm")
    axis.set_ylim(0, 1)
    axis.set_ylabel("log likelihood\n(0-1)")
    _legend_above(axis, axis.get_legend_handles_labels()[0])


def filled_mask(scores: pd.DataFrame) -> np.ndarray:
    """Which rows the data layer filled (never scored); none when the scores predate the ``filled`` column."""
    if "filled" not in scores:
        return np.zeros(len(scores), dtype=bool)
    return scores["filled"].to_numpy(dtype=bool)


def _legend_above(axis: Axes, handles: list) -> None:
    """Put a one-row legend just above the axes, left-aligned, where it hides no data."""
    axis.legend(
        handles=handles,
        fontsize=7,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        ncol=len(handles),
        frameon=False,
        borderaxespad=0.1,
    )


def _overview_columns(scores: pd.DataFrame, columns: list[str], flagged: np.ndarray) -> list[str]:
    """The value columns an overview draws: all, or the :data:`MAX_VALUE_PANELS` with most error on flagged points.

    The chosen columns keep their data order.
    """
    if len(columns) <= MAX_VALUE_PANELS:
        return list(columns)
    errors = np.nan_to_num(scores[[f"error_{column}" for column in columns]].to_numpy(dtype=np.float64)[flagged])
    chosen = np.sort(np.argsort(-errors.sum(axis=0), kind="stable")[:MAX_VALUE_PANELS])
    return [columns[j] for j in chosen]


def _event_rows(result: DetectionResult, events: pd.DataFrame) -> list[tuple[int, int, int, int]]:
    """Locate events in their series: ``(series_index, first_row, last_row, peak_row)`` per event, rows within the series."""
    collection = result.collection
    rows = []
    for event in events.itertuples():
        k = collection.series_ids.index(event.series)
        moments = pd.Index([event.start, event.end, event.peak_time])
        rows.append((k, *collection.series(k).index.get_indexer(moments).tolist()))
    return rows


def _event_positions(events: pd.DataFrame, collection) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x positions of events' starts, exclusive ends (the last flagged time plus one step of the series) and peaks."""
    stops = one_step_later(events["end"], collection.frequency, collection.holidays)
    return plot_positions(events["start"]), plot_positions(stops), plot_positions(events["peak_time"])


def _empty_figure(message: str) -> Figure:
    """A short figure that says why there is nothing to draw."""
    figure = new_figure(1.2, width=8.0)
    axis = figure.subplots()
    axis.set_axis_off()
    axis.text(0.5, 0.5, message, transform=axis.transAxes, ha="center", va="center", fontsize=10)
    return figure
