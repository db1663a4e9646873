"""Backtests: a model and the baselines scored on exactly the same test windows.

Every window of the test split is predicted in large batches (no loop per
origin). Intervals are split-conformal, calibrated on the validation windows;
metrics are reported on the normalised (scaled) values, as the ETT literature
does, and in the data's own units.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecaster.config import EvaluationConfig
from forecaster.errors import ConfigError, DataError
from forecaster.evaluation.baselines import (
    LinearWindowForecaster,
    NaiveForecaster,
    SeasonalNaiveForecaster,
    infer_seasonal_period,
    mase_scale,
)
from forecaster.evaluation.conformal import ConformalCalibrator, ConformalQuantileCalibrator
from forecaster.evaluation.metrics import evaluate_forecasts, skill_score
from forecaster.windows.dataset import WindowDataset
from forecaster.windows.pipeline import WindowedData

logger = logging.getLogger(__name__)

PredictFn = Callable[[WindowDataset], np.ndarray]

MAX_BASELINE_TRAIN_WINDOWS = 20_000


@dataclass
class SplitForecast:
    """A model's forecasts for every window of one split, in window order.

    Attributes:
        targets: scaled actuals ``(n, horizon, n_targets)``.
        weight: ``(n, horizon)`` observed-target mask, or ``None`` when nothing is missing.
        point: scaled point forecasts ``(n, horizon, n_targets)`` (the median
            of a quantile model).
        quantiles: scaled quantile forecasts ``(n, horizon, n_targets, n_quantiles)``, or ``None``.
        x_targets: scaled lookback values of the targets ``(n, lookback, n_targets)``.
    """

    targets: np.ndarray
    weight: np.ndarray | None
    point: np.ndarray
    quantiles: np.ndarray | None
    x_targets: np.ndarray


@dataclass
class BacktestResult:
    """What a backtest produced.

    Attributes:
        metrics: JSON-ready metrics: ``mse``/``mae`` of the model on the test
            split (normalised scale) at the top level, then ``model`` and
            ``baselines`` (each ``scaled`` and ``original``), ``skill`` against
            seasonal naive, ``intervals`` (nominal and reached coverage), and
            ``validation`` (the scaled MSE and MAE of the model and of every
            baseline on the validation windows, which configurations are chosen
            on; see :func:`validation_scores`) when it calibrates here.
        predictions: long table of test forecasts (see :func:`predictions_table`).
        calibrator: the conformal calibrator fitted on validation windows.
        test: the model's test forecasts.
        baseline_points: scaled point forecasts of each baseline on the test windows.
    """

    metrics: dict
    predictions: pd.DataFrame
    calibrator: ConformalCalibrator | ConformalQuantileCalibrator
    test: SplitForecast
    baseline_points: dict[str, np.ndarray]


def forecast_split(predict: PredictFn, windowed: WindowedData, split: str, quantiles: list[float]) -> SplitForecast:
    """Predict every window of ``split``, batch by batch through its dataset.

    Only the targets and their lookback values are materialised for all
    windows, not the full input windows.

    Args:
        predict: maps an unshuffled :class:`WindowDataset` to scaled forecasts
            ``(n, horizon, n_targets)``, or with a trailing quantile axis.
        windowed: the windowed data.
        split: ``"val"`` or ``"test"``.
        quantiles: quantile levels of the model's output; empty for a point model.

    Returns:
        The :class:`SplitForecast`.

    Raises:
        ConfigError: when the split has no windows (a backtest needs
            validation windows to calibrate intervals and test windows to score).
    """
    dataset = windowed.dataset(split)
    if dataset is None:
        raise ConfigError(f"a backtest needs a {split!r} split; give split.{split} some rows")
    x_targets, targets, weight = target_windows(windowed, dataset.starts)
    point, quantile_output = split_output(np.asarray(predict(dataset)), quantiles)
    return SplitForecast(targets=targets, weight=weight, point=point, quantiles=quantile_output, x_targets=x_targets)


def split_output(output: np.ndarray, quantiles: list[float]) -> tuple[np.ndarray, np.ndarray | None]:
    """Split a model's output into its point forecast (the 0.5 quantile) and its quantiles.

    Args:
        output: ``(n, horizon, n_targets)``, or with a trailing quantile axis.
        quantiles: the model's quantile levels, empty for a point model.

    Returns:
        ``point (n, horizon, n_targets)`` and the quantile output, or ``None`` for a point model.
    """
    if not quantiles:
        return output, None
    return output[..., quantiles.index(0.5)], output


def interval_bounds(
    calibrator: ConformalCalibrator | ConformalQuantileCalibrator, point: np.ndarray, quantile_output: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """Return calibrated ``(lower, upper)`` bounds: around the outer quantiles (CQR) or around the point.

    Args:
        calibrator: fitted by :func:`calibrate_intervals`.
        point: point forecasts ``(n, horizon, n_targets)``.
        quantile_output: quantile forecasts ``(..., n_quantiles)``, or ``None`` for a point model.
    """
    if isinstance(calibrator, ConformalQuantileCalibrator):
        return calibrator.predict_interval(quantile_output[..., 0], quantile_output[..., -1])
    return calibrator.predict_interval(point)


def target_windows(windowed: WindowedData, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Cut the target columns of the windows at ``starts``: lookback values, actuals and weights.

    Returns:
        ``x_targets (n, lookback, n_targets)``, ``targets (n, horizon,
        n_targets)`` with missing values as 0, and the ``(n, horizon)``
        observed mask (``None`` when nothing is missing).
    """
    lookback, n_targets = windowed.spec.lookback, windowed.spec.n_targets
    window = windowed.train.windows[starts, :, :n_targets]
    weight = None
    if windowed.train.has_missing:
        weight = (~np.isnan(window[:, lookback:]).any(axis=2)).astype(np.float32)
        np.nan_to_num(window, copy=False)
    return window[:, :lookback], window[:, lookback:], weight


def run_backtest(
    predict: PredictFn,
    windowed: WindowedData,
    quantiles: list[float],
    evaluation: EvaluationConfig,
    calibrator: ConformalCalibrator | ConformalQuantileCalibrator | None = None,
) -> BacktestResult:
    """Score a model against naive, seasonal-naive and linear baselines on the test windows.

    Args:
        predict: the model's batched predict function (see :func:`forecast_split`).
        windowed: the windowed data; needs a test split, and a validation
            split unless ``calibrator`` is given.
        quantiles: the model's quantile levels, empty for a point model.
        evaluation: the ``evaluation`` config section.
        calibrator: intervals already calibrated on validation windows (a
            trained run's); ``None`` calibrates them here.

    Returns:
        The :class:`BacktestResult`.
    """
    test = forecast_split(predict, windowed, "test", quantiles)
    baselines = fit_baselines(windowed, evaluation)
    validation = None
    if calibrator is None:
        val = forecast_split(predict, windowed, "val", quantiles)
        calibrator = calibrate_intervals(val, quantiles, evaluation)
        validation = validation_scores(val, baselines)
    lower, upper = interval_bounds(calibrator, test.point, test.quantiles)
    baseline_points = {name: model.predict(test.x_targets) for name, model in baselines.items()}

    to_original = _inverse_transform(windowed)
    scale = _mase_scale(windowed, evaluation)
    model_metrics = {
        "scaled": evaluate_forecasts(
            test.targets,
            test.point,
            quantile_pred=test.quantiles,
            quantiles=quantiles or None,
            interval=(lower, upper),
            weight=test.weight,
        ),
        "original": evaluate_forecasts(
            to_original(test.targets),
            to_original(test.point),
            quantile_pred=None if test.quantiles is None else to_original(test.quantiles),
            quantiles=quantiles or None,
            interval=(to_original(lower), to_original(upper)),
            mase_scale=scale,
            weight=test.weight,
        ),
    }
    baseline_metrics = {
        name: {
            "scaled": evaluate_forecasts(test.targets, point, weight=test.weight),
            "original": evaluate_forecasts(
                to_original(test.targets), to_original(point), mase_scale=scale, weight=test.weight
            ),
        }
        for name, point in baseline_points.items()
    }
    metrics = {
        "mse": model_metrics["scaled"]["overall"]["mse"],
        "mae": model_metrics["scaled"]["overall"]["mae"],
        "n_test_windows": int(len(test.targets)),
        "model": model_metrics,
        "baselines": baseline_metrics,
        "skill": _skill(model_metrics, baseline_metrics),
        "intervals": {
            "method": "conformalised quantiles" if len(quantiles) >= 2 else "split-conformal residuals",
            "nominal_coverage": 1 - evaluation.interval_alpha,
            "test_coverage": model_metrics["scaled"]["overall"]["coverage"],
        },
    }
    if validation is not None:
        metrics["validation"] = validation
    predictions = predictions_table(windowed, test, lower, upper, quantiles, evaluation.predictions_every)
    return BacktestResult(metrics, predictions, calibrator, test, baseline_points)


def validation_scores(val: SplitForecast, baselines: dict) -> dict:
    """Score the model and every baseline on the validation windows, which configurations are chosen on.

    Args:
        val: the model's validation forecasts (see :func:`forecast_split`).
        baselines: fitted baselines by name (see :func:`fit_baselines`), each
            predicting from ``val.x_targets`` ``(n, lookback, n_targets)``.

    Returns:
        JSON-ready ``{"mse", "mae", "windows", "baselines": {name: {"mse", "mae"}}}``:
        MSE and MAE on the normalised scale over every validation window, step
        and target column (masked targets left out), as the test scores.
    """

    def scores(point: np.ndarray) -> dict:
        overall = evaluate_forecasts(val.targets, point, weight=val.weight)["overall"]
        return {"mse": overall["mse"], "mae": overall["mae"]}

    return {
        **scores(val.point),
        "windows": int(len(val.targets)),
        "baselines": {name: scores(model.predict(val.x_targets)) for name, model in baselines.items()},
    }


def losing_baselines(metrics: dict, split: str = "test", metric: str = "mse") -> list[str]:
    """Name the baselines that score better than the model on one split, best first.

    Args:
        metrics: the metrics of a backtest (:attr:`BacktestResult.metrics`, as
            written to ``metrics.json``).
        split: ``"test"`` (the backtest's scores) or ``"validation"`` (the
            scores of :func:`validation_scores`). Default ``"test"``.
        metric: ``"mse"`` or ``"mae"``, on the normalised scale. Default ``"mse"``.

    Returns:
        The names of the baselines whose ``metric`` is strictly lower than the
        model's, ordered from the lowest score up; empty when the model beats
        or ties every baseline.

    Raises:
        ValueError: for an unknown ``split`` or ``metric``, or metrics without
            that split's scores (a reloaded run's backtest has no validation scores).
    """
    if metric not in ("mse", "mae"):
        raise ValueError(f"metric must be 'mse' or 'mae'; got {metric!r}")
    if split == "test":
        model = metrics.get(metric)
        baselines = {name: scores["scaled"]["overall"][metric] for name, scores in metrics.get("baselines", {}).items()}
    elif split == "validation":
        model = metrics.get("validation", {}).get(metric)
        baselines = {
            name: scores[metric] for name, scores in metrics.get("validation", {}).get("baselines", {}).items()
        }
    else:
        raise ValueError(f"split must be 'test' or 'validation'; got {split!r}")
    if model is None or not baselines:
        raise ValueError(
            f"these metrics hold no {split} scores of the model and its baselines; "
            "pass the metrics of a backtest that scored that split"
        )
    return sorted((name for name, score in baselines.items() if score < model), key=baselines.get)


def calibrate_intervals(
    val: SplitForecast, quantiles: list[float], evaluation: EvaluationConfig
) -> ConformalCalibrator | ConformalQuantileCalibrator:
    """Fit split-conformal intervals on validation forecasts, per horizon step and target.

    A model with at least two quantile levels gets conformalised quantile
    regression on its outermost levels; a point model gets absolute-residual
    intervals around its forecast.
    """
    if len(quantiles) >= 2:
        return ConformalQuantileCalibrator(evaluation.interval_alpha).fit(
            val.targets, val.quantiles[..., 0], val.quantiles[..., -1], weight=val.weight
        )
    return ConformalCalibrator(evaluation.interval_alpha).fit(val.targets, val.point, weight=val.weight)


def fit_baselines(windowed: WindowedData, evaluation: EvaluationConfig) -> dict:
    """Fit naive, seasonal-naive (when its period fits the lookback) and linear baselines on training windows.

    The linear baseline is fitted on at most ``MAX_BASELINE_TRAIN_WINDOWS``
    evenly spaced training windows, so memory stays bounded on long series.
    """
    starts = windowed.train.starts
    if len(starts) > MAX_BASELINE_TRAIN_WINDOWS:
        starts = starts[np.linspace(0, len(starts) - 1, MAX_BASELINE_TRAIN_WINDOWS).astype(np.int64)]
    x_train, train_targets, _ = target_windows(windowed, starts)
    baselines = {"naive": NaiveForecaster()}
    period = _seasonal_period(windowed, evaluation)
    if period <= windowed.spec.lookback:
        baselines["seasonal_naive"] = SeasonalNaiveForecaster(period)
    else:
        logger.warning(
            "seasonal naive skipped: period %d is longer than the lookback %d", period, windowed.spec.lookback
        )
    baselines["linear"] = LinearWindowForecaster()
    for model in baselines.values():
        model.fit(x_train, train_targets)
    return baselines


def predictions_table(
    windowed: WindowedData,
    forecast: SplitForecast,
    lower: np.ndarray,
    upper: np.ndarray,
    quantiles: list[float],
    every: int = 1,
) -> pd.DataFrame:
    """Flatten test forecasts into one row per (window, step, target), in original units.

    Args:
        windowed: the windowed data (for timestamps, series ids and scaling).
        forecast: the model's test forecasts.
        lower: scaled lower interval bounds ``(n, horizon, n_targets)``.
        upper: scaled upper interval bounds, same shape.
        quantiles: quantile levels of ``forecast.quantiles``.
        every: keep every ``every``-th origin (1 keeps all).

    Returns:
        Columns ``series_id, origin, target_time, step, column, forecast, lower,
        upper, actual`` and one ``q<level>`` column per quantile.
    """
    meta = windowed.window_metadata("test")
    keep = np.arange(0, len(forecast.targets), every)
    to_original = _inverse_transform(windowed, meta.series_index[keep])
    n, horizon, n_targets = len(keep), windowed.spec.horizon, windowed.spec.n_targets
    per_value = n * horizon * n_targets
    window = np.repeat(keep, horizon * n_targets)
    step = np.tile(np.repeat(np.arange(1, horizon + 1), n_targets), n)
    ids = np.asarray(windowed.collection.series_ids, dtype=object)
    table = {
        "series_id": ids[meta.series_index[window]],
        "origin": meta.origin[window],
        "target_time": meta.target_times[keep].repeat(n_targets, axis=1).reshape(per_value),
        "step": step,
        "column": np.tile(np.asarray(windowed.spec.target_columns, dtype=object), n * horizon),
        "forecast": to_original(forecast.point[keep]).reshape(per_value),
        "lower": to_original(lower[keep]).reshape(per_value),
        "upper": to_original(upper[keep]).reshape(per_value),
        "actual": to_original(forecast.targets[keep]).reshape(per_value),
    }
    if forecast.quantiles is not None:
        values = to_original(forecast.quantiles[keep])
        for k, level in enumerate(quantiles):
            table[f"q{level:g}"] = values[..., k].reshape(per_value)
    frame = pd.DataFrame(table)
    if windowed.train.has_missing:
        frame.loc[np.isnan(frame["actual"]) | _masked(forecast, keep, n_targets), "actual"] = np.nan
    return frame


def _masked(forecast: SplitForecast, keep: np.ndarray, n_targets: int) -> np.ndarray:
    if forecast.weight is None:
        return np.zeros(len(keep) * forecast.targets.shape[1] * n_targets, dtype=bool)
    return np.repeat(forecast.weight[keep] == 0, n_targets, axis=1).reshape(-1)


def _inverse_transform(windowed: WindowedData, series_index: np.ndarray | None = None):
    if series_index is None:
        series_index = windowed.window_metadata("test").series_index
    return lambda y: windowed.scaler.inverse_transform_targets(y, series_index)


def _seasonal_period(windowed: WindowedData, evaluation: EvaluationConfig) -> int:
    """``evaluation.seasonal_period``, else the frequency's, else the training targets' autocorrelation peak."""
    if evaluation.seasonal_period:
        return evaluation.seasonal_period
    starts, ends = windowed.split_rows.rows("train")
    frame = windowed.collection.frame[list(windowed.spec.target_columns)].to_numpy(dtype=np.float64)
    return infer_seasonal_period(
        windowed.collection.frequency, np.concatenate([frame[s:e] for s, e in zip(starts, ends)])
    )


def _mase_scale(windowed: WindowedData, evaluation: EvaluationConfig) -> np.ndarray | None:
    """In-sample seasonal-naive MAE per target column over every series' training rows (pooled).

    Returns ``None`` (MASE is then not reported) when no series has more
    training rows than the seasonal period, or a target's scale is zero or
    undefined (constant or all-missing training values): MASE is undefined.
    """
    period = _seasonal_period(windowed, evaluation)
    starts, ends = windowed.split_rows.rows("train")
    frame = windowed.collection.frame[list(windowed.spec.target_columns)].to_numpy(dtype=np.float64)
    scales, weights = [], []
    for start, end in zip(starts, ends):
        if end - start > period:
            try:
                scales.append(mase_scale(frame[start:end], period))
            except DataError as undefined:
                logger.warning("MASE undefined, not reported: %s", undefined)
                return None
            weights.append(end - start - period)
    if not scales:
        logger.warning("MASE skipped: no series has more than %d training rows (the seasonal period)", period)
        return None
    return np.average(np.asarray(scales), axis=0, weights=weights)


def _skill(model_metrics: dict, baseline_metrics: dict) -> dict:
    reference = baseline_metrics.get("seasonal_naive") or baseline_metrics["naive"]
    name = "seasonal_naive" if "seasonal_naive" in baseline_metrics else "naive"
    return {
        "reference": name,
        **{
            metric: skill_score(model_metrics["scaled"]["overall"][metric], reference["scaled"]["overall"][metric])
            for metric in ("mse", "mae")
        },
    }
