"""Seasonal-profile errors and the alarm score that weighs them against the detector's error."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.anomaly.likelihood import most_surprising
from forecaster.anomaly.pipeline import alarm_scores, error_signals
from forecaster.anomaly.seasonal import seasonal_errors
from forecaster.config import AnomalyConfig


def daily_wave(days=12, per_day=24, noise=0.05, seed=0):
    rng = np.random.default_rng(seed)
    n = days * per_day
    times = pd.date_range("2024-03-01", periods=n, freq=f"{24 // per_day}h")
    values = 10 + 5 * np.sin(2 * np.pi * np.arange(n) / per_day) + noise * rng.normal(size=n)
    return values, times


def test_error_is_the_distance_to_the_median_of_earlier_cycles():
    values = np.array([1.0, 2.0, 3.0, 10.0, 20.0, 30.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0])
    times = pd.date_range("2024-01-01", periods=12, freq="8h")
    errors = seasonal_errors(values, times, "1D", cycles=3)
    assert np.isnan(errors[:3]).all()
    np.testing.assert_allclose(errors[3:6], [9.0, 18.0, 27.0])
    np.testing.assert_allclose(errors[6:9], [abs(4 - 5.5), abs(5 - 11), abs(6 - 16.5)])  # median of two cycles
    np.testing.assert_allclose(errors[9:], [abs(7 - 4), abs(8 - 5), abs(9 - 6)])


def test_a_flat_day_in_a_daily_wave_stands_out_and_irregular_stamps_work():
    values, times = daily_wave()
    flat = values.copy()
    flat[8 * 24 : 9 * 24] = 10.0
    keep = np.ones(len(values), dtype=bool)
    keep[::7] = False  # irregular: every seventh row missing
    errors = seasonal_errors(flat[keep], times[keep], pd.Timedelta("1D"))
    day = (times[keep] >= "2024-03-09") & (times[keep] < "2024-03-10")
    other = (times[keep] >= "2024-03-05") & ~day
    assert np.nanmax(errors[day]) > 3.0
    assert np.nanmax(errors[other & (times[keep] < "2024-03-09")]) < 0.5


def test_series_never_borrow_references_from_each_other():
    values, times = daily_wave(days=4)
    both = np.concatenate([values, values + 100])[:, None]
    stamps = times.append(times)
    errors = seasonal_errors(both, stamps, "1D", offsets=np.array([0, len(values), 2 * len(values)]))
    np.testing.assert_allclose(errors[len(values) :], errors[: len(values)], atol=1e-9)
    assert errors.shape == both.shape


@settings(max_examples=20, deadline=None)
@given(cut=st.integers(30, 287), change=st.floats(-50, 50))
def test_changing_a_later_value_leaves_earlier_errors_unchanged(cut, change):
    values, times = daily_wave(days=12)
    changed = values.copy()
    changed[cut:] += change
    before = seasonal_errors(values, times, "1D")
    after = seasonal_errors(changed, times, "1D")
    np.testing.assert_array_equal(before[:cut], after[:cut])


def test_seasonal_errors_refuse_a_non_positive_period():
    with pytest.raises(ValueError, match="period must be positive"):
        seasonal_errors(np.zeros(4), pd.date_range("2024-01-01", periods=4, freq="h"), "0h")


def test_most_surprising_keeps_the_larger_log_likelihood_and_names_its_signal():
    rng = np.random.default_rng(1)
    quiet, loud = np.abs(rng.normal(size=1500)), 1000 * np.abs(rng.normal(size=1500))
    loud[1200:1205] = 20_000.0
    likelihood, log_likelihood, source = most_surprising({"quiet": quiet, "loud": loud}, history=500, window=3)
    assert source[1204] == "loud" and log_likelihood[1204] > 0.3
    assert log_likelihood.shape == likelihood.shape == (1500,)
    assert set(source[100:]) <= {"quiet", "loud"}


def test_error_signals_and_alarm_scores_follow_the_config():
    values, times = daily_wave(days=10)
    flat = values.copy()
    flat[8 * 24 : 8 * 24 + 12] = 10.0
    config = AnomalyConfig(
        seasonal_periods=["1D"], likelihood_history=100, likelihood_window=2, alarm_level=0.3, alarm_quiet_rows=24
    )
    detector_error = np.abs(np.random.default_rng(2).normal(size=len(values)))
    signals = error_signals(detector_error, flat[:, None], times, config)
    assert list(signals) == ["detector", "seasonal_1D"]
    scores = alarm_scores(signals, config)
    onset = 8 * 24 + 1  # the flat stretch starts where the wave crosses 10, so it shows one row later
    assert scores["source"][onset] == "seasonal_1D" and scores["alarm"][onset] >= 0.3
    alarms = np.flatnonzero(scores["alarm"] >= 0.3)
    assert alarms.size and np.all(np.diff(alarms) > 24)
    np.testing.assert_array_equal(
        alarm_scores(signals, config.model_copy(update={"alarm_quiet_rows": 0}))["alarm"], scores["log_likelihood"]
    )
