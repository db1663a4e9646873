"""Metrics against hand-computed values, masking, grouping shapes and invariants."""

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from forecaster.evaluation import (
    coverage,
    evaluate_forecasts,
    interval_width,
    mae,
    mape,
    mase,
    mse,
    pinball_loss,
    rmse,
    skill_score,
    smape,
)

# Two windows, horizon 2, one target; errors are 1, -2, 0, 4.
Y_TRUE = np.array([1.0, 2.0, 4.0, -2.0]).reshape(2, 2, 1)
Y_PRED = np.array([2.0, 0.0, 4.0, 2.0]).reshape(2, 2, 1)


def test_point_metrics_match_hand_computed_values():
    assert mae(Y_TRUE, Y_PRED) == pytest.approx(7 / 4, abs=1e-12)
    assert mse(Y_TRUE, Y_PRED) == pytest.approx(21 / 4, abs=1e-12)
    assert rmse(Y_TRUE, Y_PRED) == pytest.approx(math.sqrt(21 / 4), abs=1e-12)
    assert mape(Y_TRUE, Y_PRED) == pytest.approx(100 * (1 + 1 + 0 + 2) / 4, abs=1e-12)
    assert smape(Y_TRUE, Y_PRED) == pytest.approx(200 * (1 / 3 + 2 / 2 + 0 + 4 / 4) / 4, abs=1e-12)


def test_per_step_and_per_target_groupings():
    np.testing.assert_allclose(mae(Y_TRUE, Y_PRED, by="step"), [0.5, 3.0], atol=1e-12)
    np.testing.assert_allclose(mae(Y_TRUE, Y_PRED, by="target"), [1.75], atol=1e-12)
    np.testing.assert_allclose(rmse(Y_TRUE, Y_PRED, by="step"), [math.sqrt(0.5), math.sqrt(10)])
    assert mae(np.zeros((3, 5, 2)), np.ones((3, 5, 2)), by="step_target").shape == (5, 2)
    with pytest.raises(ValueError, match="by must be one of"):
        mae(Y_TRUE, Y_PRED, by="window")


def test_zero_weight_excludes_points_even_when_nan():
    y_true = Y_TRUE.copy()
    y_true[1, 1, 0] = np.nan
    weight = np.array([[1.0, 1.0], [1.0, 0.0]])
    assert mae(y_true, Y_PRED, weight) == pytest.approx(3 / 3, abs=1e-12)
    np.testing.assert_allclose(mae(y_true, Y_PRED, weight, by="step"), [0.5, 2.0], atol=1e-12)
    full_shape_weight = weight[:, :, np.newaxis]
    assert mse(y_true, Y_PRED, full_shape_weight) == pytest.approx(5 / 3, abs=1e-12)


def test_group_without_valid_points_is_nan():
    weight = np.array([[1.0, 0.0], [1.0, 0.0]])
    per_step = mae(Y_TRUE, Y_PRED, weight, by="step")
    assert per_step[0] == pytest.approx(0.5) and np.isnan(per_step[1])


def test_mape_skips_zero_actuals_and_is_nan_without_valid_points():
    y_true = np.array([0.0, 2.0]).reshape(1, 2, 1)
    y_pred = np.array([5.0, 3.0]).reshape(1, 2, 1)
    assert mape(y_true, y_pred) == pytest.approx(50.0, abs=1e-12)
    assert np.isnan(mape(np.zeros((1, 2, 1)), y_pred))


def test_smape_scores_zero_for_exact_zero_forecast():
    assert smape(np.zeros((1, 2, 1)), np.zeros((1, 2, 1))) == 0.0


def test_mase_divides_by_each_column_scale():
    y_true = np.zeros((1, 2, 2))
    y_pred = np.array([[[1.0, 4.0], [3.0, 8.0]]])
    np.testing.assert_allclose(mase(y_true, y_pred, [2.0, 4.0], by="target"), [1.0, 1.5])
    assert mase(y_true, y_pred, [2.0, 4.0]) == pytest.approx(1.25, abs=1e-12)
    with pytest.raises(ValueError, match="positive and finite"):
        mase(y_true, y_pred, [0.0, 1.0])


def test_pinball_loss_at_median_is_half_mae():
    assert pinball_loss(Y_TRUE, Y_PRED[..., np.newaxis], [0.5]) == pytest.approx(7 / 8, abs=1e-12)


def test_pinball_loss_hand_computed_for_two_levels():
    y_true = np.ones((1, 1, 1))
    quantile_pred = np.array([0.0, 3.0]).reshape(1, 1, 1, 2)
    # q=0.1 under-predicts by 1: 0.1; q=0.9 over-predicts by 2: 0.1 * 2 = 0.2.
    assert pinball_loss(y_true, quantile_pred, [0.1, 0.9]) == pytest.approx(0.15, abs=1e-12)
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        pinball_loss(y_true, quantile_pred, [0.0, 0.9])


def test_coverage_and_width():
    lower = np.array([0.0, 0.0, 5.0, -3.0]).reshape(2, 2, 1)
    upper = lower + np.array([1.0, 3.0, 1.0, 1.0]).reshape(2, 2, 1)
    # 1 in [0, 1], 2 in [0, 3], 4 not in [5, 6], -2 in [-3, -2].
    assert coverage(Y_TRUE, lower, upper) == pytest.approx(0.75, abs=1e-12)
    np.testing.assert_allclose(coverage(Y_TRUE, lower, upper, by="step"), [0.5, 1.0])
    assert interval_width(lower, upper) == pytest.approx(1.5, abs=1e-12)


def test_skill_score():
    assert skill_score(0.5, 2.0) == pytest.approx(0.75)
    np.testing.assert_allclose(skill_score([1.0, 3.0], [2.0, 2.0]), [0.5, -0.5])
    assert np.isnan(skill_score(1.0, 0.0))


def test_shape_mismatch_is_a_value_error():
    with pytest.raises(ValueError, match="y_true and y_pred must have the same shape"):
        mae(np.zeros((2, 3, 1)), np.zeros((2, 4, 1)))
    with pytest.raises(ValueError, match="n_windows, horizon, n_targets"):
        mae(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match="weight must have shape"):
        mae(np.zeros((2, 3, 1)), np.zeros((2, 3, 1)), weight=np.ones(3))
    with pytest.raises(ValueError, match="non-negative"):
        mae(np.zeros((2, 3, 1)), np.zeros((2, 3, 1)), weight=-np.ones((2, 3)))


def test_evaluate_forecasts_is_json_friendly_with_every_metric():
    rng = np.random.default_rng(0)
    y_true = rng.normal(size=(20, 6, 3))
    y_pred = y_true + rng.normal(scale=0.5, size=y_true.shape)
    quantile_pred = y_pred[..., np.newaxis] + np.array([-0.6, 0.0, 0.6])
    report = evaluate_forecasts(
        y_true,
        y_pred,
        quantile_pred=quantile_pred,
        quantiles=(0.1, 0.5, 0.9),
        mase_scale=np.ones(3),
        weight=np.ones((20, 6)),
    )
    names = {"mae", "mse", "rmse", "mape", "smape", "mase", "pinball", "coverage", "width"}
    assert set(report["overall"]) == names and set(report["per_step"]) == names
    assert all(type(value) is float for value in report["overall"].values())
    assert all(len(values) == 6 for values in report["per_step"].values())
    assert all(type(value) is float for values in report["per_step"].values() for value in values)
    assert report["overall"]["width"] == pytest.approx(1.2)
    assert report["overall"]["mase"] == pytest.approx(report["overall"]["mae"])
    json.dumps(report)


def test_evaluate_forecasts_prefers_explicit_interval_and_needs_quantile_levels():
    report = evaluate_forecasts(Y_TRUE, Y_PRED, interval=(Y_PRED - 1, Y_PRED + 1))
    assert set(report["overall"]) == {"mae", "mse", "rmse", "mape", "smape", "coverage", "width"}
    assert report["overall"]["coverage"] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="quantiles must be given"):
        evaluate_forecasts(Y_TRUE, Y_PRED, quantile_pred=Y_PRED[..., np.newaxis])


windows = arrays(
    np.float64,
    st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 3)),
    elements=st.floats(-100, 100),
)


@settings(max_examples=40, deadline=None)
@given(windows, st.floats(-50, 50))
def test_error_metrics_are_zero_for_perfect_forecasts_and_shift_invariant(y_true, shift):
    assert mae(y_true, y_true) == 0.0
    shifted_mae = mae(y_true + shift, y_true)
    assert shifted_mae == pytest.approx(abs(shift), abs=1e-9)
    assert rmse(y_true + shift, y_true) == pytest.approx(abs(shift), abs=1e-9)
    assert rmse(y_true + shift, y_true) >= shifted_mae - 1e-9


@settings(max_examples=40, deadline=None)
@given(windows, st.integers(0, 2**32 - 1))
def test_unit_weights_equal_no_weights_and_step_means_average_to_overall(y_true, seed):
    y_pred = y_true + np.random.default_rng(seed).normal(size=y_true.shape)
    overall = mae(y_true, y_pred)
    assert mae(y_true, y_pred, np.ones(y_true.shape[:2])) == pytest.approx(overall)
    assert np.mean(mae(y_true, y_pred, by="step")) == pytest.approx(overall)
    assert np.mean(mae(y_true, y_pred, by="target")) == pytest.approx(overall)


def test_evaluate_forecasts_reports_no_mape_for_actuals_at_or_below_zero():
    y_pred = np.full((2, 3, 1), 1.0)
    positive = evaluate_forecasts(np.full((2, 3, 1), 2.0), y_pred)
    assert positive["overall"]["mape"] == pytest.approx(50.0) and positive["per_step"]["mape"] == [50.0] * 3
    crossing = np.full((2, 3, 1), 2.0)
    crossing[1, 2, 0] = -0.001  # one actual just below zero: its percentage error would be 100,100%
    result = evaluate_forecasts(crossing, y_pred)
    assert np.isnan(result["overall"]["mape"]) and np.isnan(result["per_step"]["mape"]).all()
    assert result["overall"]["smape"] == pytest.approx(200 * (5 / 3 + 1.001 / 1.001) / 6)
    # A point of weight 0 does not count.
    weight = np.ones((2, 3))
    weight[1, 2] = 0.0
    assert evaluate_forecasts(crossing, y_pred, weight=weight)["overall"]["mape"] == pytest.approx(50.0)
