"""Assemble the forecasting network from a :class:`~forecaster.config.ModelConfig`."""

from __future__ import annotations

import keras

from forecaster.config import ModelConfig
from forecaster.errors import ConfigError
from forecaster.models.channels import FoldChannels, RepeatPerChannel, UnfoldChannels
from forecaster.models.encoders import RecurrentEncoder, SegmentEmbedding
from forecaster.models.heads import LinearSkip, MultiStepHead
from forecaster.models.normalization import InstanceDenormalization, InstanceNormalization


def build_model(
    model_cfg: ModelConfig,
    n_past: int,
    n_targets: int,
    lookback: int,
    horizon: int,
    n_future: int = 0,
    l2: float = 0.0,
    name: str = "forecaster_network",
) -> keras.Model:
    """Build the (uncompiled) network mapping a window's inputs to its forecast.

    The graph is: optional instance normalisation of the target columns,
    optional folding of the target channels into the batch, optional segment
    embedding, the recurrent encoder, the direct multi-step head (blocks of
    ``segment_length`` steps), the inverse folding, optionally a linear
    forecast from the normalised lookback added (``linear_skip``), then the
    inverse normalisation.

    Args:
        model_cfg: the network's configuration.
        n_past: feature columns of ``inputs["past"]`` (targets, past covariates,
            calendar features, in that order).
        n_targets: leading columns of ``past`` that are forecast.
        lookback: input steps per window.
        horizon: forecast steps per window.
        n_future: calendar columns of ``inputs["future"]``; 0 when the
            batches carry no ``"future"`` input. Default 0.
        l2: L2 penalty on every kernel. Default 0.
        name: the model's name (members of an ensemble need distinct names).
            Default ``"forecaster_network"``.

    Returns:
        A functional :class:`keras.Model` taking ``{"past": (batch, lookback,
        n_past)}`` plus ``"future": (batch, horizon, n_future)`` when
        ``n_future > 0``, and returning ``(batch, horizon, n_targets)``, or
        ``(batch, horizon, n_targets, n_quantiles)`` with quantiles.

    Raises:
        ConfigError: for sizes that do not fit (``n_targets`` outside
            ``[1, n_past]``, a lookback that is not a multiple of
            ``model.segment_length`` with the segment encoder).
    """
    if not 1 <= n_targets <= n_past:
        raise ConfigError(f"model: n_targets must lie in [1, n_past={n_past}], got {n_targets}")
    if min(lookback, horizon) < 1 or n_future < 0:
        raise ConfigError(
            f"model: lookback and horizon must be >= 1 and n_future >= 0, got {lookback}, {horizon}, {n_future}"
        )
    if model_cfg.encoder == "segment" and lookback % model_cfg.segment_length:
        raise ConfigError(
            f"model.segment_length: windows.lookback {lookback} must be a multiple of it, "
            f"got {model_cfg.segment_length}; choose a divisor of {lookback} or change the lookback"
        )
    past = keras.Input((lookback, n_past), name="past")
    inputs = {"past": past}
    future = None
    if n_future:
        inputs["future"] = keras.Input((horizon, n_future), name="future")
        future = inputs["future"] if model_cfg.use_future_covariates else None

    features = past
    if model_cfg.instance_norm:
        features, mean, std = InstanceNormalization(
            n_targets, method=model_cfg.instance_norm_method, name="instance_norm"
        )(features)
    normalised = features
    n_channels = n_targets if model_cfg.channel_independent else 1
    if model_cfg.channel_independent:
        features = FoldChannels(n_targets, name="fold_channels")(features)
        if future is not None:
            future = RepeatPerChannel(n_targets, name="repeat_future")(future)
    if model_cfg.encoder == "segment":
        embedding = SegmentEmbedding(model_cfg.segment_length, model_cfg.units, l2=l2, name="segment_embedding")
        features = embedding(features)
    sequence, summary = RecurrentEncoder(
        model_cfg.kind,
        gated_cell=model_cfg.gated_cell,
        units=model_cfg.units,
        n_layers=model_cfg.layers,
        dropout=model_cfg.dropout,
        recurrent_dropout=model_cfg.recurrent_dropout,
        residual=model_cfg.residual,
        bidirectional=model_cfg.bidirectional,
        l2=l2,
        name="encoder",
    )(features)
    forecast = MultiStepHead(
        horizon,
        block_length=model_cfg.segment_length,
        n_targets=n_targets // n_channels,
        n_quantiles=len(model_cfg.quantiles),
        units=model_cfg.units,
        n_channels=n_channels,
        attention=model_cfg.attention,
        decoder=model_cfg.decoder,
        dropout=model_cfg.dropout,
        l2=l2,
        name="head",
    )(summary, sequence, future)
    if model_cfg.channel_independent:
        forecast = UnfoldChannels(n_targets, name="unfold_channels")(forecast)
    if model_cfg.linear_skip:
        forecast = LinearSkip(horizon, n_targets, l2=l2, name="linear_skip")(forecast, normalised)
    if model_cfg.instance_norm:
        forecast = InstanceDenormalization(name="instance_denorm")(forecast, mean, std)
    return keras.Model(inputs, forecast, name=name)
