"""Figures and page sections of anomaly detection: series with scores, thresholds and events shaded."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)

from forecaster.anomaly.pipeline import DetectionResult  # noqa: E402
from forecaster.reports.html import HtmlSection  # noqa: E402
from forecaster.runs import RunFolder  # noqa: E402

MAX_FEATURE_PANELS = 4
MAX_SERIES_FIGURES = 3
MAX_EVENT_ROWS = 20
EVENT_COLOUR = "#f6c6c6"


def plot_detection(result: DetectionResult, path: Path, series_index: int = 0, max_points: int = 5000) -> Path:
    """Draw one series: its first columns with events shaded, the error against the threshold, the likelihood and alarms.

    Args:
        result: the detection result.
        path: PNG file to write.
        series_index: which series of the result's collection to draw. Default 0.
        max_points: longer series are thinned to about this many points by
            striding (flagged points are always drawn). Default 5000.

    Returns:
        ``path``.
    """
    collection = result.collection
    start, end = int(collection.offsets[series_index]), int(collection.offsets[series_index + 1])
    frame = collection.series(series_index)
    scores = result.scores.iloc[start:end]
    series_id = collection.series_ids[series_index]
    events = result.events[result.events["series"] == series_id]
    step = max(1, len(frame) // max_points)
    times = frame.index[::step]
    columns = list(frame.columns[:MAX_FEATURE_PANELS])
    fig, axes = plt.subplots(len(columns) + 2, 1, figsize=(11, 2.0 + 1.5 * (len(columns) + 2)), sharex=True, squeeze=False)
    axes = axes[:, 0]
    for ax, column in zip(axes, columns):
        ax.plot(times, frame[column].to_numpy()[::step], lw=0.7, color="#1f4e79")
        ax.set_ylabel(str(column), rotation=0, ha="right", fontsize=8)
    error_ax, likelihood_ax = axes[-2], axes[-1]
    error_ax.plot(times, scores["error"].to_numpy()[::step], lw=0.7, color="#444", label="error")
    error_ax.plot(times, scores["threshold"].to_numpy()[::step], lw=1.0, color="#c0392b", ls="--", label="threshold")
    flagged = scores["flag"].to_numpy()
    error_ax.scatter(frame.index[flagged], scores["error"].to_numpy()[flagged], s=6, color="#c0392b", zorder=3, label="flagged")
    error_ax.set_ylabel("error", rotation=0, ha="right", fontsize=8)
    error_ax.legend(fontsize=7, loc="upper left", ncol=3)
    likelihood_ax.plot(times, scores["log_likelihood"].to_numpy()[::step], lw=0.7, color="#6c3483")
    alarms = scores["alarm"].to_numpy() >= result.metrics["alarms"]["level"]
    likelihood_ax.scatter(frame.index[alarms], scores["log_likelihood"].to_numpy()[alarms], s=10, marker="v",
                          color="#c0392b", zorder=3, label="alarm")
    likelihood_ax.set_ylim(0, 1)
    likelihood_ax.set_ylabel("log\nlikelihood", rotation=0, ha="right", fontsize=8)
    for ax in axes:
        for event in events.itertuples():
            ax.axvspan(event.start, event.end, color=EVENT_COLOUR, lw=0, zorder=0)
        ax.tick_params(labelsize=7)
    axes[0].set_title(f"Series {series_id!s}: {len(events)} events shaded", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def detection_section(run: RunFolder, result: DetectionResult, max_points: int = 5000) -> HtmlSection:
    """Describe a detection: counts, threshold, the first events and a figure per series (at most three).

    Args:
        run: the run folder the figures are written into.
        result: the detection result.
        max_points: see :func:`plot_detection`. Default 5000.

    Returns:
        The ``Anomaly detection`` section of the run page.
    """
    metrics = result.metrics
    n_series = min(result.collection.n_series, MAX_SERIES_FIGURES)
    figures = [
        plot_detection(result, run.figure_path(f"detection_{k}"), series_index=k, max_points=max_points)
        for k in range(n_series)
    ]
    threshold = metrics["threshold"]
    threshold_text = f"{threshold:.4g}" if threshold is not None else "none"
    text = (
        f"{metrics['detector']} detector, {metrics['mode']} scoring, threshold {metrics['threshold_method']} "
        f"(median {threshold_text}): {metrics['n_flagged']:,} of {metrics['n_scored']:,} scored points flagged, "
        f"{metrics['n_events']} events (events.csv has them all; scores.parquet every point). "
        f"{_alarm_text(metrics['alarms'])}"
    )
    rows = [_event_row(event) for event in result.events.head(MAX_EVENT_ROWS).itertuples()]
    return HtmlSection("Anomaly detection", text=text, table=rows or None, figures=figures)


def _alarm_text(alarms: dict) -> str:
    """One sentence: how many alarms the log likelihood raised, and from which error signals."""
    sources = ", ".join(f"{count} from {name.replace('_', ' ')}" for name, count in alarms["by_source"].items())
    return f"{alarms['n_alarms']} alarms (log likelihood at least {alarms['level']:g})" + (f": {sources}." if sources else ".")


def _event_row(event) -> dict:
    return {
        "series": str(event.series),
        "start": str(event.start),
        "end": str(event.end),
        "points": int(event.n_points),
        "peak": str(event.peak_time),
        "peak error": float(event.peak_score),
        "severity": float(event.severity),
        "top features": event.top_features,
    }

