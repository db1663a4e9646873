"""Assemble the forecasting network from its keyword arguments."""

from __future__ import annotations

import keras

from forecaster.errors import ConfigError
from forecaster.models.channels import FoldChannels, RepeatPerChannel, UnfoldChannels
from forecaster.models.encoders import RecurrentEncoder, SegmentEmbedding
from forecaster.models.heads import LinearSkip, MultiStepHead
from forecaster.models.normalization import InstanceDenormalization, InstanceNormalization


def build_model(
    n_past: int,
    n_targets: int,
    lookback: int,
    horizon: int,
    n_future: int = 0,
    *,
    kind: str = "lstm",
    gated_cell: str = "lstm",
    encoder: str = "recurrent",
    segment_length: int = 24,
    units: int = 64,
    layers: int = 1,
    dropout: float = 0.0,
    recurrent_dropout: float = 0.0,
    residual: bool = False,
    bidirectional: bool = False,
    instance_norm: bool = True,
    instance_norm_method: str = "mean_std",
    channel_independent: bool = False,
    attention: str = "none",
    decoder: str = "dense",
    use_future_covariates: bool = True,
    linear_skip: bool = False,
    quantiles: tuple[float, ...] | list[float] = (0.1, 0.5, 0.9),
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
        n_past: feature columns of ``inputs["past"]`` (targets, past covariates,
            calendar features, in that order).
        n_targets: leading columns of ``past`` that are forecast.
        lookback: input steps per window.
        horizon: forecast steps per window.
        n_future: calendar columns of ``inputs["future"]``; 0 when the
            batches carry no ``"future"`` input. Default 0.
        kind: recurrent layer: ``lstm`` / ``gru`` (Keras layers) or ``gated``
            (the hand-written cells of :mod:`forecaster.cells`). Default ``"lstm"``.
        gated_cell: ``lstm``, ``gru`` or ``peephole`` when ``kind`` is ``gated``. Default ``"lstm"``.
        encoder: ``recurrent`` runs the cell over every lookback step;
            ``segment`` over non-overlapping segments of ``segment_length``
            steps, each embedded first (SegRNN; Lin et al., 2023). Default ``"recurrent"``.
        segment_length: steps per segment of the ``segment`` encoder and per
            block of the head. Default 24.
        units: hidden units per recurrent layer. Default 64.
        layers: stacked recurrent layers. Default 1.
        dropout: input dropout of the recurrent layers and the head, in [0, 1). Default 0.
        recurrent_dropout: dropout on the recurrent state, in [0, 1). Default 0.
        residual: add each stacked layer's input to its output. Default ``False``.
        bidirectional: run the encoder both ways over the lookback. Default ``False``.
        instance_norm: normalise each window's target columns before the
            network and undo it on the outputs (RevIN; Kim et al., 2022). Default ``True``.
        instance_norm_method: ``mean_std`` (RevIN) or ``last`` (subtract the
            last observed value, SegRNN's default). Default ``"mean_std"``.
        channel_independent: model each target column as its own univariate
            series with shared weights. Default ``False``.
        attention: attention of the head over the encoder outputs: ``none``,
            ``dot`` or ``additive``. Default ``"none"``.
        decoder: ``dense`` or ``gru`` step decoding each output block. Default ``"dense"``.
        use_future_covariates: feed ``inputs["future"]`` to the head. Default ``True``.
        linear_skip: add a linear forecast from each target column's lookback
            (LSTNet's highway; Lai et al., 2018). Default ``False``.
        quantiles: quantile levels of the output, increasing and holding 0.5;
            empty for a point forecast. Default ``(0.1, 0.5, 0.9)``.
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
            ``segment_length`` with the segment encoder).
    """
    if not 1 <= n_targets <= n_past:
        raise ConfigError(f"model: n_targets must lie in [1, n_past={n_past}], got {n_targets}")
    if min(lookback, horizon) < 1 or n_future < 0:
        raise ConfigError(
            f"model: lookback and horizon must be >= 1 and n_future >= 0, got {lookback}, {horizon}, {n_future}"
        )
    if encoder == "segment" and lookback % segment_length:
        raise ConfigError(
            f"model.segment_length: windows.lookback {lookback} must be a multiple of it, "
            f"got {segment_length}; choose a divisor of {lookback} or change the lookback"
        )
    past = keras.Input((lookback, n_past), name="past")
    inputs = {"past": past}
    future = None
    if n_future:
        inputs["future"] = keras.Input((horizon, n_future), name="future")
        future = inputs["future"] if use_future_covariates else None

    features = past
    if instance_norm:
        features, mean, std = InstanceNormalization(n_targets, method=instance_norm_method, name="instance_norm")(
            features
        )
    normalised = features
    n_channels = n_targets if channel_independent else 1
    if channel_independent:
        features = FoldChannels(n_targets, name="fold_channels")(features)
        if future is not None:
            future = RepeatPerChannel(n_targets, name="repeat_future")(future)
    if encoder == "segment":
        embedding = SegmentEmbedding(segment_length, units, l2=l2, name="segment_embedding")
        features = embedding(features)
    sequence, summary = RecurrentEncoder(
        kind,
        gated_cell=gated_cell,
        units=units,
        n_layers=layers,
        dropout=dropout,
        recurrent_dropout=recurrent_dropout,
        residual=residual,
        bidirectional=bidirectional,
        l2=l2,
        name="encoder",
    )(features)
    forecast = MultiStepHead(
        horizon,
        block_length=segment_length,
        n_targets=n_targets // n_channels,
        n_quantiles=len(quantiles),
        units=units,
        n_channels=n_channels,
        attention=attention,
        decoder=decoder,
        dropout=dropout,
        l2=l2,
        name="head",
    )(summary, sequence, future)
    if channel_independent:
        forecast = UnfoldChannels(n_targets, name="unfold_channels")(forecast)
    if linear_skip:
        forecast = LinearSkip(horizon, n_targets, l2=l2, name="linear_skip")(forecast, normalised)
    if instance_norm:
        forecast = InstanceDenormalization(name="instance_denorm")(forecast, mean, std)
    return keras.Model(inputs, forecast, name=name)
