"""Channel independence: fold the target columns into the batch, and unfold the forecast back."""

from __future__ import annotations

import keras
from keras import ops


def _times(size: int | None, factor: int) -> int | None:
    """A batch size times ``factor``, keeping an unknown (``None``) size unknown."""
    return None if size is None else size * factor


def _check_channels(layer: str, n_channels: int) -> int:
    if int(n_channels) < 1:
        raise ValueError(f"{layer}: n_channels must be >= 1, got {n_channels}")
    return int(n_channels)


@keras.saving.register_keras_serializable(package="forecaster")
class FoldChannels(keras.layers.Layer):
    """Turn ``n_channels`` target columns into ``n_channels`` univariate series sharing the batch axis.

    Row ``b * n_channels + c`` of the output is channel ``c`` of window ``b``.
    Covariate columns of ``past`` are repeated for each channel, so each
    univariate series still sees them (fold ``future`` with :class:`RepeatPerChannel`).

    Args:
        n_channels: leading feature columns of ``past`` that are targets (>= 1).
        **kwargs: :class:`keras.layers.Layer` arguments.

    Call:
        past: ``(batch, lookback, n_features)``.

    Returns:
        ``(batch * n_channels, lookback, 1 + n_features - n_channels)``: the
        channel's own column, then the covariate columns.

    Raises:
        ValueError: for ``n_channels < 1``.
    """

    def __init__(self, n_channels: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.n_channels = _check_channels("FoldChannels", n_channels)

    def call(self, past):
        targets = ops.transpose(past[..., : self.n_channels], (0, 2, 1))
        folded = ops.reshape(targets, (-1, past.shape[1], 1))
        if past.shape[-1] == self.n_channels:
            return folded
        covariates = ops.repeat(past[..., self.n_channels :], self.n_channels, axis=0)
        return ops.concatenate([folded, covariates], axis=-1)

    def compute_output_shape(self, past_shape):
        return (_times(past_shape[0], self.n_channels), past_shape[1], 1 + past_shape[2] - self.n_channels)

    def get_config(self) -> dict:
        return {**super().get_config(), "n_channels": self.n_channels}


@keras.saving.register_keras_serializable(package="forecaster")
class RepeatPerChannel(keras.layers.Layer):
    """Repeat each row of a batch once per folded channel, matching :class:`FoldChannels`.

    Args:
        n_channels: channels folded into the batch (>= 1).
        **kwargs: :class:`keras.layers.Layer` arguments.

    Call:
        inputs: ``(batch, ...)``, e.g. known-future covariates ``(batch, horizon, n_calendar)``.

    Returns:
        ``(batch * n_channels, ...)``; row ``b * n_channels + c`` is row ``b``.

    Raises:
        ValueError: for ``n_channels < 1``.
    """

    def __init__(self, n_channels: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.n_channels = _check_channels("RepeatPerChannel", n_channels)

    def call(self, inputs):
        return ops.repeat(inputs, self.n_channels, axis=0)

    def compute_output_shape(self, input_shape):
        return (_times(input_shape[0], self.n_channels), *input_shape[1:])

    def get_config(self) -> dict:
        return {**super().get_config(), "n_channels": self.n_channels}


@keras.saving.register_keras_serializable(package="forecaster")
class UnfoldChannels(keras.layers.Layer):
    """Undo :class:`FoldChannels` on a univariate forecast.

    Args:
        n_channels: target columns folded into the batch (>= 1).
        **kwargs: :class:`keras.layers.Layer` arguments.

    Call:
        forecast: ``(batch * n_channels, horizon, 1)`` or
            ``(batch * n_channels, horizon, 1, n_quantiles)``.

    Returns:
        ``(batch, horizon, n_channels)`` or ``(batch, horizon, n_channels, n_quantiles)``.

    Raises:
        ValueError: for ``n_channels < 1``.
    """

    def __init__(self, n_channels: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.n_channels = _check_channels("UnfoldChannels", n_channels)

    def call(self, forecast):
        horizon, trailing = forecast.shape[1], tuple(forecast.shape[3:])
        unfolded = ops.reshape(forecast, (-1, self.n_channels, horizon, *trailing))
        return ops.transpose(unfolded, (0, 2, 1, *range(3, 3 + len(trailing))))

    def compute_output_shape(self, forecast_shape):
        batch = None if forecast_shape[0] is None else forecast_shape[0] // self.n_channels
        return (batch, forecast_shape[1], self.n_channels, *forecast_shape[3:])

    def get_config(self) -> dict:
        return {**super().get_config(), "n_channels": self.n_channels}
