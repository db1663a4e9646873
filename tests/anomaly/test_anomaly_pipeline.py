"""detect() on a series collection: normal rows, smoothing, combined errors, scores table and events."""

import numpy as np
import pandas as pd
import pytest

from forecaster.anomaly.detectors import WindowDetector
from forecaster.anomaly.pipeline import combine_errors, detect, normal_rows, smooth_errors
from forecaster.config import AnomalyConfig, EventConfig, ForecasterConfig, ThresholdConfig
from forecaster.data.series import SeriesCollection


def collection(n=600, n_series=2, tz=None):
    rng = np.random.default_rng(0)
    t = np.arange(n)
    frames = []
    for k in range(n_series):
        values = np.sin(2 * np.pi * t / 24) + 0.05 * rng.normal(size=n)
        values[int(0.75 * n)] += 4.0
        frames.append(
            pd.DataFrame({"a": values, "b": 2 * values}, index=pd.date_range("2024-01-01", periods=n, freq="h", tz=tz))
        )
    frame = pd.concat(frames)
    frame.index.name = "date"
    return SeriesCollection(frame, tuple(f"s{k}" for k in range(n_series)), np.arange(n_series + 1) * n, "h")


def test_normal_rows_by_fraction_dates_and_all():
    data = collection(n=100)
    first = normal_rows(data, AnomalyConfig(normal="first", normal_fraction=0.3))
    assert first.sum() == 60 and first[:30].all() and first[100:130].all() and not first[30:100].any()
    dates = normal_rows(data, AnomalyConfig(normal="dates", normal_end="2024-01-01 09:00"))
    assert dates.sum() == 20
    assert normal_rows(data, AnomalyConfig(normal="all")).all()


def test_combine_and_smooth_are_per_series_and_skip_missing():
    errors = np.array([[1.0, 3.0], [np.nan, 4.0], [np.nan, np.nan]])
    np.testing.assert_allclose(combine_errors(errors), [2.0, 4.0, np.nan])
    smoothed = smooth_errors(np.array([0.0, 0.0, 3.0, 10.0, 10.0]), span=3, offsets=np.array([0, 3, 5]))
    np.testing.assert_allclose(smoothed, [0.0, 0.0, 1.5, 10.0, 10.0])


def test_detect_scores_every_point_and_finds_the_spikes():
    config = ForecasterConfig(
        anomaly=AnomalyConfig(
            detector="residual",
            kind="gru",
            units=8,
            lookback=24,
            training={"epochs": 4, "learning_rate": 0.01},
            normal_fraction=0.6,
            ewma_span=0,
            events=EventConfig(close_after=5),
        )
    )
    result = detect(config, collection())
    assert len(result.scores) == 1200
    assert {
        "series",
        "time",
        "normal",
        "error",
        "threshold",
        "flag",
        "likelihood",
        "log_likelihood",
        "error_a",
        "error_b",
    } <= set(result.scores.columns)
    spikes = result.events[
        (result.events["start"] <= pd.Timestamp("2024-01-19 18:00"))
        & (result.events["end"] >= pd.Timestamp("2024-01-19 18:00"))
    ]
    assert set(spikes["series"]) == {"s0", "s1"}
    assert result.metrics["n_events"] == len(result.events)
    assert result.metrics["flag_rate_normal_rows"] < 0.02
    alarms = result.metrics["alarms"]
    assert alarms["n_alarms"] == int((result.scores["alarm"] >= alarms["level"]).sum())
    assert sum(alarms["by_source"].values()) == alarms["n_alarms"] and set(alarms["by_source"]) <= {"detector"}


def test_series_shorter_than_a_window_are_refused_before_training():
    from forecaster.errors import ConfigError

    config = ForecasterConfig(anomaly=AnomalyConfig(lookback=200))
    with pytest.raises(ConfigError, match="anomaly.lookback: a series of 100 rows"):
        detect(config, collection(n=100))


@pytest.mark.parametrize(
    "index_zone, normal_start, normal_end, n_normal",
    [
        (None, None, "2024-01-01 09:00+00:00", 20),  # zoned date on a naive index: compared in UTC
        (None, None, "2024-01-01 09:00+02:00", 16),
        (None, "2024-01-01 03:00+02:00", None, 198),
        ("Europe/Berlin", None, "2024-01-01 09:00", 20),  # naive date on a zoned index: read in its zone
        ("Europe/Berlin", None, "2024-01-01 09:00+00:00", 22),
        ("Europe/Berlin", "2024-01-01 01:00", None, 198),
    ],
)
def test_normal_dates_align_with_the_index_time_zone(index_zone, normal_start, normal_end, n_normal):
    data = collection(n=100, tz=index_zone)
    config = AnomalyConfig(normal="dates", normal_start=normal_start, normal_end=normal_end)
    assert normal_rows(data, config).sum() == n_normal


class ConstantDetector(WindowDetector):
    """Scores every point 1 and keeps two fixed reference segments, 0 then 10."""

    name = "constant"
    error_steps = 1
    history_ = {}

    def point_errors(self, values, offsets=None, mode=None, series_ids=None):
        return np.ones(values.shape, dtype=np.float32)


def test_reference_smoothing_restarts_at_each_series_segment():
    config = ForecasterConfig(
        anomaly=AnomalyConfig(lookback=2, ewma_span=3, threshold=ThresholdConfig(method="quantile", quantile=0.5))
    )
    detector = ConstantDetector(lookback=2)
    detector.reference_errors_ = np.array([[0.0], [0.0], [0.0], [10.0], [10.0], [10.0]], dtype=np.float32)
    detector.reference_offsets_ = np.array([0, 3, 6])
    detector.reference_series_ = None
    result = detect(config, collection(n=50), detector)
    # Across the boundary the EWMA would give 0, 0, 0, 5, 7.5, 8.75 (mean 3.54); per segment it stays 0 and 10.
    assert result.metrics["reference_error"]["mean"] == pytest.approx(5.0, abs=1e-9)
    assert result.metrics["threshold"] == pytest.approx(5.0, abs=1e-9)
