"""Anomaly figures and page sections: every figure draws and saves, events stay visible, tables read for people."""

import dataclasses

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgb

from forecaster.anomaly.detectors import WindowDetector
from forecaster.anomaly.pipeline import detect
from forecaster.config import AnomalyConfig, ForecasterConfig, ThresholdConfig
from forecaster.data.series import SeriesCollection
from forecaster.reports.anomaly import _summary_text, detection_section, detection_warnings, event_rows
from forecaster.reports.anomaly_figures import (
    FILLED_COLOUR,
    MIN_EVENT_WIDTH_PT,
    mark_events,
    plot_detection_overview,
    plot_error_distribution,
    plot_feature_contributions,
    plot_top_events,
    ranked_events,
    series_title,
)
from forecaster.reports.style import PNG_DPI, new_figure, save_figure, styled
from forecaster.reports.timeaxis import plot_positions
from forecaster.runs import RunFolder


class AbsoluteValueDetector(WindowDetector):
    """Scores every point by its absolute value (no network), so planted spikes become events."""

    name = "absolute-value"
    error_steps = 1
    history_ = {}

    def point_errors(self, values, offsets=None, mode=None, **_):
        errors = np.abs(values).astype(np.float32)
        errors[: self.window_length - 1] = np.nan
        return errors


def spiky_collection(
    n=2000, columns=("a", "b"), series_ids=("series",), freq="h", spikes=((1500, 0, 6.0),), noise=0.1, tz=None
):
    """Noise of std ``noise`` around 0 in every column; each ``(row, column, size)`` spike planted in every series."""
    rng = np.random.default_rng(0)
    frames = []
    for _ in series_ids:
        values = rng.normal(0.0, noise, size=(n, len(columns)))
        for row, column, size in spikes:
            values[row, column] += size
        frames.append(
            pd.DataFrame(values, columns=list(columns), index=pd.date_range("2024-01-01", periods=n, freq=freq, tz=tz))
        )
    frame = pd.concat(frames)
    frame.index.name = "date"
    return SeriesCollection(frame, tuple(series_ids), np.arange(len(series_ids) + 1) * n, freq)


def detection(collection):
    config = ForecasterConfig(
        anomaly=AnomalyConfig(
            lookback=8, normal_fraction=0.3, threshold=ThresholdConfig(method="quantile", quantile=0.999)
        )
    )
    detector = AbsoluteValueDetector(lookback=config.anomaly.lookback)
    detector.reference_errors_ = np.abs(np.random.default_rng(1).normal(0.0, 0.1, size=(2000, len(collection.columns))))
    detector.reference_offsets_ = np.array([0, 2000])
    detector.reference_series_ = None
    return detect(config, collection, detector)


@pytest.fixture(scope="module")
def result():
    spikes = ((1500, 0, 6.0), (1501, 1, 3.0), (1800, 1, 2.0), (900, 0, 1.5), (1200, 1, 4.0))
    return detection(spiky_collection(spikes=spikes))


@pytest.fixture(autouse=True)
def no_open_figures():
    yield
    assert plt.get_fignums() == []


@pytest.mark.parametrize(
    "draw",
    [
        lambda result: plot_detection_overview(result, 0, max_points=500, data_name="spiky.csv"),
        lambda result: plot_top_events(result, data_name="spiky.csv"),
        plot_error_distribution,
        plot_feature_contributions,
    ],
)
def test_every_figure_draws_and_writes_a_png(result, draw, tmp_path):
    figure = draw(result)
    assert figure._suptitle is not None and figure._suptitle.get_text()
    path = save_figure(figure, tmp_path / "figure.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 5000


def test_figures_say_so_when_there_is_no_event(tmp_path):
    quiet = detection(spiky_collection(spikes=(), noise=0.01))
    assert quiet.events.empty
    for figure in (plot_top_events(quiet), plot_feature_contributions(quiet), plot_detection_overview(quiet)):
        assert save_figure(figure, tmp_path / "figure.png").stat().st_size > 0


def test_a_one_point_event_on_a_two_year_axis_is_at_least_two_pixels_wide():
    times = pd.date_range("2022-01-01", "2024-01-01", freq="h").to_numpy()
    figure = new_figure(2.0)
    axis = styled(figure.subplots())
    axis.plot(times[[0, -1]], [0.0, 1.0], lw=0)
    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    before = np.asarray(canvas.buffer_rgba())[..., :3].copy()
    event = times[[9000]]
    start, stop = plot_positions(event), plot_positions(event + np.timedelta64(1, "h"))
    mark_events(axis, start, stop, start)
    canvas.draw()
    changed = np.flatnonzero((np.asarray(canvas.buffer_rgba())[..., :3] != before).any(axis=(0, 2)))
    assert 2 <= changed.size <= 10 and np.ptp(changed) == changed.size - 1  # one visible stripe, pixels wide
    assert MIN_EVENT_WIDTH_PT * PNG_DPI / 72 >= 2
    figure.clear()


def test_the_overview_marks_every_event_and_draws_every_spike_of_a_long_series():
    n = 200_000
    long = detection(
        spiky_collection(n=n, columns=("value",), freq="5min", spikes=((150_000, 0, 9.0), (60_000, 0, -7.0)))
    )
    figure = plot_detection_overview(long, 0, max_points=400)
    value_axis, error_axis = figure.axes[0], figure.axes[1]
    drawn = value_axis.lines[0].get_ydata()
    values = long.collection.frame["value"].to_numpy()
    assert drawn.size < 1000 and drawn.max() == values.max() and drawn.min() == values.min()
    flagged_line = next(line for line in error_axis.lines if line.get_label() == "flagged point")
    assert len(flagged_line.get_ydata()) == int(long.scores["flag"].sum())
    for axis in figure.axes:
        peaks = [c for c in axis.collections if isinstance(c, LineCollection)]
        assert len(peaks) == 1 and len(peaks[0].get_segments()) == len(long.events)
    figure.clear()


def test_the_title_names_the_file_and_columns_never_series_series(result):
    title = series_title(result, 0, "spiky.csv")
    assert title == "spiky.csv: a, b" and "series series" not in title.lower()
    many = detection(spiky_collection(n=400, series_ids=("pump-1", "pump-2"), spikes=((300, 0, 6.0),)))
    assert series_title(many, 1, "pumps.csv") == "pumps.csv, series pump-2: a, b"


def test_events_are_ranked_by_severity_and_tabled_for_people(result):
    ranked = ranked_events(result.events)
    assert list(ranked["rank"]) == list(range(1, len(ranked) + 1))
    assert np.all(np.diff(ranked["severity"].to_numpy()) <= 0)
    rows = event_rows(result)
    assert [row["rank"] for row in rows] == list(ranked["rank"])
    first = rows[0]
    assert first["peak time"] == "2024-03-03 12:00" and first["duration"] == "2 h" and first["flagged points"] == 2
    assert "series" not in first
    assert first["severity (× threshold)"] == round(first["severity (× threshold)"], 2)
    assert set(first) >= {"peak error (std)", "top features"} and "threshold (std)" not in first  # one threshold
    varying = dataclasses.replace(
        result, scores=result.scores.assign(threshold=np.linspace(0.2, 0.3, len(result.scores)))
    )
    assert "threshold (std)" in event_rows(varying)[0]
    assert "top features" not in event_rows(detection(spiky_collection(columns=("value",))))[0]


def test_an_event_reads_as_its_duration_and_flagged_points_not_as_rows_spanned():
    gapped = detection(spiky_collection(columns=("value",), noise=0.01, spikes=((1500, 0, 6.0), (1503, 0, 5.0))))
    (event,) = gapped.events.itertuples()
    assert event.n_points == 2 and event.end - event.start == pd.Timedelta("3h")  # 4 rows spanned, 2 flagged
    (row,) = event_rows(gapped)
    assert row["duration"] == "4 h" and row["flagged points"] == 2 and "rows spanned" not in row
    summary = _summary_text(gapped, ranked_events(gapped.events))
    assert (
        "it peaks at 2024-03-03 12:00 at 18.87 times the threshold, in an event of 4 h with 2 flagged points.\n"
        in summary
    )
    figure = plot_top_events(gapped)
    assert figure.subfigs[0]._suptitle.get_text() == "#1: peak 2024-03-03 12:00, 18.87 × threshold, 2 flagged points"
    figure.clear()


def test_the_section_tells_the_story_and_links_its_figures(result, tmp_path):
    with RunFolder(tmp_path, "detect") as run:
        sections = detection_section(run, result, max_points=500, data_name="spiky.csv")
        for section in sections:
            assert all(path.is_file() and path.stat().st_size > 0 for path in section.figures)
    summary, events, errors = sections
    assert [s.heading for s in sections] == ["Anomaly detection", "Anomaly events", "Anomaly errors"]
    metrics = result.metrics
    for fact in (
        f"{metrics['n_scored']:,} of {metrics['n_points']:,} points",
        f"{metrics['n_flagged']:,} points",
        "0.999 quantile",
        "Look first at event 1",
    ):
        assert fact in summary.text
    assert len(events.figures) == 2 and len(events.table) == len(result.events)
    assert len(summary.figures) == 1 and len(errors.figures) == 1


def test_many_zoned_series_are_drawn_in_their_own_clock_and_tabled_by_series(tmp_path):
    many = detection(
        spiky_collection(
            n=600, series_ids=("pump-1", "pump-2"), spikes=((300, 0, 6.0), (450, 1, 3.0)), tz="Europe/Berlin"
        )
    )
    rows = event_rows(many)
    assert {row["series"] for row in rows} == {"pump-1", "pump-2"}
    peak = many.events.sort_values("severity").iloc[-1]["peak_time"]
    assert rows[0]["peak time"] == peak.strftime("%Y-%m-%d %H:%M") and peak.tz is not None
    figure = plot_top_events(many)
    axis = figure.subfigs[0].axes[1]
    assert axis.get_xlabel() == "time (Europe/Berlin)"
    band = next(c for c in axis.collections if isinstance(c, LineCollection)).get_segments()[0][0, 0]
    assert band == pytest.approx(mdates.date2num(np.datetime64(peak.tz_localize(None))))
    figure.clear()
    with RunFolder(tmp_path, "detect") as run:
        summary = detection_section(run, many, max_points=500)[0]
    assert "in 2 series" in summary.text and len(summary.figures) == 2


def test_rows_the_data_layer_filled_are_shaded_and_counted():
    base = spiky_collection(n=800, spikes=((600, 0, 6.0),))
    filled = np.zeros(800, dtype=bool)
    filled[300:340] = True
    gapped = detection(dataclasses.replace(base, filled=filled))
    figure = plot_detection_overview(gapped, 0, max_points=500)
    value_axis, error_axis = figure.axes[0], figure.axes[-2]
    for axis in (value_axis, error_axis):
        assert any(np.allclose(c.get_facecolor()[0][:3], to_rgb(FILLED_COLOUR)) for c in axis.collections)
    assert "filled by the data layer (not scored)" in [t.get_text() for t in error_axis.get_legend().get_texts()]
    figure.clear()
    assert "40 rows the data layer filled" in _summary_text(gapped, ranked_events(gapped.events))


def test_read_this_first_warns_when_normal_rows_are_flagged_far_above_the_target(result):
    calm = dataclasses.replace(result, metrics={**result.metrics, "flag_rate_normal_rows": 0.0})
    assert detection_warnings(calm) == []
    noisy = dataclasses.replace(result, metrics={**result.metrics, "flag_rate_normal_rows": 0.05})
    (warning,) = detection_warnings(noisy)  # quantile 0.999 aims at 0.1% of normal points
    assert warning == (
        "The declared-normal rows were flagged at 50 times the rate the threshold aimed at (0.10% of normal points): "
        "expect more false alarms than planned (the held-out normal errors may be too few or too calm)."
    )
    summary = _summary_text(noisy, ranked_events(noisy.events))
    assert "of the others. That is 50 times the rate the threshold aimed at (0.10% of normal points): " in summary
    assert summary.count("aimed at") == 1


def test_read_this_first_names_series_flagged_at_the_pooled_level(result):
    calm = {**result.metrics, "flag_rate_normal_rows": 0.0}
    assert result.metrics["threshold_pooled_series"] == [], "a detector scaled for all series: one level by design"
    assert detection_warnings(dataclasses.replace(result, metrics=calm)) == []
    (warning,) = detection_warnings(
        dataclasses.replace(result, metrics={**calm, "threshold_pooled_series": ["short", "unseen"]})
    )
    assert warning == (
        "2 series had too few held-out normal errors for a threshold of their own and are flagged at the level of "
        "all series together: short, unseen."
    )
