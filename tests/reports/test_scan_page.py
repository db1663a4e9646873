"""The scan page: each event figure's caption says how many rows it draws around the series' events; events and
removed events are named by their store ids; a re-score says so."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection

from forecaster.reports.html import HtmlSection, write_index_html
from forecaster.reports.scan import plot_series_events, scan_section, scan_summary, skipped_series
from forecaster.reports.style import new_figure, save_figure, styled
from forecaster.reports.timeaxis import plot_positions
from forecaster.runs import RunFolder

TIMES = pd.date_range("2024-01-01", periods=500, freq="5min")
SUMMARY = {
    "scan_id": 7,
    "n_series": 2,
    "up_to_date": 0,
    "rows_scored": 1000,
    "new_events": 2,
    "updated_events": 1,
    "removed_events": 0,
    "new_event_ids": [11, 12],
    "updated_event_ids": [3],
    "removed_event_ids": [],
    "late_rows": 0,
    "rows_filled": 0,
    "skipped": {},
    "scaling_fitted": [],
    "threshold_pooled": [],
    "rescore_from": None,
}


def event(series, first, last, kind="new", event_id=1):
    return {
        "id": event_id,
        "series": series,
        "kind": kind,
        "state": "closed",
        "start": TIMES[first],
        "end": TIMES[last],
        "peak": TIMES[first],
        "peak_score": 3.0,
        "severity": 1.5,
        "n_points": last - first + 1,
        "features": "value",
    }


def window(first, last):
    """The values and scored points of rows ``first <= i < last``, as the scan job cuts them for a figure."""
    times = TIMES[first:last]
    values = pd.DataFrame({"value": np.sin(np.arange(first, last) / 10)}, index=times)
    points = pd.DataFrame({"time": times, "error": 0.5, "threshold": 1.0, "flag": False})
    return values, points


def test_each_event_figure_says_how_many_rows_it_draws_around_the_events(tmp_path):
    events = [event("a", 250, 255), event("a", 300, 310, "updated"), event("b", 1, 4)]
    plotted = {"a": window(50, 500), "b": window(0, 205)}  # a: 200 rows before, 189 after; b: 1 before, 200 after
    with RunFolder(tmp_path, "scan") as run:
        write_index_html(run, "scan", [scan_section(run, SUMMARY, events, plotted, margin_rows=200)])
    figures = json.loads((run.final_path / "page.json").read_text())["sections"][0]["figures"]
    captions = [figure["caption"] for figure in figures]
    assert captions == [
        "a: 200 scored rows before its first event and 189 after its last are drawn, at most 200 either side; rows "
        "scored by earlier scans are read from the store (fewer where fewer were scored or kept).",
        "b: 1 scored row before its first event and 200 after its last are drawn, at most 200 either side; rows "
        "scored by earlier scans are read from the store (fewer where fewer were scored or kept).",
    ]
    page = (run.final_path / "index.html").read_text()
    assert f"<figcaption>{captions[0]}</figcaption>" in page and f"<figcaption>{captions[1]}</figcaption>" in page


def test_captions_must_match_the_figures_one_to_one(tmp_path):
    with RunFolder(tmp_path, "demo") as run:
        figure = new_figure(2, 3)
        styled(figure.subplots()).plot([0, 1], [1, 0])
        png = save_figure(figure, run.figure_path("line"))
        with pytest.raises(ValueError, match="section 'Figures' has 2 captions for 1 figures"):
            write_index_html(run, "demo", [HtmlSection("Figures", figures=[png], captions=["one", "two"])])


def test_event_counts_are_singular_for_one():
    (line,), _ = scan_summary({**SUMMARY, "new_events": 1, "updated_events": 0})
    assert line.endswith("1 new event and 0 updated events.")
    figure = plot_series_events("a", *window(0, 50), [event("a", 10, 12)])
    assert figure.get_suptitle() == "a: 1 new event, 0 updated events"


def test_the_page_says_how_many_series_with_events_have_no_figure(tmp_path):
    events = [event("a", 250, 255), event("b", 1, 4), event("c", 10, 12), event("d", 20, 22)]
    events[1]["severity"], events[2]["severity"], events[3]["severity"] = 4.0, np.nan, 2.0
    with RunFolder(tmp_path, "scan") as run:
        section = scan_section(run, SUMMARY, events, {"b": window(0, 205), "d": window(0, 205)}, margin_rows=200)
    assert "Figures for the 2 series with the most severe events; 2 more series with events are in events.csv." in (
        section.text
    )
    assert [row["series"] for row in section.table] == ["b", "d", "a", "c"]  # most severe first, NaN last
    with RunFolder(tmp_path, "scan") as run:
        one_left = scan_section(run, SUMMARY, events[:2], {"b": window(0, 205)}, margin_rows=200)
        everything = scan_section(run, SUMMARY, events[:1], {"a": window(50, 500)}, margin_rows=200)
    assert "1 more series with events is in events.csv." in one_left.text and "Figures for" not in everything.text


def test_events_of_one_or_two_points_are_marked_pixels_wide_updated_ones_fainter():
    values, points = window(0, 500)  # 2.6 pixels a row: a one-point event from start to end was 0 wide
    events = [event("a", 100, 100), event("a", 300, 301, "updated")]
    figure = plot_series_events("a", values, points, events)
    top = figure.axes[0]
    bands = [c for c in top.collections if isinstance(c, PolyCollection)]
    peaks = [c for c in top.collections if isinstance(c, LineCollection)]
    new_band, updated_band = (band.get_paths()[0].vertices[:, 0] for band in bands)
    assert new_band.min() == plot_positions(TIMES[[100]])[0] and new_band.max() == plot_positions(TIMES[[101]])[0]
    assert updated_band.max() == plot_positions(TIMES[[302]])[0]  # one step after its last point
    assert peaks[0].get_alpha() == 2 * peaks[1].get_alpha() and bands[0].get_alpha() == 2 * bands[1].get_alpha()
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    marked = np.asarray(canvas.buffer_rgba())[..., :3].copy()
    for mark in bands + peaks:
        mark.set_visible(False)
    canvas.draw()
    left, _, right, _ = np.round(top.get_window_extent().extents).astype(int)
    changed = (np.asarray(canvas.buffer_rgba())[..., :3] != marked).any(axis=(0, 2))[left:right]
    stripes = np.split(np.flatnonzero(changed), np.flatnonzero(np.diff(np.flatnonzero(changed)) > 1) + 1)
    assert len(stripes) == 2 and all(stripe.size >= 5 for stripe in stripes)  # each at least the 6-pixel peak line
    figure.clear()


def test_the_summary_counts_up_to_date_and_skipped_series_among_those_read():
    idle = {**SUMMARY, "n_series": 0, "up_to_date": 7, "rows_scored": 0, "new_events": 0, "updated_events": 0}
    (line,), _ = scan_summary(idle)
    assert (
        line
        == "Scan 7: 0 of 7 series scanned (7 up to date, 0 skipped); 0 new points scored, 0 new events and 0 updated events."
    )
    (line,), warnings = scan_summary({**SUMMARY, "up_to_date": 1, "skipped": {"c": "no rows"}})
    assert line.startswith("Scan 7: 2 of 4 series scanned (1 up to date, 1 skipped); 1,000 new points scored, ")
    assert warnings == ["Series c was skipped: no rows"]


def test_each_skipped_series_is_named_once_before_its_reason_which_names_the_file():
    skipped = {
        "c": "series/c.csv: 'value' has 'n/a?' in row 6; clean them",
        "d": "the detector has no scaling for this series (set anomaly.unseen_series: fit)",
    }
    listed = "c (series/c.csv: 'value' has 'n/a?' in row 6; clean them); d (the detector has no scaling for this series (set anomaly.unseen_series: fit))"
    assert skipped_series(skipped) == listed and skipped_series({}) == ""
    _, warnings = scan_summary({**SUMMARY, "skipped": skipped})
    assert warnings == [
        "Series c was skipped: series/c.csv: 'value' has 'n/a?' in row 6; clean them",
        "Series d was skipped: the detector has no scaling for this series (set anomaly.unseen_series: fit)",
    ]


def test_the_section_says_only_what_the_summary_and_warnings_above_it_do_not(tmp_path):
    summary = {**SUMMARY, "late_rows": 3, "skipped": {"c": "no rows"}, "scaling_fitted": ["d"]}
    (line,), warnings = scan_summary(summary)
    with RunFolder(tmp_path, "scan") as run:
        section = scan_section(run, summary, [event("a", 250, 255)], {"a": window(50, 500)}, margin_rows=200)
        many = scan_section(run, SUMMARY, [event("a", k, k + 1) for k in range(0, 42, 2)], {}, margin_rows=200)
        quiet = scan_section(run, summary, [], {}, margin_rows=200)
    assert section.text == (
        "The scan's new and updated events, most severe first. Severity is the peak score divided by the threshold "
        "at the peak; scores are in standard deviations of the declared-normal rows the detector was trained on."
        "\n\nScaling fitted by this scan (anomaly.unseen_series: fit): d"
    )
    assert warnings == [
        "Series c was skipped: no rows",
        "3 late rows (at or before a watermark and not scored before, or changed within the rows each series keeps "
        "for scoring) counted, not re-scored; use --rescore-from to re-score them on purpose.",
    ]
    assert "Scan 7" in line and "Scan 7" not in section.text and "skipped" not in section.text
    assert section.table[0]["flagged points"] == 6
    assert many.text.startswith(
        "The scan's new and updated events, most severe first (the 20 most severe of 21; events.csv has them all). "
    )
    assert quiet.text.startswith("This scan found no new or updated event.\n\n") and quiet.table is None


def test_the_events_table_gives_each_event_its_store_id_as_written_there(tmp_path):
    events = [event("a", 250, 255, event_id=1234), event("b", 1, 4, "updated", event_id=7)]
    events[1]["severity"] = 4.0
    with RunFolder(tmp_path, "scan") as run:
        section = scan_section(run, SUMMARY, events, {}, margin_rows=200)
        write_index_html(run, "scan", [section])
    assert [(row["id"], row["series"], row["new or updated"]) for row in section.table] == [
        ("7", "b", "updated"),
        ("1234", "a", "new"),
    ]
    table = json.loads((run.final_path / "page.json").read_text())["sections"][0]["table"]
    assert table["columns"][0] == "id" and [row[0]["text"] for row in table["rows"]] == ["7", "1234"]


def test_the_removed_events_warning_names_their_ids_the_first_20_of_more():
    _, (warning,) = scan_summary({**SUMMARY, "removed_events": 1, "removed_event_ids": [42]})
    assert warning == (
        "Removed 1 stored event that the re-score no longer found or merged into another (id 42; no new event "
        "gets them)."
    )
    ids = list(range(1001, 1024))
    _, (warning,) = scan_summary({**SUMMARY, "removed_events": 23, "removed_event_ids": ids})
    assert warning == (
        "Removed 23 stored events that the re-score no longer found or merged into another (ids "
        + ", ".join(str(k) for k in range(1001, 1021))
        + " and 3 more, in summary.json; no new event gets them)."
    )


def test_a_rescoring_scan_says_its_points_were_rescored_not_new():
    (line,), _ = scan_summary({**SUMMARY, "rows_scored": 1992, "rescore_from": "2024-06-01T00:00:00"})
    assert line == (
        "Scan 7: 2 of 2 series scanned (0 up to date, 0 skipped); 1,992 points scored (re-scored from "
        "2024-06-01 00:00:00), 2 new events and 1 updated event."
    )
