"""Figures and the page section of a scan run: new and updated events on their series, score against threshold."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from forecaster.reports.anomaly_figures import PEAK_ALPHA, mark_events
from forecaster.reports.html import HtmlSection, count_noun
from forecaster.reports.style import (
    ACTUAL_COLOUR,
    ALERT_COLOUR,
    MODEL_COLOUR,
    THRESHOLD_COLOUR,
    new_figure,
    save_figure,
    styled,
)
from forecaster.reports.timeaxis import format_x_axis, plot_positions
from forecaster.runs import RunFolder

EVENT_COLUMNS = (
    "id",
    "series",
    "kind",
    "state",
    "start",
    "end",
    "peak",
    "peak_score",
    "severity",
    "n_points",
    "features",
)
EVENT_OPACITY = {"new": 1.0, "updated": 0.5}
"""How strongly new and updated events are marked (scales :func:`~forecaster.reports.anomaly_figures.mark_events`)."""
MAX_EVENT_ROWS = 20
"""Events listed at most on the page, most severe first (``events.csv`` has them all)."""
MAX_LISTED_IDS = 20
"""Removed events' ids named at most in the page's warning (``summary.json`` has them all)."""


def plot_series_events(series: str, values: pd.DataFrame, points: pd.DataFrame, events: list[dict]) -> Figure:
    """Draw one series' scanned values with its new and updated events marked, and the score against the threshold.

    Every event gets a band over its extent and a line at its peak at least a
    few pixels wide (:func:`~forecaster.reports.anomaly_figures.mark_events`, as
    on the detect page), so an event of one or two points shows; updated
    events are marked fainter than new ones.

    Args:
        series: the series id (the title).
        values: the scanned rows, indexed by time, one column per feature.
        points: the scored points: ``time``, ``error``, ``threshold``.
        events: the series' new and updated events (``start``, ``end`` (its last point), ``peak``, ``kind``).

    Returns:
        The figure (two panels sharing the time axis).
    """
    figure = new_figure(4.2)
    top, bottom = (styled(axes) for axes in figure.subplots(2, 1, sharex=True, height_ratios=[3, 2]))
    for column in values.columns:
        top.plot(
            values.index, values[column], lw=0.8, label=column, color=ACTUAL_COLOUR if values.shape[1] == 1 else None
        )
    bottom.plot(points["time"], points["error"], lw=0.8, color=MODEL_COLOUR, label="score (error)")
    bottom.plot(points["time"], points["threshold"], lw=1.0, ls="--", color=THRESHOLD_COLOUR, label="threshold")
    flagged = points[points["flag"].astype(bool)]
    bottom.scatter(flagged["time"], flagged["error"], s=8, color=ALERT_COLOUR, zorder=3, label="anomalous point")
    times = plot_positions(points["time"])
    kinds = np.array([event["kind"] for event in events], dtype=str)
    starts, lasts, peaks = (
        plot_positions(pd.to_datetime([event[key] for event in events])) for key in ("start", "end", "peak")
    )
    # an event's band ends one step after its last point: at the next scored row, or a step past the last one
    following = np.searchsorted(times, lasts, side="right")
    step = times[1] - times[0] if len(times) > 1 else 0.0
    ends = np.where(following < len(times), times[np.minimum(following, len(times) - 1)], lasts + step)
    for kind, opacity in EVENT_OPACITY.items():
        mine = kinds == kind
        for axes in (top, bottom):
            mark_events(axes, starts[mine], ends[mine], peaks[mine], opacity=opacity)
    n_new = int((kinds == "new").sum())
    figure.suptitle(f"{series}: {count_noun(n_new, 'new event')}, {count_noun(len(events) - n_new, 'updated event')}")
    top.set_ylabel("value (data units)")
    bottom.set_ylabel("score (std of normal rows)")
    marks = [
        Patch(color=ALERT_COLOUR, alpha=PEAK_ALPHA * opacity, label=f"{kind} event (band; line at its peak)")
        for kind, opacity in EVENT_OPACITY.items()
        if kind in kinds
    ]
    for axes in (top, bottom):
        handles = axes.get_legend_handles_labels()[0] + (marks if axes is top else [])
        axes.legend(handles=handles, fontsize=7, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=3, frameon=False)
    format_x_axis(bottom, values.index)
    return figure


def scan_section(
    run: RunFolder,
    summary: dict,
    events: list[dict],
    plotted: dict[str, tuple[pd.DataFrame, pd.DataFrame]],
    margin_rows: int,
) -> HtmlSection:
    """The page section of a scan: its new and updated events, in a table and one figure per plotted series.

    The counts, the skipped series and the late and filled rows are said
    once, above it (:func:`scan_summary`); the section says what the table
    and figures show, the series whose scaling this scan fitted, and the
    series with events left without a figure. Each figure's caption says how
    many scored rows it draws before the series' first event and after its
    last; those before this scan's rows are the scores earlier scans stored.

    Args:
        run: the open run folder (figures go to its ``figures/``).
        summary: the scan's counts (:meth:`~forecaster.scan.ScanSummary.to_dict`).
        events: the new and updated events (with their store ``id`` and ``kind``).
        plotted: ``{series: (values, points)}`` for the series to draw, in order (those with the most
            severe events, most severe first), each cut to at most ``margin_rows`` scored rows before
            its first event and after its last, earlier scans' stored scores included. The text counts
            the series with events left out.
        margin_rows: that most, for the captions.

    Returns:
        The :class:`HtmlSection`.
    """
    figures, captions = [], []
    for k, (series, (values, points)) in enumerate(plotted.items()):
        mine = [event for event in events if event["series"] == series]
        figures.append(
            save_figure(plot_series_events(series, values, points, mine), run.figure_path(f"scan_events_{k}"))
        )
        times = pd.DatetimeIndex(points["time"])
        before = int((times < min(pd.Timestamp(event["start"]) for event in mine)).sum())
        after = int((times > max(pd.Timestamp(event["end"]) for event in mine)).sum())
        captions.append(
            f"{series}: {count_noun(before, 'scored row')} before its first event and {after:,} after its last are "
            f"drawn, at most {margin_rows:,} either side; rows scored by earlier scans are read from the store "
            "(fewer where fewer were scored or kept)."
        )
    ranked = sorted(events, key=lambda event: np.inf if np.isnan(event["severity"]) else -event["severity"])
    listed = (
        f" (the {MAX_EVENT_ROWS} most severe of {len(ranked)}; events.csv has them all)"
        if len(ranked) > MAX_EVENT_ROWS
        else ""
    )
    paragraphs = [
        f"The scan's new and updated events, most severe first{listed}. Severity is the peak score divided by the "
        "threshold at the peak; scores are in standard deviations of the declared-normal rows the detector was "
        "trained on."
        if ranked
        else "This scan found no new or updated event."
    ]
    if summary["scaling_fitted"]:
        paragraphs.append(
            "Scaling fitted by this scan (anomaly.unseen_series: fit): " + ", ".join(summary["scaling_fitted"])
        )
    n_undrawn = len({event["series"] for event in events}) - len(plotted)
    if n_undrawn > 0:
        paragraphs.append(
            f"Figures for the {len(plotted)} series with the most severe events; {n_undrawn} more series with "
            f"events {'is' if n_undrawn == 1 else 'are'} in events.csv."
        )
    rows = [
        {
            "id": str(event["id"]),  # as the store and forecaster events write it, without thousands separators
            "series": event["series"],
            "new or updated": event["kind"],
            "state": event["state"],
            "start": pd.Timestamp(event["start"]),
            "end": pd.Timestamp(event["end"]),
            "peak": pd.Timestamp(event["peak"]),
            "peak score": event["peak_score"],
            "severity (× threshold)": event["severity"],
            "flagged points": event["n_points"],
            "features": event["features"],
        }
        for event in ranked[:MAX_EVENT_ROWS]
    ]
    return HtmlSection("Scan", text="\n\n".join(paragraphs), table=rows or None, figures=figures, captions=captions)


def scan_summary(summary: dict) -> tuple[list[str], list[str]]:
    """The summary and the warnings at the top of a scan's page: counts, and every series skipped with its reason.

    Args:
        summary: the scan's counts (:meth:`~forecaster.scan.ScanSummary.to_dict`).

    Returns:
        ``(lines, warnings)``; a skipped series' warning reads e.g. ``Series c was skipped: series/c.csv:
        non-numeric target/covariate columns: ...`` (the reason names the file, not the series).
    """
    rescored = rescored_from(summary)
    scored = f"points scored{rescored}" if rescored else "new points scored"
    lines = [
        f"Scan {summary['scan_id']}: {series_counts(summary)}; {summary['rows_scored']:,} {scored}, "
        f"{count_noun(summary['new_events'], 'new event')} and {count_noun(summary['updated_events'], 'updated event')}."
    ]
    warnings = [f"Series {series} was skipped: {reason}" for series, reason in summary["skipped"].items()]
    if summary["rows_filled"]:
        warnings.append(
            f"{summary['rows_filled']:,} rows scored were missing from the data (within it, or between the "
            "last scan and the new rows) and were scored as missing."
        )
    if summary["removed_events"]:
        ids = summary["removed_event_ids"]
        named = ", ".join(str(event_id) for event_id in ids[:MAX_LISTED_IDS])
        if len(ids) > MAX_LISTED_IDS:
            named += f" and {len(ids) - MAX_LISTED_IDS:,} more, in summary.json"
        warnings.append(
            f"Removed {count_noun(summary['removed_events'], 'stored event')} that the re-score no longer found or "
            f"merged into another (id{'' if len(ids) == 1 else 's'} {named}; no new event gets them)."
        )
    if summary["late_rows"]:
        warnings.append(
            f"{count_noun(summary['late_rows'], 'late row')} (at or before a watermark and not scored before, or "
            "changed within the rows each series keeps for scoring) counted, not re-scored; use --rescore-from to "
            "re-score them on purpose."
        )
    return lines, warnings


def rescored_from(summary: dict) -> str:
    """What a re-scoring scan adds after its count of scored points, for its page and its one-line summary.

    Args:
        summary: the scan's counts (:meth:`~forecaster.scan.ScanSummary.to_dict`).

    Returns:
        E.g. `` (re-scored from 2024-06-01 00:00:00)`` for a scan with ``--rescore-from``, else ``""``.
    """
    return "" if summary["rescore_from"] is None else f" (re-scored from {pd.Timestamp(summary['rescore_from'])})"


def series_counts(summary: dict) -> str:
    """What became of the series a scan read, for its page and its one-line summary.

    Args:
        summary: the scan's counts (:meth:`~forecaster.scan.ScanSummary.to_dict`).

    Returns:
        E.g. ``179 of 200 series scanned (20 up to date, 1 skipped)``: scanned, up to date
        and skipped are disjoint and add up to the series read.
    """
    n_read = summary["n_series"] + summary["up_to_date"] + len(summary["skipped"])
    return (
        f"{summary['n_series']:,} of {n_read:,} series scanned ({summary['up_to_date']:,} up to date, "
        f"{len(summary['skipped']):,} skipped)"
    )


def skipped_series(skipped: dict[str, str]) -> str:
    """The series a scan skipped, each named once with its reason, for its one-line summary and errors.

    The page names them in its warnings instead, one per line (:func:`scan_summary`).

    Args:
        skipped: ``{series: reason}`` (:attr:`~forecaster.scan.ScanSummary.skipped`; a reason names the
            file it read when there is one, not the series).

    Returns:
        E.g. ``c (series/c.csv: non-numeric target/covariate columns: ...); d (the detector has no scaling
        for this series ...)``: each reason in parentheses, as reasons may hold semicolons themselves.
    """
    return "; ".join(f"{series} ({reason})" for series, reason in skipped.items())
