"""RevIN-style instance normalisation: remove each window's level and scale, restore them on the forecast."""

from __future__ import annotations

import keras
from keras import ops

NORMALIZATION_METHODS = ("mean_std", "last")


@keras.saving.register_keras_serializable(package="forecaster")
class InstanceNormalization(keras.layers.Layer):
    """Remove each input window's own level (and scale) from its target columns.

    Only the first ``n_targets`` feature columns are normalised; covariates and
    calendar features pass through unchanged. The statistics are returned so
    that :class:`InstanceDenormalization` can put them back on the forecast.

    Args:
        n_targets: leading feature columns that are targets (>= 1).
        method: ``mean_std`` (RevIN: subtract the window mean, divide by the
            window std) or ``last`` (SegRNN: subtract the last observed value,
            scale 1). Default ``"mean_std"``.
        epsilon: added to the variance before the square root. Default 1e-5.
        **kwargs: :class:`keras.layers.Layer` arguments (``name``, ``dtype``).

    Call:
        past: ``(batch, lookback, n_features)`` with ``n_features >= n_targets``.

    Returns:
        ``(normalized, level, scale)``: ``normalized`` has the shape of ``past``;
        ``level`` (window mean or last value) and ``scale`` (window std or 1)
        are ``(batch, 1, n_targets)``.

    Raises:
        ValueError: for ``n_targets < 1``, an unknown ``method`` or ``epsilon <= 0``.
    """

    def __init__(self, n_targets: int, method: str = "mean_std", epsilon: float = 1e-5, **kwargs) -> None:
        super().__init__(**kwargs)
        if int(n_targets) < 1:
            raise ValueError(f"InstanceNormalization: n_targets must be >= 1, got {n_targets}")
        if method not in NORMALIZATION_METHODS:
            raise ValueError(f"InstanceNormalization: method must be one of {NORMALIZATION_METHODS}, got {method!r}")
        if not epsilon > 0:
            raise ValueError(f"InstanceNormalization: epsilon must be > 0, got {epsilon}")
        self.n_targets = int(n_targets)
        self.method = method
        self.epsilon = float(epsilon)

    def call(self, past):
        targets = past[..., : self.n_targets]
        if self.method == "last":
            mean = targets[:, -1:, :]
            std = ops.ones_like(mean)
        else:
            mean = ops.mean(targets, axis=1, keepdims=True)
            std = ops.sqrt(ops.var(targets, axis=1, keepdims=True) + self.epsilon)
        normalized = ops.concatenate([(targets - mean) / std, past[..., self.n_targets :]], axis=-1)
        return normalized, mean, std

    def get_config(self) -> dict:
        return {**super().get_config(), "n_targets": self.n_targets, "method": self.method, "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="forecaster")
class InstanceDenormalization(keras.layers.Layer):
    """Put the window statistics of :class:`InstanceNormalization` back on a forecast.

    Args:
        **kwargs: :class:`keras.layers.Layer` arguments (``name``, ``dtype``).

    Call:
        forecast: ``(batch, horizon, n_targets)`` or, for quantiles,
            ``(batch, horizon, n_targets, n_quantiles)``.
        mean: ``(batch, 1, n_targets)``.
        std: ``(batch, 1, n_targets)``.

    Returns:
        ``forecast * std + mean``, shaped like ``forecast``.
    """

    def call(self, forecast, mean, std):
        if len(forecast.shape) == 4:
            mean = ops.expand_dims(mean, -1)
            std = ops.expand_dims(std, -1)
        return forecast * std + mean
