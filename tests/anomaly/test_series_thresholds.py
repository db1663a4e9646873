"""``detect`` flags each series against its own threshold, fitted on that series' reference errors."""

import numpy as np
import pandas as pd

from forecaster.anomaly import WindowDetector, detect
from forecaster.anomaly.thresholds import MIN_SERIES_REFERENCE
from forecaster.config import AnomalyConfig, ForecasterConfig, ThresholdConfig
from forecaster.data import SeriesCollection


class AbsoluteDetector(WindowDetector):
    """A fitted stand-in: a point's error is its absolute value."""

    name = "absolute"
    error_steps = 1
    history_ = {}

    def point_errors(self, values, offsets=None, mode=None, series_ids=None):
        return np.abs(values).astype(np.float32)


def test_a_noisy_and_a_quiet_series_get_their_own_thresholds_and_a_series_without_reference_the_pooled_one():
    rng = np.random.default_rng(0)
    detector = AbsoluteDetector(lookback=2)
    quiet, noisy = rng.normal(0, 0.1, 500), rng.normal(0, 10.0, 500)
    detector.reference_errors_ = np.abs(np.concatenate([quiet, noisy, rng.normal(0, 1.0, MIN_SERIES_REFERENCE - 1)]))[
        :, None
    ]
    detector.reference_offsets_ = np.array([0, 500, 1000, 1000 + MIN_SERIES_REFERENCE - 1])
    detector.reference_series_ = ["quiet", "noisy", "short"]
    n = 60
    values = np.zeros((4 * n, 1))
    values[30::n] = 2.0  # a 2.0 at row 30 of every series: far out for the quiet one, ordinary for the noisy one
    times = pd.date_range("2024-01-01", periods=n, freq="h")
    frame = pd.DataFrame(values, columns=["value"], index=times.append([times] * 3))
    collection = SeriesCollection(frame, ("quiet", "noisy", "short", "unseen"), np.arange(5) * n, "h")
    config = ForecasterConfig(
        anomaly=AnomalyConfig(lookback=2, threshold=ThresholdConfig(method="quantile", quantile=0.99))
    )
    result = detect(config, collection, detector)
    levels = result.scores.groupby("series", sort=False)["threshold"].agg(["min", "max"])
    assert (levels["min"] == levels["max"]).all(), "one level per series"
    quiet_level, noisy_level, short_level, unseen_level = levels["min"]
    np.testing.assert_allclose(
        [quiet_level, noisy_level], [np.quantile(np.abs(quiet), 0.99), np.quantile(np.abs(noisy), 0.99)]
    )
    assert quiet_level < 2.0 < noisy_level
    assert short_level == unseen_level == np.quantile(detector.reference_errors_, 0.99), "the pooled level"
    assert result.metrics["threshold_pooled_series"] == ["short", "unseen"]
    flagged = result.scores[result.scores["flag"]]
    assert "quiet" in set(flagged["series"]) and "noisy" not in set(flagged["series"])
    assert result.events["series"].tolist()[0] == "quiet"


def test_the_series_a_detector_has_one_level_for_are_not_named_as_flagged_at_the_pooled_level():
    """Trained on one series of a long file, or on a file without ``data.id_column``: the pooled level is its own."""
    detector = AbsoluteDetector(lookback=2)
    reference = np.abs(np.random.default_rng(1).normal(0, 1.0, MIN_SERIES_REFERENCE - 1))  # too few for a level
    detector.reference_errors_, detector.reference_offsets_ = reference[:, None], np.array([0, reference.size])
    n = 60
    times = pd.date_range("2024-01-01", periods=n, freq="h")
    frame = pd.DataFrame(np.zeros((2 * n, 1)), columns=["value"], index=times.append(times))
    collection = SeriesCollection(frame, ("only", "new"), np.arange(3) * n, "h")
    config = ForecasterConfig(
        anomaly=AnomalyConfig(lookback=2, threshold=ThresholdConfig(method="quantile", quantile=0.99))
    )
    for owner, pooled in ((["only"], ["new"]), (None, [])):
        detector.reference_series_ = owner
        result = detect(config, collection, detector)
        assert result.metrics["threshold_pooled_series"] == pooled, owner
        np.testing.assert_allclose(result.scores["threshold"], np.quantile(reference, 0.99), rtol=1e-12)
