"""RevIN-style instance normalisation: remove each window's level and scale, restore them on the forecast."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="forecaster")
class InstanceNormalization(keras.layers.Layer):
    """Standardise the target columns of each input window by that window's own mean and std.

    Only the first ``n_targets`` feature columns are normalised; covariates and
    calendar features pass through unchanged. The statistics are returned so
    that :class:`InstanceDenormalization` can put them back on the forecast.

    Args:
        n_targets: leading feature columns that are targets (>= 1).
        epsilon: added to the variance before the square root. Default 1e-5.
        **kwargs: :class:`keras.layers.Layer` arguments (``name``, ``dtype``).

    Call:
        past: ``(batch, lookback, n_features)`` with ``n_features >= n_targets``.

    Returns:
        ``(normalized, mean, std)``: ``normalized`` has the shape of ``past``;
        ``mean`` and ``std`` are ``(batch, 1, n_targets)``.

    Raises:
        ValueError: for ``n_targets < 1`` or ``epsilon <= 0``.
    """

    def __init__(self, n_targets: int, epsilon: float = 1e-5, **kwargs) -> None:
        super().__init__(**kwargs)
        if int(n_targets) < 1:
            raise ValueError(f"InstanceNormalization: n_targets must be >= 1, got {n_targets}")
        if not epsilon > 0:
            raise ValueError(f"InstanceNormalization: epsilon must be > 0, got {epsilon}")
        self.n_targets = int(n_targets)
        self.epsilon = float(epsilon)

    def call(self, past):
        targets = past[..., : self.n_targets]
        mean = ops.mean(targets, axis=1, keepdims=True)
        std = ops.sqrt(ops.var(targets, axis=1, keepdims=True) + self.epsilon)
        normalized = ops.concatenate([(targets - mean) / std, past[..., self.n_targets :]], axis=-1)
        return normalized, mean, std

    def get_config(self) -> dict:
        return {**super().get_config(), "n_targets": self.n_targets, "epsilon": self.epsilon}


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
