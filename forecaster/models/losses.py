"""Losses of the forecasting networks."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="forecaster")
class PinballLoss(keras.losses.Loss):
    """Pinball (quantile) loss averaged over target columns and quantile levels.

    For level ``q`` and error ``e = y - y_hat`` the loss is ``max(q * e, (q - 1) * e)``.

    Args:
        quantiles: quantile levels, each strictly between 0 and 1, in the
            order of the last axis of the predictions.
        name: loss name. Default ``"pinball"``.
        reduction: Keras reduction of the per-step losses. Default ``"sum_over_batch_size"``.

    Call:
        y_true: ``(batch, horizon, n_targets)``.
        y_pred: ``(batch, horizon, n_targets, n_quantiles)``.
        sample_weight: optional ``(batch, horizon)``.

    Returns:
        The reduced loss; per step ``(batch, horizon)`` before reduction.

    Raises:
        ValueError: for an empty ``quantiles`` or a level outside ``(0, 1)``.
    """

    def __init__(self, quantiles, name: str = "pinball", reduction: str = "sum_over_batch_size") -> None:
        super().__init__(name=name, reduction=reduction)
        quantiles = [float(q) for q in quantiles]
        if not quantiles or any(not 0.0 < q < 1.0 for q in quantiles):
            raise ValueError(f"PinballLoss: quantiles must be a non-empty list of levels in (0, 1), got {quantiles}")
        self.quantiles = quantiles

    def call(self, y_true, y_pred):
        levels = ops.convert_to_tensor(self.quantiles, dtype=y_pred.dtype)
        error = ops.expand_dims(ops.cast(y_true, y_pred.dtype), -1) - y_pred
        loss = ops.maximum(levels * error, (levels - 1.0) * error)
        return ops.mean(loss, axis=(-2, -1))

    def get_config(self) -> dict:
        return {"quantiles": self.quantiles, "name": self.name, "reduction": self.reduction}


def make_loss(loss: str, quantiles: list[float]) -> keras.losses.Loss:
    """Return the training loss: pinball for a quantile head, else the named point loss.

    Args:
        loss: ``mse``, ``mae`` or ``huber``; used only when ``quantiles`` is empty.
        quantiles: quantile levels of the head; empty for a point forecast.

    Returns:
        A Keras loss whose per-step values have shape ``(batch, horizon)``, so a
        ``(batch, horizon)`` sample weight masks missing steps.
    """
    if quantiles:
        return PinballLoss(quantiles)
    point_losses = {
        "mse": keras.losses.MeanSquaredError,
        "mae": keras.losses.MeanAbsoluteError,
        "huber": keras.losses.Huber,
    }
    return point_losses[loss]()
