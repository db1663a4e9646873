"""Baseline forecasters on hand-made series, period inference and the MASE scale."""

import numpy as np
import pytest
from sklearn.base import clone

from forecaster.errors import ConfigError, DataError, NotFittedError
from forecaster.evaluation import (
    LinearWindowForecaster,
    NaiveForecaster,
    SeasonalNaiveForecaster,
    infer_seasonal_period,
    mase_scale,
)


def make_windows(series: np.ndarray, lookback: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (lookback, horizon) window of a ``(n_rows, n_targets)`` series."""
    starts = np.arange(len(series) - lookback - horizon + 1)
    x = series[starts[:, None] + np.arange(lookback)]
    y = series[starts[:, None] + lookback + np.arange(horizon)]
    return x, y


def test_naive_repeats_last_lookback_value():
    x = np.arange(12.0).reshape(2, 3, 2)
    forecast = NaiveForecaster().fit(x, np.zeros((2, 4, 2))).predict(x)
    assert forecast.shape == (2, 4, 2)
    np.testing.assert_array_equal(forecast[0], np.tile([4.0, 5.0], (4, 1)))
    np.testing.assert_array_equal(forecast[1], np.tile([10.0, 11.0], (4, 1)))


def test_seasonal_naive_repeats_last_season_beyond_one_period():
    x = np.arange(10.0).reshape(1, 10, 1)
    model = SeasonalNaiveForecaster(period=3).fit(x, np.zeros((1, 7, 1)))
    # The last season is x[7], x[8], x[9]; horizon 7 repeats it 2 1/3 times.
    np.testing.assert_array_equal(model.predict(x)[0, :, 0], [7, 8, 9, 7, 8, 9, 7])


def test_seasonal_naive_is_exact_on_a_periodic_series():
    t = np.arange(60)
    series = np.stack([np.sin(2 * np.pi * t / 4), (t % 4) * 10.0], axis=1)
    x, y = make_windows(series, lookback=4, horizon=9)
    forecast = SeasonalNaiveForecaster(period=4).fit(x, y).predict(x)
    np.testing.assert_allclose(forecast, y, atol=1e-12)


def test_seasonal_naive_refuses_period_longer_than_lookback():
    with pytest.raises(ConfigError, match="period 24 is longer than the lookback 12"):
        SeasonalNaiveForecaster(period=24).fit(np.zeros((2, 12, 1)), np.zeros((2, 3, 1)))
    with pytest.raises(ConfigError, match="positive integer"):
        SeasonalNaiveForecaster(period=0).fit(np.zeros((2, 12, 1)), np.zeros((2, 3, 1)))


def test_linear_recovers_a_known_linear_map_shared_by_columns():
    rng = np.random.default_rng(1)
    coef = rng.normal(size=(3, 5))
    intercept = np.array([0.5, -1.0, 2.0])
    x = rng.normal(size=(200, 5, 2))
    y = np.einsum("nlt,hl->nht", x, coef) + intercept[:, None]
    model = LinearWindowForecaster(alpha=1e-10).fit(x, y)
    np.testing.assert_allclose(model.coef_, coef, atol=1e-6)
    np.testing.assert_allclose(model.intercept_, intercept, atol=1e-6)
    x_new = rng.normal(size=(4, 5, 2))
    expected = np.einsum("nlt,hl->nht", x_new, coef) + intercept[:, None]
    np.testing.assert_allclose(model.predict(x_new), expected, atol=1e-6)


def test_linear_forecasts_an_ar2_process_exactly_many_steps_ahead():
    # A sinusoid obeys y[t] = 2 cos(w) y[t-1] - y[t-2]: every future step is linear in the lookback.
    t = np.arange(300)
    series = np.stack([np.sin(0.3 * t), 2.0 * np.cos(0.3 * t + 1.0)], axis=1)
    x, y = make_windows(series, lookback=8, horizon=12)
    model = LinearWindowForecaster(alpha=1e-9).fit(x[:200], y[:200])
    np.testing.assert_allclose(model.predict(x[200:]), y[200:], atol=1e-5)


def test_linear_skips_windows_with_missing_values():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(50, 4, 1))
    y = x[:, -1:, :] * 2.0
    x[0, 0, 0] = np.nan
    model = LinearWindowForecaster(alpha=1e-10).fit(x, y)
    np.testing.assert_allclose(model.coef_, [[0, 0, 0, 2.0]], atol=1e-6)
    with pytest.raises(DataError, match="without missing values"):
        LinearWindowForecaster().fit(np.full((3, 4, 1), np.nan), np.zeros((3, 2, 1)))


def test_linear_refuses_negative_alpha():
    with pytest.raises(ConfigError, match="alpha must be a non-negative number; got -1"):
        LinearWindowForecaster(alpha=-1).fit(np.zeros((3, 4, 1)), np.zeros((3, 2, 1)))


@pytest.mark.parametrize("model", [NaiveForecaster(), SeasonalNaiveForecaster(period=2), LinearWindowForecaster()])
def test_predict_before_fit_raises_not_fitted(model):
    name = type(model).__name__
    with pytest.raises(NotFittedError, match=f"{name} is not fitted yet; call fit"):
        model.predict(np.zeros((1, 4, 1)))


@pytest.mark.parametrize("model", [NaiveForecaster(), SeasonalNaiveForecaster(period=2), LinearWindowForecaster()])
def test_estimator_api_and_lookback_check(model):
    assert clone(model).get_params() == model.get_params()
    fitted = model.fit(np.ones((5, 4, 2)), np.ones((5, 3, 2)))
    assert fitted is model and fitted.horizon_ == 3 and fitted.lookback_ == 4
    assert model.predict(np.ones((7, 4, 2))).shape == (7, 3, 2)
    with pytest.raises(ValueError, match="lookback 4 as in fit"):
        model.predict(np.ones((7, 5, 2)))
    with pytest.raises(ValueError, match="same n_windows and n_targets"):
        model.fit(np.ones((5, 4, 2)), np.ones((6, 3, 2)))


@pytest.mark.parametrize(
    ("frequency", "period"),
    [
        ("h", 24),
        ("15min", 96),
        ("5min", 288),
        ("10min", 144),
        ("30min", 48),
        ("min", 1440),
        ("D", 7),
        ("24h", 7),
        ("B", 5),
        ("W", 52),
        ("W-MON", 52),
        ("ME", 12),
        ("MS", 12),
        ("QS", 4),
        ("2h", 12),
    ],
)
def test_infer_seasonal_period_from_frequency(frequency, period):
    assert infer_seasonal_period(frequency) == period


def test_infer_seasonal_period_from_autocorrelation():
    rng = np.random.default_rng(3)
    t = np.arange(400)
    values = np.stack([np.sin(2 * np.pi * t / 17), np.cos(2 * np.pi * t / 17)], axis=1)
    values += rng.normal(scale=0.2, size=values.shape)
    assert infer_seasonal_period("3D", values) == 17


def test_infer_seasonal_period_errors_ask_for_period():
    with pytest.raises(ConfigError, match="set evaluation.seasonal_period in the config"):
        infer_seasonal_period("2QE")
    white_noise = np.random.default_rng(4).normal(size=500)
    with pytest.raises(ConfigError, match="no lag has autocorrelation"):
        infer_seasonal_period("2YE", white_noise)
    with pytest.raises(ConfigError, match="pandas offset alias.*'fortnightly'"):
        infer_seasonal_period("fortnightly")


def test_mase_scale_hand_computed():
    train = np.array([[1.0, 10.0], [2.0, 10.0], [4.0, 13.0], [7.0, 10.0]])
    np.testing.assert_allclose(mase_scale(train, 1), [2.0, 2.0])
    np.testing.assert_allclose(mase_scale(train, 2), [4.0, 1.5])
    train[1, 0] = np.nan  # drops the differences 2-1 and 4-2 from column 0
    np.testing.assert_allclose(mase_scale(train, 1), [3.0, 2.0])


def test_mase_scale_refuses_constant_columns_and_short_series():
    with pytest.raises(DataError, match=r"column\(s\) \[1\]"):
        mase_scale(np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]]), 1)
    with pytest.raises(DataError, match="more training rows than the seasonal period 24"):
        mase_scale(np.ones((24, 1)), 24)
