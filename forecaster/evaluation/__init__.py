"""Forecast evaluation: metrics as plain functions, baseline forecasters, conformal intervals, backtests."""

from forecaster.evaluation.backtest import losing_baselines
from forecaster.evaluation.baselines import (
    LinearWindowForecaster,
    NaiveForecaster,
    SeasonalNaiveForecaster,
    infer_seasonal_period,
    mase_scale,
)
from forecaster.evaluation.conformal import ConformalCalibrator, ConformalQuantileCalibrator
from forecaster.evaluation.metrics import (
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

__all__ = [
    "ConformalCalibrator",
    "ConformalQuantileCalibrator",
    "LinearWindowForecaster",
    "NaiveForecaster",
    "SeasonalNaiveForecaster",
    "coverage",
    "evaluate_forecasts",
    "infer_seasonal_period",
    "interval_width",
    "losing_baselines",
    "mae",
    "mape",
    "mase",
    "mase_scale",
    "mse",
    "pinball_loss",
    "rmse",
    "skill_score",
    "smape",
]
