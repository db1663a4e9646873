"""Figures and the page section of a scan run: new and updated events on their series, score against threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from forecaster.reports.html import HtmlSection
from forecaster.reports.style import (
    ACTUAL_COLOUR,
    ALERT_COLOUR,
    MODEL_COLOUR,
    THRESHOLD_COLOUR,
    format_date_axis,
    new_figure,
    save_figure,
    styled,
)
from forecaster.runs import RunFolder

EVENT_COLUMNS = ("series", "kind", "state", "start", "end", "peak", "peak_score", "severity", "n_points", "features")


def plot_series_events(series: str, values: pd.DataFrame, points: pd.DataFrame, events: list[dict]) -> Figure:
    """Draw one series' scanned values with its new and updated events shaded, and the score against the threshold.

    Args:
        series: the series id (the title).
        values: the scanned rows, indexed by time, one column per feature.
        points: the scored points: ``time``, ``error``, ``threshold``.
        events: the series' new and updated events (``start``, ``end``, ``kind``).

    Returns:
        The figure (two panels sharing the time axis).
    """
    figure = new_figure(4.2)
    top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=[3, 2])
    for column in values.columns:
        top.plot(values.index, values[column], lw=0.8, label=column, color=ACTUAL_COLOUR if values.shape[1] == 1 else None)
    bottom.plot(points["time"], points["error"], lw=0.8, color=MODEL_COLOUR, label="score (error)")
    bottom.plot(points["time"], points["threshold"], lw=1.0, ls="--", color=THRESHOLD_COLOUR, label="threshold")
    flagged = points[points["flag"].astype(bool)]
    bottom.scatter(flagged["time"], flagged["error"], s=8, color=ALERT_COLOUR, zorder=3, label="anomalous point")
    for event in events:
        for axes in (top, bottom):
            axes.axvspan(pd.Timestamp(event["start"]), pd.Timestamp(event["end"]), color=ALERT_COLOUR,
                         alpha=0.25 if event["kind"] == "new" else 0.12, lw=0)
    top.set_title(f"{series}: {sum(e['kind'] == 'new' for e in events)} new, {sum(e['kind'] == 'updated' for e in events)} updated events")
    top.set_ylabel("value")
    bottom.set_ylabel("score")
    for axes in (top, bottom):
        styled(axes)
        axes.legend(fontsize=7, loc="upper left")
    format_date_axis(bottom)
    return figure


def scan_section(run: RunFolder, summary: dict, events: list[dict], plotted: dict[str, tuple[pd.DataFrame, pd.DataFrame]]) -> HtmlSection:
    """The page section of a scan: what it did, its new and updated events, one figure per plotted series.

    Args:
        run: the open run folder (figures go to its ``figures/``).
        summary: the scan's counts (:meth:`~forecaster.scan.ScanSummary.to_dict`).
        events: the new and updated events (with ``kind``).
        plotted: ``{series: (values, points)}`` for the series to draw.

    Returns:
        The :class:`HtmlSection`.
    """
    figures = []
    for k, (series, (values, points)) in enumerate(plotted.items()):
        mine = [event for event in events if event["series"] == series]
        figures.append(save_figure(plot_series_events(series, values, points, mine), run.figure_path(f"scan_events_{k}")))
    skipped = summary["skipped"]
    text = (
        f"Scan {summary['scan_id']} scored {summary['rows_scored']:,} new points of {summary['n_series']} series "
        f"({summary['up_to_date']} had nothing new): {summary['new_events']} new and {summary['updated_events']} "
        f"updated events. Late rows counted and not re-scored: {summary['late_rows']}."
    )
    if skipped:
        text += "\n\nSkipped: " + "; ".join(f"{series}: {reason}" for series, reason in skipped.items())
    if summary["scaling_fitted"]:
        text += "\n\nScaling fitted by this scan (anomaly.unseen_series: fit): " + ", ".join(summary["scaling_fitted"])
    rows = [{key: (round(event[key], 3) if isinstance(event[key], float) and np.isfinite(event[key]) else event[key])
             for key in EVENT_COLUMNS} for event in events]
    return HtmlSection("Scan", text=text, table=rows or None, figures=figures)
