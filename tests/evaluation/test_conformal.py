"""Split-conformal calibrators: the corrected quantile, masking, and coverage on synthetic data."""

import logging

import numpy as np
import pytest

from forecaster.errors import ConfigError, NotFittedError
from forecaster.evaluation import ConformalCalibrator, ConformalQuantileCalibrator, coverage


def test_quantile_is_the_finite_sample_corrected_order_statistic():
    # Residuals 1..9 at step 0; with n = 9 and alpha = 0.2, k = ceil(10 * 0.8) = 8.
    y_true = np.arange(1.0, 10.0).reshape(9, 1, 1) * np.array([1.0, 10.0]).reshape(1, 2, 1)
    model = ConformalCalibrator(alpha=0.2).fit(y_true, np.zeros_like(y_true))
    np.testing.assert_allclose(model.quantile_, [[8.0], [80.0]])
    np.testing.assert_array_equal(model.n_calibration_, [[9], [9]])
    lower, upper = model.predict_interval(np.ones((3, 2, 1)))
    np.testing.assert_allclose(lower[:, :, 0], [[-7.0, -79.0]] * 3)
    np.testing.assert_allclose(upper[:, :, 0], [[9.0, 81.0]] * 3)


def test_zero_weight_and_nan_actuals_are_left_out_of_calibration():
    y_true = np.arange(1.0, 11.0).reshape(10, 1, 1)
    weight = np.ones((10, 1))
    weight[9] = 0.0  # drops the residual 10
    y_true[0] = np.nan  # drops the residual 1
    model = ConformalCalibrator(alpha=0.25).fit(y_true, np.zeros_like(y_true), weight=weight)
    # Residuals 2..9 (n = 8): k = ceil(9 * 0.75) = 7, the 7th smallest is 8.
    assert model.quantile_[0, 0] == 8.0 and model.n_calibration_[0, 0] == 8


def test_too_few_calibration_windows_give_unbounded_intervals(caplog):
    with caplog.at_level(logging.WARNING, logger="forecaster.evaluation.conformal"):
        model = ConformalCalibrator(alpha=0.1).fit(np.ones((5, 2, 1)), np.zeros((5, 2, 1)))
    assert np.all(np.isinf(model.quantile_))
    assert "fewer than 9 calibration windows" in caplog.text


def test_absolute_residual_coverage_is_nominal_on_iid_data():
    rng = np.random.default_rng(0)
    scale = np.array([[1.0, 3.0], [2.0, 0.5], [4.0, 1.0]])  # (horizon, n_targets)
    calibration_errors = rng.standard_t(df=4, size=(5000, 3, 2)) * scale
    test_errors = rng.standard_t(df=4, size=(20000, 3, 2)) * scale
    y_pred = rng.normal(size=(20000, 3, 2))
    model = ConformalCalibrator(alpha=0.2).fit(calibration_errors, np.zeros((5000, 3, 2)))
    lower, upper = model.predict_interval(y_pred)
    per_pair = coverage(y_pred + test_errors, lower, upper, by="step_target")
    np.testing.assert_allclose(per_pair, 0.8, atol=0.025)
    assert coverage(y_pred + test_errors, lower, upper) == pytest.approx(0.8, abs=0.01)


def test_cqr_corrects_too_narrow_and_too_wide_quantile_intervals():
    rng = np.random.default_rng(1)

    def sample(n):
        level = rng.normal(size=(n, 4, 1))
        spread = np.exp(level)  # heteroscedastic noise
        return level, spread, level + spread * rng.normal(size=(n, 4, 1))

    level, spread, y_cal = sample(4000)
    test_level, test_spread, y_test = sample(20000)
    for half_width, sign in ((0.4, 1.0), (3.0, -1.0)):
        model = ConformalQuantileCalibrator(alpha=0.2).fit(
            y_cal, level - half_width * spread, level + half_width * spread
        )
        assert np.all(np.sign(model.quantile_) == sign)
        lower, upper = model.predict_interval(
            test_level - half_width * test_spread, test_level + half_width * test_spread
        )
        assert coverage(y_test, lower, upper) == pytest.approx(0.8, abs=0.015)


@pytest.mark.parametrize(("model", "n_inputs"), [(ConformalCalibrator(), 1), (ConformalQuantileCalibrator(), 2)])
def test_predict_before_fit_raises_not_fitted(model, n_inputs):
    inputs = [np.zeros((1, 2, 1))] * n_inputs
    with pytest.raises(NotFittedError, match=f"{type(model).__name__} is not fitted yet"):
        model.predict_interval(*inputs)


def test_alpha_and_shape_errors():
    with pytest.raises(ConfigError, match="between 0 and 1; got 1.5"):
        ConformalCalibrator(alpha=1.5).fit(np.zeros((4, 2, 1)), np.zeros((4, 2, 1)))
    with pytest.raises(ValueError, match="y_val_true and y_val_pred must have the same shape"):
        ConformalCalibrator().fit(np.zeros((4, 2, 1)), np.zeros((4, 3, 1)))
    model = ConformalCalibrator().fit(np.zeros((10, 2, 1)), np.zeros((10, 2, 1)))
    with pytest.raises(ValueError, match=r"\(horizon, n_targets\) = \(2, 1\) as in fit"):
        model.predict_interval(np.zeros((3, 5, 1)))


def test_calibrators_round_trip_through_json_without_refitting():
    import json

    rng = np.random.default_rng(3)
    y = rng.normal(size=(50, 4, 2))
    point = ConformalCalibrator(alpha=0.2).fit(y, np.zeros_like(y))
    again = ConformalCalibrator.from_dict(json.loads(json.dumps(point.to_dict())))
    np.testing.assert_array_equal(again.predict_interval(y)[1], point.predict_interval(y)[1])
    band = ConformalQuantileCalibrator(alpha=0.5).fit(y, y - 1, y + 1)
    again = ConformalQuantileCalibrator.from_dict(json.loads(json.dumps(band.to_dict())))
    np.testing.assert_array_equal(again.predict_interval(y - 1, y + 1)[0], band.predict_interval(y - 1, y + 1)[0])
    with pytest.raises(ValueError, match="payload is a 'ConformalCalibrator'"):
        ConformalQuantileCalibrator.from_dict(point.to_dict())
