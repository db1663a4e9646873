"""The anomaly part of a run page: what was scored and flagged, the events, the errors, with their figures.

An analyst reads a detection in this order: how much was scored and flagged
and why the threshold sits where it does; where the events are on the whole
series; the worst events up close with their context; which features drove
them; and how the errors are distributed around the threshold. The figures
come from :mod:`forecaster.reports.anomaly_figures`.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from forecaster.anomaly.pipeline import DetectionResult
from forecaster.reports.anomaly_figures import (
    N_TOP_EVENTS,
    UNNAMED_SERIES,
    filled_mask,
    plot_detection_overview,
    plot_error_distribution,
    plot_feature_contributions,
    plot_top_events,
    ranked_events,
)
from forecaster.reports.html import HtmlSection, count_noun
from forecaster.reports.style import save_figure
from forecaster.reports.timeaxis import duration_text, format_moment, one_step_later
from forecaster.runs import RunFolder

logger = logging.getLogger(__name__)

MAX_SERIES_FIGURES = 3
"""Series drawn at most (the ones holding the most severe events first)."""
MAX_EVENT_ROWS = 10
"""Events listed at most in the page's table (``events.csv`` has them all)."""


def event_rows(result: DetectionResult, max_rows: int = MAX_EVENT_ROWS) -> list[dict]:
    """Return the events as table rows for people, most severe first.

    Args:
        result: the detection result.
        max_rows: rows returned at most. Default :data:`MAX_EVENT_ROWS`.

    Returns:
        One dict per event: rank, series (with several series), start, end and
        peak time (minutes), duration (start to one step after the last flagged
        point), flagged points (not the rows spanned: rows in between may lie
        under the threshold), peak error and, when the
        threshold varies, the threshold there (std of normal rows), severity
        (peak over threshold) and, with several features, the top features.
    """
    ranked = ranked_events(result.events).head(max_rows)
    named = result.collection.n_series > 1
    varies = _threshold_varies(result)
    rows = []
    for event, duration in zip(ranked.itertuples(), _durations(result, ranked)):
        row = {"rank": int(event.rank)}
        if named:
            row["series"] = str(event.series)
        row.update(
            {
                "start": format_moment(event.start),
                "end (last flagged)": format_moment(event.end),
                "duration": duration,
                "flagged points": int(event.n_points),
                "peak time": format_moment(event.peak_time),
                "peak error (std)": _round(event.peak_score),
            }
        )
        if varies:
            row["threshold (std)"] = _round(event.peak_score / event.severity) if event.severity else None
        row["severity (× threshold)"] = round(float(event.severity), 2)
        if len(result.collection.columns) > 1:
            row["top features"] = event.top_features
        rows.append(row)
    return rows


def detection_section(
    run: RunFolder, result: DetectionResult, max_points: int = 5000, data_name: str | None = None
) -> list[HtmlSection]:
    """Draw a detection's figures into the run folder and tell its story in page sections.

    Args:
        run: the open run folder the figures are written into.
        result: the detection result.
        max_points: about how many points each line of a figure draws. Default 5000.
        data_name: the data file's name, for titles. Default ``None``.

    Returns:
        Three sections: ``Anomaly detection`` (what was scored, flagged and
        why, with an overview figure per series, at most
        :data:`MAX_SERIES_FIGURES`), ``Anomaly events`` (the table, the top
        events zoomed and, with several features, their contributions) and
        ``Anomaly errors`` (the error distribution).
    """
    ranked = ranked_events(result.events)
    series_order = list(dict.fromkeys([*ranked["series"], *result.collection.series_ids]))
    drawn = [result.collection.series_ids.index(series) for series in series_order[:MAX_SERIES_FIGURES]]
    overviews = [
        save_figure(plot_detection_overview(result, k, max_points, data_name), run.figure_path(f"detection_{n}"))
        for n, k in enumerate(drawn)
    ]
    event_figures = []
    if len(ranked):
        event_figures.append(
            save_figure(
                plot_top_events(result, max_points=max_points, data_name=data_name),
                run.figure_path("detection_top_events"),
            )
        )
        if len(result.collection.columns) > 1:
            event_figures.append(save_figure(plot_feature_contributions(result), run.figure_path("detection_features")))
    distribution = save_figure(plot_error_distribution(result), run.figure_path("detection_errors"))
    n_series = result.collection.n_series
    drawn_text = f" Figures show the {len(drawn)} series with the most severe events." if n_series > len(drawn) else ""
    return [
        HtmlSection("Anomaly detection", text=_summary_text(result, ranked) + drawn_text, figures=overviews),
        HtmlSection(
            "Anomaly events", text=_events_text(result, ranked), table=event_rows(result) or None, figures=event_figures
        ),
        HtmlSection("Anomaly errors", text=_distribution_text(result), figures=[distribution]),
    ]


def _summary_text(result: DetectionResult, ranked: pd.DataFrame) -> str:
    """The story of a detection: what was scored, how the threshold was chosen, what was flagged, what to look at first."""
    metrics, detector, config = result.metrics, result.detector, result.config
    n_series = result.collection.n_series
    unscored = metrics["n_points"] - metrics["n_scored"]
    n_filled = int(filled_mask(result.scores).sum())
    each = " of each series" if n_series > 1 else ""
    reasons = [f"the first {detector.window_length - 1} rows{each} have no full window before them"]
    if n_filled:
        reasons.append(
            f"{count_noun(n_filled, 'row')} the data layer filled (gaps, missing values; shaded grey) are never scored"
        )
    scored = (
        f"{metrics['n_scored']:,} of {metrics['n_points']:,} points were scored"
        + (f", in {n_series} series" if n_series > 1 else "")
        + (f" ({unscored:,} were not: {'; '.join(reasons)})" if unscored else "")
        + "."
    )
    smoothing = f", smoothed by an EWMA of span {config.ewma_span}" if config.ewma_span > 1 else ""
    how = (
        f"Each point's error is the {metrics['detector']} detector's absolute error ({metrics['mode']} scoring{smoothing}), "
        f"in standard deviations of the declared-normal rows the detector was trained on."
    )
    threshold = metrics["threshold"]
    level = (
        "could not be set"
        if threshold is None
        else f"is {threshold:.3g}" + (" (the median over series and points)" if _threshold_varies(result) else "")
    )
    share = metrics["n_flagged"] / max(metrics["n_scored"], 1)
    flags = (
        f"{count_noun(metrics['n_flagged'], 'point')} ({share:.2%} of those scored) lie above it{_rate_text(metrics)}."
    )
    merge = f"{_event_rule_text(config.events)}: {count_noun(metrics['n_events'], 'event')}."
    target = _target_text(config.threshold, metrics)
    overshoot = f" That is {target}" if target else ""
    return "\n\n".join(
        [
            f"{scored} {how}",
            f"The threshold {level}, set by {_threshold_method(config.threshold)}. {flags}{overshoot} {merge}",
            f"{_alarm_text(metrics['alarms'])} {_look_first(result, ranked)}",
            "The overview marks every event with a light band over its extent and a dark line at its peak (at least a "
            "few pixels wide, so one-point events show; the four most severe are numbered); below it are the error "
            "against the threshold, with the declared-normal rows shaded green, and the log likelihood with its alarms.",
        ]
    )


def _events_text(result: DetectionResult, ranked: pd.DataFrame) -> str:
    """What the events table and figures show."""
    if ranked.empty:
        return "No point crossed the threshold, so there are no events; events.csv is empty."
    listed = min(len(ranked), MAX_EVENT_ROWS)
    more = f" (the {listed} most severe of {len(ranked)}; events.csv has them all)" if len(ranked) > listed else ""
    features = (
        "; the heat map shows each feature's mean error over the top events, which says which sensors "
        "or columns to check"
        if len(result.collection.columns) > 1
        else ""
    )
    return (
        f"Events sorted by severity: the peak error divided by the threshold at the peak{more}. Times are in the data's own "
        f"clock; errors in standard deviations of the declared-normal rows. The zoomed panels show the "
        f"{min(len(ranked), N_TOP_EVENTS)} most severe events with the rows around them{features}."
    )


def _distribution_text(result: DetectionResult) -> str:
    """How the scored errors are distributed and where the threshold cuts them."""
    reference = result.metrics["reference_error"]
    reference_text = (
        f" The held-out normal errors the threshold was fitted on ({reference['n']:,} points) have mean "
        f"{reference['mean']:.3g} and 99th percentile {reference['p99']:.3g}."
        if reference["n"]
        else ""
    )
    return (
        "Every scored error, declared-normal rows (green, filled) apart from the others (blue outline), on a log "
        "count axis; "
        "the dashed line is the threshold. Errors of the normal rows far above it would mean the threshold is "
        "too low for this data; a long tail of other rows above it is what the events are made of." + reference_text
    )


def _event_rule_text(events) -> str:
    """The ``anomaly.events`` rule in words, spans as written (a duration, or a number of rows)."""

    def span(value) -> str:
        return count_noun(value, "row") if isinstance(value, int) else value

    opens = (
        "Each flagged point opens an event"
        if events.min_points == 1
        else f"{events.min_points} flagged points within {span(events.within)} open an event"
    )
    cooldown = f", and no new one opens for {span(events.cooldown)} after it ends" if events.cooldown else ""
    return f"{opens}; flagged points up to {span(events.close_after)} after its end extend it{cooldown}"


def _threshold_method(threshold) -> str:
    """How the threshold was chosen, as a phrase, from the ``anomaly.threshold`` settings."""
    if threshold.method == "pot":
        return (
            f"peaks over threshold: a generalised Pareto tail fitted to the held-out normal errors above their "
            f"{threshold.pot_init_quantile:.0%} quantile, for a false-alarm rate of {threshold.risk:g} per point"
        )
    if threshold.method == "quantile":
        return f"the {threshold.quantile:g} quantile of the held-out normal errors"
    if threshold.method == "std":
        return f"the mean plus {threshold.k:g} standard deviations of the held-out normal errors"
    return (
        f"Hundman et al.'s dynamic method: mean + z std of each block of {threshold.block:,} scored errors, "
        f"z from {threshold.z_min:g} to {threshold.z_max:g}, sequences pruned at {threshold.prune:g}"
    )


def detection_warnings(result: DetectionResult) -> list[str]:
    """What a reader must know before trusting the flags, for the page's "Read this first" box.

    Args:
        result: the detection result.

    Returns:
        Sentences (possibly none): the declared-normal rows flagged far more often
        than the threshold aimed at (more false alarms than planned), and series
        flagged at the pooled level for lack of reference errors of their own.
    """
    warnings = []
    target = _target_text(result.config.threshold, result.metrics)
    if target:
        warnings.append(f"The declared-normal rows were flagged at {target}")
    pooled = result.metrics.get("threshold_pooled_series") or []
    if pooled:
        shown = ", ".join(pooled[:5]) + (f" and {len(pooled) - 5} more" if len(pooled) > 5 else "")
        warnings.append(
            f"{len(pooled):,} series had too few held-out normal errors for a threshold of their own and "
            f"are flagged at the level of all series together: {shown}."
        )
    return warnings


def _target_text(threshold, metrics: dict) -> str:
    """How far the declared-normal rows' flag rate overshot the threshold's aim, when more than 3 times; else ``""``.

    E.g. ``34 times the rate the threshold aimed at (0.05% of normal points): expect more false alarms ...``,
    for the summary ("That is ...") and the "Read this first" box ("... flagged at ...").
    """
    target = {"pot": threshold.risk, "quantile": 1.0 - threshold.quantile}.get(threshold.method)
    observed = metrics["flag_rate_normal_rows"]
    if target is None or observed is None or observed <= 3 * target:
        return ""
    return (
        f"{observed / target:.0f} times the rate the threshold aimed at ({target:.2%} of normal points): "
        f"expect more false alarms than planned (the held-out normal errors may be too few or too calm)."
    )


def _threshold_varies(result: DetectionResult) -> bool:
    """Whether the threshold differs between points (per series or per block)."""
    thresholds = result.scores["threshold"].to_numpy(dtype=np.float64)
    thresholds = thresholds[np.isfinite(thresholds)]
    return thresholds.size > 0 and bool(thresholds.max() > thresholds.min())


def _rate_text(metrics: dict) -> str:
    """The flag rates on declared-normal rows and on the rest, when both exist."""
    normal, other = metrics["flag_rate_normal_rows"], metrics["flag_rate_other_rows"]
    if normal is None or other is None:
        return ""
    return f": {normal:.2%} of the declared-normal rows and {other:.2%} of the others"


def _look_first(result: DetectionResult, ranked: pd.DataFrame) -> str:
    """One sentence naming the most severe event."""
    if ranked.empty:
        return "There is no event to look at."
    event = ranked.iloc[0]
    where = (
        ""
        if result.collection.n_series == 1 and str(event["series"]) == UNNAMED_SERIES
        else f" in series {event['series']}"
    )
    features = (
        f", driven most by {event['top_features']}"
        if len(result.collection.columns) > 1 and event["top_features"]
        else ""
    )
    (duration,) = _durations(result, ranked.head(1))
    return (
        f"Look first at event 1{where} (numbered 1 in the overview, zoomed first below): it peaks at "
        f"{format_moment(event['peak_time'])} at {event['severity']:.2f} times the threshold, in "
        f"an event of {duration} with {count_noun(int(event['n_points']), 'flagged point')}{features}."
    )


def _durations(result: DetectionResult, events: pd.DataFrame) -> list[str]:
    """How long each event lasts, from its start to one step after its last flagged point (``1 d 21 h``)."""
    stops = one_step_later(events["end"], result.collection.frequency, result.collection.holidays)
    return [duration_text(start, stop) for start, stop in zip(events["start"], stops)]


def _alarm_text(alarms: dict) -> str:
    """One sentence: how many alarms the log likelihood raised, and from which error signals."""
    sources = ", ".join(
        f"{count} from the {name.replace('_', ' ')} signal" for name, count in alarms["by_source"].items()
    )
    return (
        f"The log anomaly likelihood (how surprising each point's recent errors are against its own past) raised "
        f"{count_noun(alarms['n_alarms'], 'alarm')} at level {alarms['level']:g} or above"
        + (f": {sources}." if sources else ".")
    )


def _round(value: float) -> float:
    """A float to three significant digits."""
    return float(f"{float(value):.3g}")
