"""The x axis of figures: times on any calendar and plain step numbers."""

from __future__ import annotations

import json

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest
from page_links import broken_links

from forecaster.config import load_config
from forecaster.reports.style import new_figure, styled
from forecaster.reports.timeaxis import (
    duration_text,
    format_moment,
    format_x_axis,
    frequency_text,
    is_time_axis,
    one_step_later,
    plot_positions,
)


def test_positions_of_times_are_date_numbers_of_the_wall_clock_and_steps_stay_numbers():
    zoned = pd.date_range("2024-06-01 00:00", periods=3, freq="h", tz="Europe/Berlin")
    expected = mdates.date2num(pd.date_range("2024-06-01 00:00", periods=3, freq="h").to_numpy())
    np.testing.assert_allclose(plot_positions(zoned), expected)
    np.testing.assert_array_equal(plot_positions(pd.Index([150, 151, 152])), [150.0, 151.0, 152.0])
    assert is_time_axis(zoned) and not is_time_axis(pd.Index([1, 2]))


@pytest.mark.parametrize(
    ("values", "frequency", "expected"),
    [
        (pd.to_datetime(["2023-12-29", "2024-01-02"]), "B", pd.to_datetime(["2024-01-01", "2024-01-03"])),
        (pd.to_datetime(["2022-01-31", "2022-02-28"]), "ME", pd.to_datetime(["2022-02-28", "2022-03-31"])),
        (pd.to_datetime(["2024-01-01 23:00"]), "h", pd.to_datetime(["2024-01-02 00:00"])),
        (pd.Index([149, 153]), "step", pd.Index([150, 154])),
        (pd.Index([10]), "5step", pd.Index([15])),
    ],
)
def test_one_step_later_follows_the_series_own_calendar(values, frequency, expected):
    pd.testing.assert_index_equal(pd.Index(one_step_later(values, frequency)), pd.Index(expected))


def test_one_step_later_skips_holidays_of_a_custom_business_calendar():
    later = one_step_later(pd.to_datetime(["2024-12-24"]), "C", holidays=["2024-12-25", "2024-12-26"])
    assert list(later) == [pd.Timestamp("2024-12-27")]


@pytest.mark.parametrize(
    ("start", "stop", "text"),
    [
        (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02 10:00"), "1 d 10 h"),
        (pd.Timestamp("2024-01-01 10:00"), pd.Timestamp("2024-01-01 10:45"), "45 min"),
        (149, 161, "12 steps"),
        (3, 4, "1 step"),
    ],
)
def test_durations_read_for_people(start, stop, text):
    assert duration_text(start, stop) == text


@pytest.mark.parametrize(
    ("frequency", "text"),
    [
        ("h", "every 1 h"),
        ("5min", "every 5 min"),
        ("2D", "every 2 d"),
        ("5step", "every 5 steps"),
        ("B", "every business day"),
        ("C", "every business day (holidays skipped)"),
        ("W-SUN", "every week, on SUN"),
        ("2MS", "every 2 months, on its first day"),
        ("QE-DEC", "every quarter, on its last day"),
        ("MS+14D", "every month, on day 15"),
        (None, "at irregular times"),
    ],
)
def test_frequencies_read_for_people(frequency, text):
    assert frequency_text(frequency) == text


def test_moments_and_axis_labels_for_times_and_steps():
    assert format_moment(np.int64(150)) == "step 150"
    assert format_moment(pd.Timestamp("2024-01-01 10:00")) == "2024-01-01 10:00"
    assert format_moment(pd.Timestamp("2024-01-01 10:00:05")) == "2024-01-01 10:00:05"
    figure = new_figure(2, 4)
    time_axis, step_axis = (styled(axis) for axis in figure.subplots(1, 2))
    format_x_axis(time_axis, pd.date_range("2024-01-01", periods=3, freq="h", tz="UTC"))
    format_x_axis(step_axis, pd.Index([0, 1, 2]))
    assert time_axis.get_xlabel() == "time (UTC)" and step_axis.get_xlabel() == "step"


@pytest.mark.slow
def test_main_job_on_step_numbers_forecasts_the_next_steps_and_draws_its_page(tmp_path):
    from forecaster.jobs.commands import run_main_job

    steps = np.arange(150)
    frame = pd.concat(
        pd.DataFrame({"group": name, "t": steps, "x": 10 + 5 * np.sin(2 * np.pi * steps / 24 + phase)})
        for name, phase in (("a", 0.0), ("b", 1.0))
    )
    frame.to_csv(tmp_path / "steps.csv", index=False)
    (tmp_path / "steps.yaml").write_text(
        json.dumps(
            {
                "name": "steps",
                "seed": 1,
                "data": {
                    "path": str(tmp_path / "steps.csv"),
                    "time_column": "t",
                    "id_column": "group",
                    "time_unit": "step",
                },
                "windows": {"lookback": 24, "horizon": 6, "calendar_features": []},
                "model": {"units": 4},
                "training": {"epochs": 1, "verbose": 0},
                "anomaly": {"units": 4, "lookback": 12, "training": {"epochs": 1}},
                "report": {"output_dir": str(tmp_path / "reports")},
            }
        )
    )
    run = run_main_job(load_config(tmp_path / "steps.yaml"), "steps.yaml")
    forecasts = pd.read_csv(run / "forecasts.csv")
    assert sorted(forecasts["target_time"].unique()) == [150, 151, 152, 153, 154, 155]
    assert broken_links(run / "index.html") == []
    assert "step" in (run / "index.html").read_text()
