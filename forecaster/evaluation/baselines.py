"""Baseline forecasters scored on exactly the same windows as the models.

Each baseline is a scikit-learn style estimator: ``__init__`` stores its
hyperparameters, ``fit(x_targets, y_targets)`` learns from training windows
and returns ``self``, and ``predict(x_targets)`` forecasts every window at
once. ``x_targets`` holds the target columns' lookback values,
``(n_windows, lookback, n_targets)``; forecasts and ``y_targets`` are
``(n_windows, horizon, n_targets)`` on the same scale.
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.linear_model import Ridge

from forecaster.data.calendar import seasonal_period
from forecaster.errors import ConfigError, DataError, NotFittedError
from forecaster.evaluation._validation import as_windows

logger = logging.getLogger(__name__)

# Autocorrelation a lag must reach to count as a seasonal period.
_MIN_SEASONAL_AUTOCORRELATION = 0.2


def _check_period(period) -> None:
    if isinstance(period, bool) or not isinstance(period, (int, np.integer)) or period < 1:
        raise ConfigError(f"period must be a positive integer number of steps; got {period!r}")


class _WindowForecaster(BaseEstimator):
    """Shared checks of the baselines: training-window shapes and the fitted state."""

    def _fit_shapes(self, x_targets, y_targets) -> tuple[np.ndarray, np.ndarray]:
        """Validate training windows, store their shapes; return them as float64 arrays."""
        x_targets = as_windows("x_targets", x_targets, steps="lookback")
        y_targets = as_windows("y_targets", y_targets)
        if x_targets.shape[0] != y_targets.shape[0] or x_targets.shape[2] != y_targets.shape[2]:
            raise ValueError(
                "x_targets and y_targets must have the same n_windows and n_targets; "
                f"got {x_targets.shape} and {y_targets.shape}"
            )
        self.lookback_ = x_targets.shape[1]
        self.horizon_ = y_targets.shape[1]
        return x_targets, y_targets

    def _check_predict_input(self, x_targets) -> np.ndarray:
        if not hasattr(self, "horizon_"):
            raise NotFittedError(
                f"{type(self).__name__} is not fitted yet; "
                "call fit(x_targets, y_targets) on training windows before predict"
            )
        x_targets = as_windows("x_targets", x_targets, steps="lookback")
        if x_targets.shape[1] != self.lookback_:
            raise ValueError(f"x_targets must have lookback {self.lookback_} as in fit; got shape {x_targets.shape}")
        return x_targets


class NaiveForecaster(_WindowForecaster):
    """Repeat the last lookback value of each target column over the horizon.

    ``fit`` only records ``lookback_`` and ``horizon_`` from the training windows.
    """

    def fit(self, x_targets, y_targets) -> NaiveForecaster:
        """Record the window shapes.

        Args:
            x_targets: ``(n_windows, lookback, n_targets)`` training lookbacks.
            y_targets: ``(n_windows, horizon, n_targets)`` training targets.

        Returns:
            ``self``.

        Raises:
            ValueError: if the two arrays do not describe the same windows.
        """
        self._fit_shapes(x_targets, y_targets)
        return self

    def predict(self, x_targets) -> np.ndarray:
        """Forecast ``(n_windows, horizon_, n_targets)`` from ``(n_windows, lookback_, n_targets)``.

        Raises:
            NotFittedError: if called before ``fit``.
            ValueError: if the lookback differs from the one seen in ``fit``.
        """
        x_targets = self._check_predict_input(x_targets)
        return np.repeat(x_targets[:, -1:, :], self.horizon_, axis=1)


class SeasonalNaiveForecaster(_WindowForecaster):
    """Repeat the last observed season: ``y[t + h] = x[t + h - period * k]``.

    ``k`` is the smallest integer that puts the index inside the lookback, so
    horizons longer than one period repeat the last season again.

    Args:
        period: season length in time steps (e.g. 24 for hourly data), at
            most the lookback; see :func:`infer_seasonal_period`.
    """

    def __init__(self, period: int) -> None:
        self.period = period

    def fit(self, x_targets, y_targets) -> SeasonalNaiveForecaster:
        """Check the period against the lookback and record the window shapes.

        Args:
            x_targets: ``(n_windows, lookback, n_targets)`` training lookbacks.
            y_targets: ``(n_windows, horizon, n_targets)`` training targets.

        Returns:
            ``self``.

        Raises:
            ConfigError: if ``period`` is not a positive integer or exceeds the lookback.
            ValueError: if the two arrays do not describe the same windows.
        """
        _check_period(self.period)
        self._fit_shapes(x_targets, y_targets)
        if self.period > self.lookback_:
            raise ConfigError(
                f"seasonal period {self.period} is longer than the lookback {self.lookback_}; "
                "raise the lookback to at least the period or lower the period"
            )
        steps = np.arange(1, self.horizon_ + 1)
        self.source_index_ = self.lookback_ - 1 + steps - self.period * -(-steps // self.period)
        return self

    def predict(self, x_targets) -> np.ndarray:
        """Forecast ``(n_windows, horizon_, n_targets)`` from ``(n_windows, lookback_, n_targets)``.

        Raises:
            NotFittedError: if called before ``fit``.
            ValueError: if the lookback differs from the one seen in ``fit``.
        """
        x_targets = self._check_predict_input(x_targets)
        return x_targets[:, self.source_index_, :]


class LinearWindowForecaster(_WindowForecaster):
    """Ridge regression from the lookback window to every horizon step, per target column.

    Channel-independent like DLinear's linear variant: one linear map
    ``(lookback,) -> (horizon,)`` with intercept is shared by all target
    columns and applied to each column's lookback separately.

    Args:
        alpha: L2 penalty of the ridge regression, ``>= 0``. Default ``1.0``.
    """

    def __init__(self, alpha: float = 1.0) -> None:
        self.alpha = alpha

    def fit(self, x_targets, y_targets) -> LinearWindowForecaster:
        """Fit the shared linear map on training windows.

        Column windows holding a NaN (masked values) are left out.

        Args:
            x_targets: ``(n_windows, lookback, n_targets)`` training lookbacks.
            y_targets: ``(n_windows, horizon, n_targets)`` training targets.

        Returns:
            ``self``, with ``coef_`` ``(horizon, lookback)`` and ``intercept_`` ``(horizon,)``.

        Raises:
            ConfigError: if ``alpha`` is negative or not a number.
            DataError: if no training window is free of NaN.
            ValueError: if the two arrays do not describe the same windows.
        """
        valid_number = isinstance(self.alpha, (int, float)) and not isinstance(self.alpha, bool)
        if not (valid_number and self.alpha >= 0):
            raise ConfigError(f"alpha must be a non-negative number; got {self.alpha!r}")
        x_targets, y_targets = self._fit_shapes(x_targets, y_targets)
        x_rows = _column_rows(x_targets)
        y_rows = _column_rows(y_targets)
        complete = np.isfinite(x_rows).all(axis=1) & np.isfinite(y_rows).all(axis=1)
        if not complete.any():
            raise DataError(
                f"LinearWindowForecaster needs training windows without missing values; "
                f"all {len(complete)} column windows hold NaN or inf"
            )
        ridge = Ridge(alpha=self.alpha).fit(x_rows[complete], y_rows[complete])
        self.coef_ = ridge.coef_.reshape(self.horizon_, self.lookback_)
        self.intercept_ = np.reshape(ridge.intercept_, self.horizon_)
        return self

    def predict(self, x_targets) -> np.ndarray:
        """Forecast ``(n_windows, horizon_, n_targets)`` from ``(n_windows, lookback_, n_targets)``.

        Raises:
            NotFittedError: if called before ``fit``.
            ValueError: if the lookback differs from the one seen in ``fit``.
        """
        x_targets = self._check_predict_input(x_targets)
        return np.einsum("nlt,hl->nht", x_targets, self.coef_) + self.intercept_[:, np.newaxis]


def _column_rows(windows: np.ndarray) -> np.ndarray:
    """Reshape ``(n_windows, steps, n_targets)`` to ``(n_windows * n_targets, steps)``."""
    return windows.transpose(0, 2, 1).reshape(-1, windows.shape[1])


def infer_seasonal_period(frequency: str, values=None) -> int:
    """Infer the seasonal period, in steps, from the series frequency or its autocorrelation.

    Calendar frequencies give their period
    (:func:`forecaster.data.calendar.seasonal_period`: ``h`` -> 24, ``15min``
    -> 96, ``D`` or ``24h`` -> 7, ``B`` -> 5, ``W-SUN`` -> 52, ``MS``/``ME``
    -> 12, ``QS`` -> 4, ``YS`` -> 1). Any other
    frequency takes the lag (2 or more) with the highest autocorrelation
    of ``values``, averaged over columns.

    Args:
        frequency: pandas offset alias of the series (``"h"``, ``"15min"``, ``"D"``...).
        values: optional ``(n_rows,)`` or ``(n_rows, n_targets)`` training
            values, used only when the frequency gives no period. NaNs are ignored.

    Returns:
        The seasonal period, a positive ``int``.

    Raises:
        ConfigError: if ``frequency`` is not a pandas alias, or no period can
            be inferred (then ``period`` must be set in the config).
    """
    try:
        period = seasonal_period(frequency)
    except ValueError as error:
        raise ConfigError(
            f"frequency must be a pandas offset alias such as 'h' or '15min'; got {frequency!r}"
        ) from error
    if period is not None:
        return period
    if values is None:
        raise ConfigError(
            f"cannot infer a seasonal period for frequency {frequency!r}; set evaluation.seasonal_period "
            "in the config (number of steps in one season)"
        )
    return _autocorrelation_period(frequency, np.asarray(values, dtype=np.float64))


def _autocorrelation_period(frequency: str, values: np.ndarray) -> int:
    """The lag in ``[2, n_rows // 2]`` with the highest mean autocorrelation over columns."""
    if values.ndim == 1:
        values = values[:, np.newaxis]
    n_rows = values.shape[0]
    if n_rows < 8:
        raise ConfigError(
            f"cannot infer a seasonal period for frequency {frequency!r} from {n_rows} rows; "
            "set evaluation.seasonal_period in the config"
        )
    centred = np.nan_to_num(values - np.nanmean(values, axis=0))
    spectrum = np.fft.rfft(centred, n=2 * n_rows, axis=0)
    autocovariance = np.fft.irfft(np.abs(spectrum) ** 2, axis=0)[:n_rows]
    variance = autocovariance[0]
    autocorrelation = np.divide(autocovariance, variance, out=np.zeros_like(autocovariance), where=variance > 0).mean(
        axis=1
    )
    lags = np.arange(2, n_rows // 2 + 1)
    best = lags[np.argmax(autocorrelation[lags])]
    if autocorrelation[best] < _MIN_SEASONAL_AUTOCORRELATION:
        raise ConfigError(
            f"cannot infer a seasonal period for frequency {frequency!r}: no lag has "
            f"autocorrelation above {_MIN_SEASONAL_AUTOCORRELATION}; set evaluation.seasonal_period in the config"
        )
    logger.info("inferred seasonal period %d (autocorrelation %.2f)", best, autocorrelation[best])
    return int(best)


def mase_scale(train_values, period: int) -> np.ndarray:
    """In-sample mean absolute error of the seasonal-naive forecast, per column: the MASE scale.

    ``mean_t |y[t] - y[t - period]|`` over the training rows, ignoring NaNs.
    Pass the rows of one series; differences across a series boundary are wrong.

    Args:
        train_values: ``(n_rows, n_targets)`` training values of the target columns.
        period: seasonal period in steps (1 gives the naive scale).

    Returns:
        ``(n_targets,)`` float64 scales.

    Raises:
        ConfigError: if ``period`` is not a positive integer.
        DataError: if there are too few rows, or a column's scale is zero or
            undefined (constant or all-missing training values).
    """
    _check_period(period)
    train_values = np.asarray(train_values, dtype=np.float64)
    if train_values.ndim != 2:
        raise ValueError(f"train_values must have shape (n_rows, n_targets); got shape {train_values.shape}")
    if train_values.shape[0] <= period:
        raise DataError(
            f"MASE scale needs more training rows than the seasonal period {period}; got {train_values.shape[0]} rows"
        )
    differences = np.abs(train_values[period:] - train_values[:-period])
    valid = np.isfinite(differences)
    n_valid = valid.sum(axis=0)
    scale = np.where(valid, differences, 0.0).sum(axis=0) / np.maximum(n_valid, 1)
    bad = np.flatnonzero((n_valid == 0) | (scale == 0))
    if bad.size:
        raise DataError(
            f"MASE scale is zero or undefined for target column(s) {bad.tolist()}: their training "
            f"values are constant or missing at seasonal period {period}; MASE cannot be computed"
        )
    return scale
