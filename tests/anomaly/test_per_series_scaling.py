"""Detectors trained on many series scale each by its own normal rows and refuse (or fit) series they do not know."""

import numpy as np
import pandas as pd
import pytest

from forecaster.anomaly.detectors import load_detector, make_detector
from forecaster.anomaly.pipeline import detect
from forecaster.config import AnomalyConfig, DataConfig, ForecasterConfig
from forecaster.data.series import SeriesCollection
from forecaster.errors import DataError

DETECTOR = dict(units=4, lookback=8, epochs=1, batch_size=64, max_train_windows=256, seed=1)
CONFIG = AnomalyConfig(
    units=4, lookback=8, training={"epochs": 1, "max_train_windows": 256}, threshold={"method": "quantile"}
)
N_ROWS = 200


def two_scales(seed=0):
    """Two sine series, one around 0.1 with amplitude 0.01, one around 5,000 with amplitude 500."""
    rng = np.random.default_rng(seed)
    wave = np.sin(2 * np.pi * np.arange(N_ROWS) / 24)
    small = 0.1 + 0.01 * (wave + 0.1 * rng.normal(size=N_ROWS))
    large = 5000 + 500 * (wave + 0.1 * rng.normal(size=N_ROWS))
    return np.concatenate([small, large])[:, None], np.array([0, N_ROWS, 2 * N_ROWS])


@pytest.fixture(scope="module")
def per_series():
    values, offsets = two_scales()
    normal = np.ones(len(values), dtype=bool)
    return make_detector(**DETECTOR).fit(values, normal, offsets, series_ids=["small", "large"])


def test_each_series_is_scaled_by_its_own_normal_rows(per_series):
    values, _ = two_scales()
    assert per_series.series_ids_ == ["small", "large"]
    np.testing.assert_allclose(per_series.mean_[:, 0], [values[:N_ROWS].mean(), values[N_ROWS:].mean()], rtol=1e-9)
    np.testing.assert_allclose(per_series.scale_[:, 0], [values[:N_ROWS].std(), values[N_ROWS:].std()], rtol=1e-9)


def test_errors_of_series_on_different_scales_are_comparable(per_series):
    values, offsets = two_scales(seed=3)
    errors = per_series.point_errors(values, offsets, series_ids=["small", "large"])
    small, large = np.nanmean(errors[:N_ROWS]), np.nanmean(errors[N_ROWS:])
    assert 0.2 < small / large < 5


def test_an_unknown_series_is_refused_unless_its_scaling_is_fitted(per_series, tmp_path):
    detector = load_detector(per_series.save(tmp_path / "detector"))
    assert detector.series_ids_ == ["small", "large"]
    values, offsets = two_scales(seed=4)
    with pytest.raises(DataError, match="no scaling for series 'new'.*unseen_series: fit"):
        detector.point_errors(values, offsets, series_ids=["small", "new"])
    fitted = detector.fit_unseen_series(values, np.ones(len(values), dtype=bool), offsets, ["small", "new"])
    assert fitted == ["new"] and detector.unseen_series(["small", "new"]) == []
    np.testing.assert_allclose(detector.mean_[-1, 0], values[N_ROWS:].mean(), rtol=1e-9)
    assert np.isfinite(detector.point_errors(values, offsets, series_ids=["small", "new"])[N_ROWS + 8 :]).all()


def test_one_scaling_for_all_series_without_ids():
    values, offsets = two_scales()
    detector = make_detector(**DETECTOR).fit(values, np.ones(len(values), dtype=bool), offsets)
    assert detector.series_ids_ is None and detector.mean_.shape == (1, 1)
    assert detector.unseen_series(["anything"]) == []


def test_detect_on_long_format_data_scales_per_series_and_fits_unseen_series_when_asked():
    values, offsets = two_scales()
    index = pd.DatetimeIndex(np.tile(pd.date_range("2024-01-01", periods=N_ROWS, freq="h"), 2), name="date")
    collection = SeriesCollection(pd.DataFrame({"value": values[:, 0]}, index=index), ("small", "large"), offsets, "h")
    config = ForecasterConfig(data=DataConfig(path="x.csv", id_column="id"), anomaly=CONFIG)
    result = detect(config, collection)
    assert result.detector.series_ids_ == ["small", "large"] and result.metrics["unseen_series_fitted"] == []
    renamed = SeriesCollection(collection.frame, ("small", "other"), offsets, "h")
    with pytest.raises(DataError, match="'other'"):
        detect(config, renamed, result.detector)
    config.anomaly = CONFIG.model_copy(update={"unseen_series": "fit"})
    assert detect(config, renamed, result.detector).metrics["unseen_series_fitted"] == ["other"]
