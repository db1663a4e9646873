import numpy as np
import pandas as pd
import pytest

from forecaster.anomaly.likelihood import anomaly_likelihood
from forecaster.anomaly.pipeline import alarm_scores, error_signals
from forecaster.anomaly.signals import absolute_change, spectral_residual
from forecaster.config import AnomalyConfig


def daily(n_rows=1200, seed=0):
    rng = np.random.default_rng(seed)
    return 10.0 + np.sin(2 * np.pi * np.arange(n_rows) / 24) + rng.normal(0.0, 0.1, n_rows)


def test_spectral_residual_is_causal():
    values = daily()
    before = spectral_residual(values, 48)
    for cut in (100, 700, 1199):
        changed = values.copy()
        changed[cut:] = np.random.default_rng(cut).normal(0.0, 50.0, values.size - cut)
        np.testing.assert_array_equal(spectral_residual(changed, 48)[:cut], before[:cut])


def test_spectral_residual_peaks_at_a_spike_and_ignores_scale():
    values = daily()
    values[900] += 2.0
    saliency = spectral_residual(values, 64)
    assert np.isnan(saliency[:63]).all() and np.isfinite(saliency[63:]).all()
    assert np.nanargmax(saliency) == 900
    np.testing.assert_allclose(spectral_residual(values * 1000.0, 64), saliency, rtol=1e-6)


def test_spectral_residual_keeps_series_apart():
    first, second = daily(300, 1), daily(200, 2)
    stacked = spectral_residual(np.r_[first, second], 32, offsets=np.array([0, 300, 500]))
    np.testing.assert_array_equal(stacked[:300], spectral_residual(first, 32))
    np.testing.assert_array_equal(stacked[300:], spectral_residual(second, 32))
    with pytest.raises(ValueError, match="window must be >= 8"):
        spectral_residual(first, 4)


def test_robust_likelihood_is_causal_and_not_masked_by_an_earlier_anomaly():
    errors = np.abs(np.random.default_rng(3).normal(0.0, 1.0, 3000))
    errors[1000:1050] += 40.0  # an earlier anomaly inside the history
    errors[2000:2012] += 4.0  # a later, moderate one
    _, gaussian = anomaly_likelihood(errors, history=2000, window=8)
    _, robust = anomaly_likelihood(errors, history=2000, window=8, robust=True)
    assert robust[2011] > 0.3 > gaussian[2011]
    changed = errors.copy()
    changed[2500:] = 100.0
    np.testing.assert_array_equal(
        anomaly_likelihood(changed, history=2000, window=8, robust=True)[1][:2500], robust[:2500]
    )


def test_absolute_change_is_per_series_and_causal():
    values = np.array([[1.0, 10.0], [3.0, 14.0], [2.0, 11.0], [5.0, 5.0], [7.0, 9.0]])
    change = absolute_change(values, offsets=np.array([0, 3, 5]))
    np.testing.assert_allclose(change, [np.nan, 3.0, 2.0, np.nan, 3.0])
    np.testing.assert_allclose(absolute_change(values[:, 0]), [np.nan, 2.0, 1.0, 3.0, 2.0])
    later = values.copy()
    later[3:] = 1e6
    np.testing.assert_array_equal(absolute_change(later, offsets=np.array([0, 3, 5]))[:3], change[:3])


def test_alarm_signals_choose_what_the_alarm_weighs():
    values = daily(600)[:, None]
    values[500] += 5.0  # a spike: a large change
    detector_error = np.ones(600)
    detector_error[300] = 50.0  # the detector alone sees an anomaly at row 300
    times = pd.date_range("2024-01-01", periods=600, freq="h")
    both = AnomalyConfig(alarm_signals=["detector", "change"], likelihood_history=200, alarm_quiet_rows=0)
    signals = error_signals(detector_error, values, pd.DatetimeIndex(times), both)
    assert set(signals) == {"detector", "change"}
    scores = alarm_scores(signals, both)
    assert scores["source"][300] == "detector" and scores["source"][500] == "change"
    change_only = both.model_copy(update={"alarm_signals": ["change"]})
    assert set(alarm_scores(signals, change_only)["source"]) == {"change"}
