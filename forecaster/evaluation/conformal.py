"""Split-conformal prediction intervals, calibrated per horizon step and target column.

Both calibrators fit on the validation windows and widen new forecasts by the
finite-sample-corrected ``(1 - alpha)`` quantile of the validation
nonconformity scores: the ``k``-th smallest of ``n`` scores with
``k = ceil((n + 1) * (1 - alpha))``. When the windows are exchangeable, an
interval then covers the actual with probability at least ``1 - alpha`` at
each step and column. Check the coverage reached on test data with
:func:`forecaster.evaluation.coverage`.
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator

from forecaster.errors import ConfigError, NotFittedError
from forecaster.evaluation._validation import as_windows, check_same_shape, full_weight

logger = logging.getLogger(__name__)


def _conformal_quantile(scores: np.ndarray, valid: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """Corrected quantile of ``scores`` over windows, per step and column.

    Args:
        scores: ``(n_windows, horizon, n_targets)`` nonconformity scores.
        valid: boolean mask of the same shape; invalid scores are ignored.
        alpha: miscoverage level in ``(0, 1)``.

    Returns:
        ``(quantile, n_valid)``, each ``(horizon, n_targets)``; the quantile is
        ``inf`` where there are too few valid windows for the level.
    """
    n_valid = valid.sum(axis=0)
    rank = np.ceil((n_valid + 1) * (1.0 - alpha)).astype(np.int64)
    ordered = np.sort(np.where(valid, scores, np.inf), axis=0)
    index = np.clip(rank - 1, 0, scores.shape[0] - 1)[np.newaxis]
    quantile = np.take_along_axis(ordered, index, axis=0)[0]
    return np.where(rank <= n_valid, quantile, np.inf), n_valid


class _SplitConformal(BaseEstimator):
    """Shared parameter check, fitting and fitted-state check of the calibrators."""

    def __init__(self, alpha: float = 0.2) -> None:
        self.alpha = alpha

    def _fit_scores(self, scores: np.ndarray, valid: np.ndarray) -> None:
        valid_number = isinstance(self.alpha, (int, float)) and not isinstance(self.alpha, bool)
        if not (valid_number and 0 < self.alpha < 1):
            raise ConfigError(f"alpha must be a miscoverage level between 0 and 1; got {self.alpha!r}")
        self.quantile_, self.n_calibration_ = _conformal_quantile(scores, valid, self.alpha)
        n_unbounded = int(np.isinf(self.quantile_).sum())
        if n_unbounded:
            logger.warning(
                "%d of %d (step, target) pairs have fewer than %d calibration windows for "
                "alpha=%s; their intervals are unbounded",
                n_unbounded,
                self.quantile_.size,
                int(np.ceil(1 / self.alpha - 1)),
                self.alpha,
            )

    def to_dict(self) -> dict:
        """Return the fitted calibration as JSON-ready data (saved with a trained run).

        Raises:
            NotFittedError: before ``fit``.
        """
        self._check_fitted()
        return {
            "kind": type(self).__name__,
            "alpha": self.alpha,
            "quantile": np.where(np.isinf(self.quantile_), None, self.quantile_).tolist(),
            "n_calibration": self.n_calibration_.tolist(),
        }

    @classmethod
    def from_dict(cls, payload: dict) -> "_SplitConformal":
        """Rebuild a fitted calibrator from :meth:`to_dict` output, without refitting.

        Raises:
            ValueError: when ``payload`` was written by another calibrator class.
        """
        if payload.get("kind") != cls.__name__:
            raise ValueError(f"{cls.__name__}.from_dict: payload is a {payload.get('kind')!r}")
        calibrator = cls(alpha=payload["alpha"])
        calibrator.quantile_ = np.array(payload["quantile"], dtype=np.float64)
        calibrator.quantile_[np.isnan(calibrator.quantile_)] = np.inf
        calibrator.n_calibration_ = np.array(payload["n_calibration"], dtype=np.int64)
        return calibrator

    def _check_fitted(self) -> None:
        if not hasattr(self, "quantile_"):
            raise NotFittedError(
                f"{type(self).__name__} is not fitted yet; call fit on the validation windows before predict_interval"
            )

    def _check_predict_input(self, name: str, values) -> np.ndarray:
        self._check_fitted()
        values = as_windows(name, values)
        if values.shape[1:] != self.quantile_.shape:
            raise ValueError(
                f"{name} must have (horizon, n_targets) = {self.quantile_.shape} as in fit; got shape {values.shape}"
            )
        return values


def _valid_scores(scores: np.ndarray, weight) -> np.ndarray:
    """Scores that count for calibration: finite, with nonzero weight if weights are given."""
    return np.isfinite(scores) & (full_weight(weight, scores.shape) > 0)


class ConformalCalibrator(_SplitConformal):
    """Symmetric split-conformal intervals around point forecasts.

    The score is the absolute residual ``|y - y_pred|``; the interval is
    ``y_pred -/+ quantile_`` with one width per horizon step and target column.

    Args:
        alpha: miscoverage level in ``(0, 1)``; intervals aim at ``1 - alpha``
            coverage. Default ``0.2`` (80 % intervals).
    """

    def fit(self, y_val_true, y_val_pred, weight=None) -> ConformalCalibrator:
        """Calibrate on validation windows.

        Args:
            y_val_true: ``(n_windows, horizon, n_targets)`` validation actuals.
            y_val_pred: point forecasts of the same windows, same shape.
            weight: optional ``(n_windows, horizon)`` or ``y_val_true``'s shape;
                0 (and NaN actuals or forecasts) leave a point out.

        Returns:
            ``self``, with ``quantile_`` and ``n_calibration_``, each ``(horizon, n_targets)``.

        Raises:
            ConfigError: if ``alpha`` is not in ``(0, 1)``.
            ValueError: if shapes do not match.
        """
        y_val_true = as_windows("y_val_true", y_val_true)
        y_val_pred = as_windows("y_val_pred", y_val_pred)
        check_same_shape(("y_val_true", "y_val_pred"), y_val_true, y_val_pred)
        scores = np.abs(y_val_true - y_val_pred)
        self._fit_scores(scores, _valid_scores(scores, weight))
        return self

    def predict_interval(self, y_pred) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(lower, upper)``, each ``(n_windows, horizon, n_targets)``.

        Args:
            y_pred: ``(n_windows, horizon, n_targets)`` point forecasts.

        Raises:
            NotFittedError: if called before ``fit``.
            ValueError: if ``(horizon, n_targets)`` differs from ``fit``.
        """
        y_pred = self._check_predict_input("y_pred", y_pred)
        return y_pred - self.quantile_, y_pred + self.quantile_


class ConformalQuantileCalibrator(_SplitConformal):
    """Conformalised quantile regression (CQR): widen or shrink quantile-head intervals.

    The score is ``max(lower - y, y - upper)``; the interval is
    ``[lower - quantile_, upper + quantile_]`` (``quantile_`` may be negative
    when the raw intervals over-cover).

    Args:
        alpha: miscoverage level in ``(0, 1)``; use the level the lower and
            upper quantiles were trained for (0.2 for 0.1 and 0.9). Default ``0.2``.
    """

    def fit(self, y_val_true, lower, upper, weight=None) -> ConformalQuantileCalibrator:
        """Calibrate on validation windows.

        Args:
            y_val_true: ``(n_windows, horizon, n_targets)`` validation actuals.
            lower: lower-quantile predictions of the same windows, same shape.
            upper: upper-quantile predictions, same shape.
            weight: optional ``(n_windows, horizon)`` or ``y_val_true``'s shape;
                0 (and NaN actuals or forecasts) leave a point out.

        Returns:
            ``self``, with ``quantile_`` and ``n_calibration_``, each ``(horizon, n_targets)``.

        Raises:
            ConfigError: if ``alpha`` is not in ``(0, 1)``.
            ValueError: if shapes do not match.
        """
        y_val_true = as_windows("y_val_true", y_val_true)
        lower = as_windows("lower", lower)
        upper = as_windows("upper", upper)
        check_same_shape(("y_val_true", "lower"), y_val_true, lower)
        check_same_shape(("lower", "upper"), lower, upper)
        scores = np.maximum(lower - y_val_true, y_val_true - upper)
        self._fit_scores(scores, _valid_scores(scores, weight))
        return self

    def predict_interval(self, lower, upper) -> tuple[np.ndarray, np.ndarray]:
        """Return the calibrated ``(lower, upper)``, each ``(n_windows, horizon, n_targets)``.

        Args:
            lower: ``(n_windows, horizon, n_targets)`` lower-quantile predictions.
            upper: upper-quantile predictions, same shape.

        Raises:
            NotFittedError: if called before ``fit``.
            ValueError: if shapes do not match each other or ``fit``.
        """
        lower = self._check_predict_input("lower", lower)
        upper = self._check_predict_input("upper", upper)
        check_same_shape(("lower", "upper"), lower, upper)
        return lower - self.quantile_, upper + self.quantile_
