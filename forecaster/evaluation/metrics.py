"""Forecast metrics as plain numpy functions with uniform arguments.

Every metric takes forecast windows shaped ``(n_windows, horizon, n_targets)``
(quantile predictions add a last ``n_quantiles`` axis), an optional ``weight``
and a ``by`` grouping:

- ``weight``: ``None`` (every point counts once), or non-negative weights of
  shape ``(n_windows, horizon)`` (shared by every target column) or of the
  same shape as ``y_true``. A weight of 0 marks a missing point: it is left
  out of every metric, whatever value (even NaN) ``y_true`` holds there.
- ``by``: ``None`` returns one ``float`` over all points; ``"step"`` an array
  ``(horizon,)``; ``"target"`` an array ``(n_targets,)``; ``"step_target"`` an
  array ``(horizon, n_targets)``. Each entry is the weighted mean over the
  points of its group, or NaN when the group has no valid point.

Shape mismatches between arrays are programming errors and raise
``ValueError``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Literal

import numpy as np

from forecaster.evaluation._validation import as_windows, check_same_shape, full_weight

Grouping = Literal["step", "target", "step_target"] | None

# Axes of a (n_windows, horizon, n_targets) array that each grouping averages over.
_REDUCED_AXES = {None: (0, 1, 2), "step": (0, 2), "target": (0, 1), "step_target": (0,)}


def _check_grouping(by: Grouping) -> tuple[int, ...]:
    if by not in _REDUCED_AXES:
        raise ValueError(f"by must be one of None, 'step', 'target', 'step_target'; got {by!r}")
    return _REDUCED_AXES[by]


def _weighted_mean(point_values: np.ndarray, weight: np.ndarray, by: Grouping):
    """Weighted mean of per-point values over the axes that ``by`` reduces.

    Points with zero weight are left out even where ``point_values`` is NaN;
    a group without weight gives NaN.
    """
    axes = _check_grouping(by)
    counted = weight > 0
    total = np.sum(np.where(counted, point_values, 0.0) * weight, axis=axes)
    weight_sum = np.sum(weight, axis=axes)
    mean = np.divide(total, weight_sum, out=np.full_like(total, np.nan), where=weight_sum > 0)
    return float(mean) if by is None else mean


def _point_errors(y_true, y_pred, weight) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a point forecast; return ``(y_true, y_pred, full_weight)`` as float64."""
    y_true = as_windows("y_true", y_true)
    y_pred = as_windows("y_pred", y_pred)
    check_same_shape(("y_true", "y_pred"), y_true, y_pred)
    return y_true, y_pred, full_weight(weight, y_true.shape)


def mae(y_true, y_pred, weight=None, by: Grouping = None):
    """Mean absolute error.

    Args:
        y_true: actuals, ``(n_windows, horizon, n_targets)``.
        y_pred: point forecasts, same shape.
        weight: ``None``, ``(n_windows, horizon)`` or ``y_true``'s shape;
            0 excludes a point. Default ``None``.
        by: ``None``, ``"step"``, ``"target"`` or ``"step_target"``.

    Returns:
        ``float`` for ``by=None``, else an array ``(horizon,)``,
        ``(n_targets,)`` or ``(horizon, n_targets)``.

    Raises:
        ValueError: if shapes do not match or ``by`` is unknown.

    >>> import numpy as np
    >>> y_true = np.zeros((2, 3, 1))                      # 2 windows, horizon 3, 1 target
    >>> y_pred = np.array([[1.0, 2.0, 3.0], [1.0, 2.0, 3.0]])[..., None]
    >>> mae(y_true, y_pred)
    2.0
    >>> mae(y_true, y_pred, by="step")                    # one value per horizon step
    array([1., 2., 3.])
    """
    y_true, y_pred, weight = _point_errors(y_true, y_pred, weight)
    return _weighted_mean(np.abs(y_pred - y_true), weight, by)


def mse(y_true, y_pred, weight=None, by: Grouping = None):
    """Mean squared error; arguments, returns and errors as in :func:`mae`."""
    y_true, y_pred, weight = _point_errors(y_true, y_pred, weight)
    return _weighted_mean(np.square(y_pred - y_true), weight, by)


def rmse(y_true, y_pred, weight=None, by: Grouping = None):
    """Root mean squared error (square root of each group's :func:`mse`).

    Arguments, returns and errors as in :func:`mae`.
    """
    root = np.sqrt(mse(y_true, y_pred, weight, by))
    return float(root) if by is None else root


def mape(y_true, y_pred, weight=None, by: Grouping = None):
    """Mean absolute percentage error, in percent: ``100 * |y_pred - y_true| / |y_true|``.

    Points whose actual is exactly zero are skipped (the ratio is undefined);
    a group left without any valid point gives NaN.

    Arguments, returns and errors as in :func:`mae`.
    """
    y_true, y_pred, weight = _point_errors(y_true, y_pred, weight)
    nonzero = y_true != 0
    ratio = np.abs(y_pred - y_true) / np.where(nonzero, np.abs(y_true), 1.0)
    return _weighted_mean(100.0 * ratio, weight * nonzero, by)


def smape(y_true, y_pred, weight=None, by: Grouping = None):
    """Symmetric mean absolute percentage error, in percent (0 to 200).

    Per point ``200 * |y_pred - y_true| / (|y_true| + |y_pred|)``; a point where
    both are zero is a perfect forecast and scores 0.

    Arguments, returns and errors as in :func:`mae`.
    """
    y_true, y_pred, weight = _point_errors(y_true, y_pred, weight)
    denominator = np.abs(y_true) + np.abs(y_pred)
    ratio = np.abs(y_pred - y_true) / np.where(denominator > 0, denominator, 1.0)
    return _weighted_mean(200.0 * ratio, weight, by)


def mase(y_true, y_pred, scale, weight=None, by: Grouping = None):
    """Mean absolute scaled error: absolute errors divided by each column's ``scale``.

    Args:
        y_true: actuals, ``(n_windows, horizon, n_targets)``.
        y_pred: point forecasts, same shape.
        scale: ``(n_targets,)`` positive in-sample mean absolute error of the
            seasonal-naive forecast on the training series, one per target
            column (see :func:`forecaster.evaluation.mase_scale`).
        weight: as in :func:`mae`.
        by: as in :func:`mae`.

    Returns:
        As in :func:`mae`; values below 1 beat the in-sample seasonal naive.

    Raises:
        ValueError: if shapes do not match, or ``scale`` is not positive and finite.
    """
    y_true, y_pred, weight = _point_errors(y_true, y_pred, weight)
    scale = np.asarray(scale, dtype=np.float64)
    if scale.shape != (y_true.shape[2],):
        raise ValueError(f"scale must have shape (n_targets,) = ({y_true.shape[2]},); got {scale.shape}")
    if not np.all(np.isfinite(scale) & (scale > 0)):
        raise ValueError(f"scale must be positive and finite for every target; got {scale}")
    return _weighted_mean(np.abs(y_pred - y_true) / scale, weight, by)


def _check_quantiles(quantile_pred, quantiles) -> tuple[np.ndarray, np.ndarray]:
    quantile_pred = np.asarray(quantile_pred, dtype=np.float64)
    quantiles = np.asarray(quantiles, dtype=np.float64)
    if quantile_pred.ndim != 4:
        raise ValueError(
            "quantile_pred must have shape (n_windows, horizon, n_targets, n_quantiles); "
            f"got shape {quantile_pred.shape}"
        )
    if quantiles.shape != (quantile_pred.shape[3],):
        raise ValueError(
            f"quantiles must list one level per quantile_pred quantile ({quantile_pred.shape[3]}); "
            f"got {quantiles.tolist()}"
        )
    if not np.all((quantiles > 0) & (quantiles < 1)):
        raise ValueError(f"quantiles must lie strictly between 0 and 1; got {quantiles.tolist()}")
    return quantile_pred, quantiles


def pinball_loss(y_true, quantile_pred, quantiles: Sequence[float], weight=None, by: Grouping = None):
    """Pinball (quantile) loss, averaged over points and quantile levels.

    Per point and level ``q``: ``max(q * (y - p), (q - 1) * (y - p))``. At
    ``q = 0.5`` this is half the absolute error.

    Args:
        y_true: actuals, ``(n_windows, horizon, n_targets)``.
        quantile_pred: ``(n_windows, horizon, n_targets, n_quantiles)``.
        quantiles: the ``n_quantiles`` levels in ``(0, 1)``, e.g. ``(0.1, 0.5, 0.9)``.
        weight: as in :func:`mae`.
        by: as in :func:`mae`.

    Returns:
        As in :func:`mae`.

    Raises:
        ValueError: if shapes do not match or a level is outside ``(0, 1)``.

    >>> import numpy as np
    >>> y_true = np.ones((1, 1, 1))
    >>> quantile_pred = np.array([0.0, 1.0, 2.0]).reshape(1, 1, 1, 3)   # levels 0.1, 0.5, 0.9
    >>> round(pinball_loss(y_true, quantile_pred, (0.1, 0.5, 0.9)), 4)  # (0.1 * 1 + 0 + 0.1 * 1) / 3
    0.0667
    """
    y_true = as_windows("y_true", y_true)
    quantile_pred, quantiles = _check_quantiles(quantile_pred, quantiles)
    check_same_shape(("y_true", "quantile_pred[..., 0]"), y_true, quantile_pred[..., 0])
    residual = y_true[..., np.newaxis] - quantile_pred
    loss = np.maximum(quantiles * residual, (quantiles - 1.0) * residual).mean(axis=-1)
    return _weighted_mean(loss, full_weight(weight, y_true.shape), by)


def _interval(lower, upper) -> tuple[np.ndarray, np.ndarray]:
    lower = as_windows("lower", lower)
    upper = as_windows("upper", upper)
    check_same_shape(("lower", "upper"), lower, upper)
    return lower, upper


def coverage(y_true, lower, upper, weight=None, by: Grouping = None):
    """Fraction of actuals inside the closed interval ``[lower, upper]``.

    Args:
        y_true: actuals, ``(n_windows, horizon, n_targets)``.
        lower: interval lower bounds, same shape.
        upper: interval upper bounds, same shape.
        weight: as in :func:`mae`.
        by: as in :func:`mae`.

    Returns:
        As in :func:`mae`, values in ``[0, 1]``.

    Raises:
        ValueError: if shapes do not match.

    >>> import numpy as np
    >>> y_true = np.array([0.0, 1.0, 5.0]).reshape(1, 3, 1)
    >>> coverage(y_true, lower=np.zeros((1, 3, 1)), upper=np.full((1, 3, 1), 2.0))
    0.6666666666666666
    """
    y_true = as_windows("y_true", y_true)
    lower, upper = _interval(lower, upper)
    check_same_shape(("y_true", "lower"), y_true, lower)
    inside = (lower <= y_true) & (y_true <= upper)
    return _weighted_mean(inside.astype(np.float64), full_weight(weight, y_true.shape), by)


def interval_width(lower, upper, weight=None, by: Grouping = None):
    """Mean width ``upper - lower`` of prediction intervals.

    Args:
        lower: interval lower bounds, ``(n_windows, horizon, n_targets)``.
        upper: interval upper bounds, same shape.
        weight: as in :func:`mae`, relative to ``lower``'s shape.
        by: as in :func:`mae`.

    Returns:
        As in :func:`mae`.

    Raises:
        ValueError: if shapes do not match.
    """
    lower, upper = _interval(lower, upper)
    return _weighted_mean(upper - lower, full_weight(weight, lower.shape), by)


def skill_score(model_metric, reference_metric):
    """Skill of a model relative to a reference: ``1 - model_metric / reference_metric``.

    1 is a perfect model, 0 no better than the reference (usually the
    seasonal naive), negative worse. Meant for errors where lower is better
    (MAE, MSE, RMSE, MASE, pinball loss).

    Args:
        model_metric: the model's metric, a float or an array (e.g. per step).
        reference_metric: the reference's metric, same shape.

    Returns:
        ``float`` for scalar inputs, else an array of the inputs' shape; NaN
        where the reference metric is 0.

    >>> skill_score(0.75, 1.0)    # 25% lower error than the reference
    0.25
    """
    model_metric = np.asarray(model_metric, dtype=np.float64)
    reference_metric = np.asarray(reference_metric, dtype=np.float64)
    ratio = np.divide(
        model_metric,
        reference_metric,
        out=np.full(np.broadcast_shapes(model_metric.shape, reference_metric.shape), np.nan),
        where=reference_metric != 0,
    )
    skill = 1.0 - ratio
    return float(skill) if skill.ndim == 0 else skill


def evaluate_forecasts(
    y_true,
    y_pred,
    *,
    quantile_pred=None,
    quantiles: Sequence[float] | None = None,
    interval=None,
    mase_scale=None,
    weight=None,
) -> dict:
    """Score forecast windows with every applicable metric, overall and per horizon step.

    Always reports ``mae``, ``mse``, ``rmse``, ``mape``, ``smape``; ``mase``
    when ``mase_scale`` is given; ``pinball`` when ``quantile_pred`` is given;
    ``coverage`` and ``width`` of ``interval`` when given, else of the
    outermost quantiles of ``quantile_pred`` when it has at least two levels.

    Args:
        y_true: actuals, ``(n_windows, horizon, n_targets)``.
        y_pred: point forecasts, same shape.
        quantile_pred: optional ``(n_windows, horizon, n_targets, n_quantiles)``.
        quantiles: levels of ``quantile_pred``; required with it.
        interval: optional ``(lower, upper)`` pair of arrays shaped like
            ``y_true`` (e.g. conformal intervals).
        mase_scale: optional ``(n_targets,)`` MASE scale.
        weight: as in :func:`mae`; 0 excludes a point from every metric.

    ``mape`` is NaN when an actual (of nonzero weight) is zero or negative:
    percentage errors need data with a meaningful zero that stay positive, and
    actuals near or across zero make them arbitrarily large (Hyndman &
    Athanasopoulos, "Forecasting: Principles and Practice", 3rd ed., section
    5.8); ``smape`` and ``mase`` are the scale-free errors for such data.

    Returns:
        ``{"overall": {metric: float}, "per_step": {metric: [float] * horizon}}``
        of plain Python floats (NaN where a metric has no valid point).

    Raises:
        ValueError: if shapes do not match, or ``quantile_pred`` comes without
            ``quantiles``.
    """
    point_metrics = {"mae": mae, "mse": mse, "rmse": rmse, "mape": mape, "smape": smape}
    metrics = {name: partial(metric, y_true, y_pred, weight=weight) for name, metric in point_metrics.items()}
    actual, _, full = _point_errors(y_true, y_pred, weight)
    if (actual[(full > 0) & np.isfinite(actual)] <= 0).any():
        metrics["mape"] = lambda by: np.float64(np.nan) if by is None else np.full(actual.shape[1], np.nan)
    if mase_scale is not None:
        metrics["mase"] = partial(mase, y_true, y_pred, mase_scale, weight=weight)
    if quantile_pred is not None:
        if quantiles is None:
            raise ValueError("quantiles must be given with quantile_pred")
        quantile_pred, quantiles = _check_quantiles(quantile_pred, quantiles)
        metrics["pinball"] = partial(pinball_loss, y_true, quantile_pred, quantiles, weight=weight)
        if interval is None and len(quantiles) >= 2:
            order = np.argsort(quantiles)
            interval = (quantile_pred[..., order[0]], quantile_pred[..., order[-1]])
    if interval is not None:
        lower, upper = interval
        metrics["coverage"] = partial(coverage, y_true, lower, upper, weight=weight)
        metrics["width"] = partial(interval_width, lower, upper, weight=weight)
    return {
        "overall": {name: float(score(by=None)) for name, score in metrics.items()},
        "per_step": {name: score(by="step").tolist() for name, score in metrics.items()},
    }
