import numpy as np
import pandas as pd

from forecaster.windows import calendar_features, future_index


def test_sin_cos_of_known_timestamps():
    index = pd.DatetimeIndex(["2024-01-01 06:00", "2024-01-03 18:30", "2024-07-01 00:00"])
    encoded = calendar_features(index, ["hour", "dayofweek", "month"])
    assert encoded.shape == (3, 6) and encoded.dtype == np.float32
    np.testing.assert_allclose(encoded[0, :2], [1.0, 0.0], atol=1e-6)  # 06:00 is a quarter of the day
    angle = 2 * np.pi * 18.5 / 24
    np.testing.assert_allclose(encoded[1, :2], [np.sin(angle), np.cos(angle)], atol=1e-6)
    np.testing.assert_allclose(encoded[0, 2:4], [0.0, 1.0], atol=1e-6)  # Monday
    np.testing.assert_allclose(encoded[2, 4:6], [0.0, -1.0], atol=1e-6)  # July is half a year after January


def test_cycle_wraps_around_year_end():
    index = pd.DatetimeIndex(["2023-12-31", "2024-01-01"])
    encoded = calendar_features(index, ["dayofyear"])
    assert np.linalg.norm(encoded[0] - encoded[1]) < 0.02


def test_future_index_continues_the_series():
    future = future_index(pd.Timestamp("2024-01-01 23:00", tz="UTC"), "h", 3)
    expected = pd.date_range("2024-01-02 00:00", periods=3, freq="h", tz="UTC")
    assert future.equals(expected)
