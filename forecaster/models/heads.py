"""The direct multi-step head: every step of the horizon decoded at once from the encoder."""

from __future__ import annotations

import math

import keras
from keras import ops

from forecaster.models.encoders import make_regularizer

ATTENTION_KINDS = ("none", "dot", "additive")
DECODERS = ("dense", "gru")


@keras.saving.register_keras_serializable(package="forecaster")
class MultiStepHead(keras.layers.Layer):
    """Decode all ``horizon`` steps in parallel, one block of ``block_length`` steps per query.

    The horizon is cut into ``n_blocks = ceil(horizon / block_length)`` blocks.
    Block ``m`` is decoded from the encoder's ``summary`` and its step input
    ``[query_m, context_m, future_m]`` by one decoder step, then
    ``Dropout -> Dense(block_length * n_outputs)``. The ``dense`` step is
    ``Dense(units, relu)`` of ``[summary, step input]``; the ``gru`` step is one
    ``keras.layers.GRUCell`` step on the step input with ``summary`` as its
    state (SegRNN's parallel decoding). Here
    ``query_m`` is a learned block embedding (plus a learned channel embedding
    when ``n_channels > 1``, for channel-folded batches), ``context_m`` the
    attention of ``query_m`` over the encoder sequence (only with
    ``attention``) and ``future_m`` the block's known-future covariates (only
    when given). Blocks are concatenated and cut to ``horizon``. Quantile
    outputs are sorted along the quantile axis, so they never cross.

    Args:
        horizon: forecast steps (>= 1).
        block_length: steps decoded per block (>= 1); SegRNN's segment length.
        n_targets: target columns per row of the batch (>= 1).
        n_quantiles: quantile levels; 0 for a point forecast. Default 0.
        units: width of the block embeddings and the hidden layer. Default 64.
        n_channels: channels folded into the batch (rows ``b * n_channels + c``);
            1 when not channel-independent. Default 1.
        attention: ``none``, ``dot`` (``keras.layers.Attention``) or
            ``additive`` (``keras.layers.AdditiveAttention``). Default ``"none"``.
        decoder: ``dense`` or ``gru`` decoder step. Default ``"dense"``.
        dropout: dropout on the decoder step's output. Default 0.
        l2: L2 penalty on the kernels. Default 0.
        **kwargs: :class:`keras.layers.Layer` arguments.

    Call:
        summary: ``(batch, width)`` final encoder state.
        sequence: ``(batch, time, width)`` encoder outputs; needed for attention.
        future: optional ``(batch, horizon, n_future)`` known-future covariates
            (user-supplied columns, then calendar features).
        training: Keras training flag.

    Returns:
        ``(batch, horizon, n_targets)``, or ``(batch, horizon, n_targets,
        n_quantiles)`` for ``n_quantiles > 0``.

    Raises:
        ValueError: naming the argument, for a size below its minimum or an
            unknown ``attention``; at call, for attention without ``sequence``.
    """

    def __init__(
        self,
        horizon: int,
        block_length: int,
        n_targets: int,
        n_quantiles: int = 0,
        units: int = 64,
        n_channels: int = 1,
        attention: str = "none",
        decoder: str = "dense",
        dropout: float = 0.0,
        l2: float = 0.0,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        for arg, value, minimum in (
            ("horizon", horizon, 1),
            ("block_length", block_length, 1),
            ("n_targets", n_targets, 1),
            ("n_quantiles", n_quantiles, 0),
            ("units", units, 1),
            ("n_channels", n_channels, 1),
        ):
            if int(value) < minimum:
                raise ValueError(f"MultiStepHead: {arg} must be >= {minimum}, got {value}")
        if attention not in ATTENTION_KINDS:
            raise ValueError(f"MultiStepHead: attention must be one of {ATTENTION_KINDS}, got {attention!r}")
        if decoder not in DECODERS:
            raise ValueError(f"MultiStepHead: decoder must be one of {DECODERS}, got {decoder!r}")
        self.horizon, self.block_length = int(horizon), int(block_length)
        self.n_targets, self.n_quantiles = int(n_targets), int(n_quantiles)
        self.units, self.n_channels = int(units), int(n_channels)
        self.attention, self.decoder = attention, decoder
        self.dropout, self.l2 = float(dropout), float(l2)
        self.n_blocks = math.ceil(self.horizon / self.block_length)
        self.n_outputs = self.n_targets * max(self.n_quantiles, 1)
        embedding_init = keras.initializers.RandomNormal(stddev=1.0)
        self.block_embedding = self.add_weight(
            shape=(self.n_blocks, self.units), initializer=embedding_init, name="block_embedding"
        )
        self.channel_embedding = (
            self.add_weight(shape=(self.n_channels, self.units), initializer=embedding_init, name="channel_embedding")
            if self.n_channels > 1
            else None
        )
        regularizer = make_regularizer(self.l2)
        if attention == "none":
            self.key_projection = self.attention_layer = None
        else:
            self.key_projection = keras.layers.Dense(self.units, kernel_regularizer=regularizer, name="key_projection")
            attention_class = keras.layers.Attention if attention == "dot" else keras.layers.AdditiveAttention
            self.attention_layer = attention_class(name="attention")
        self.hidden = (
            keras.layers.Dense(self.units, activation="relu", kernel_regularizer=regularizer, name="hidden")
            if decoder == "dense"
            else None
        )
        self.decoder_cell = None
        self.hidden_dropout = keras.layers.Dropout(self.dropout)
        self.output_projection = keras.layers.Dense(
            self.block_length * self.n_outputs, kernel_regularizer=regularizer, name="output_projection"
        )

    def build(self, summary_shape, sequence_shape=None, future_shape=None):
        n_step_inputs = self.units
        if self.attention_layer is not None:
            self.key_projection.build(sequence_shape)
            key_shape = (None, sequence_shape[1], self.units)
            self.attention_layer.build([(None, self.n_blocks, self.units), key_shape])
            n_step_inputs += self.units
        if future_shape is not None:
            n_step_inputs += self.block_length * future_shape[-1]
        if self.decoder == "gru":
            regularizer = make_regularizer(self.l2)
            self.decoder_cell = keras.layers.GRUCell(
                summary_shape[-1],
                kernel_regularizer=regularizer,
                recurrent_regularizer=regularizer,
                name="decoder_cell",
            )
            self.decoder_cell.build((None, n_step_inputs))
            n_hidden = summary_shape[-1]
        else:
            self.hidden.build((None, self.n_blocks, summary_shape[-1] + n_step_inputs))
            n_hidden = self.units
        self.output_projection.build((None, self.n_blocks, n_hidden))

    def compute_output_shape(self, summary_shape, sequence_shape=None, future_shape=None):
        quantiles = (self.n_quantiles,) if self.n_quantiles else ()
        return (summary_shape[0], self.horizon, self.n_targets, *quantiles)

    def _queries(self, summary):
        """Block (plus channel) embeddings broadcast to ``(batch, n_blocks, units)``."""
        zeros = ops.zeros_like(summary[:, :1])[:, :, None]
        queries = zeros + self.block_embedding[None]
        if self.channel_embedding is not None:
            per_window = ops.reshape(zeros, (-1, self.n_channels, 1)) + self.channel_embedding[None]
            channels = ops.reshape(per_window, (-1, 1, self.units))
            queries = queries + channels
        return queries

    def _future_blocks(self, future):
        """``(batch, horizon, n_future)`` to ``(batch, n_blocks, block_length * n_future)``."""
        padding = self.n_blocks * self.block_length - self.horizon
        padded = ops.pad(future, [[0, 0], [0, padding], [0, 0]])
        return ops.reshape(padded, (-1, self.n_blocks, self.block_length * future.shape[-1]))

    def call(self, summary, sequence=None, future=None, training=None):
        queries = self._queries(summary)
        step_inputs = [queries]
        if self.attention_layer is not None:
            if sequence is None:
                raise ValueError("MultiStepHead: attention needs the encoder sequence, got sequence=None")
            step_inputs.append(self.attention_layer([queries, self.key_projection(sequence)]))
        if future is not None:
            step_inputs.append(self._future_blocks(future))
        step_inputs = ops.concatenate(step_inputs, axis=-1)
        states = ops.repeat(summary[:, None, :], self.n_blocks, axis=1)
        if self.decoder_cell is None:
            hidden = self.hidden(ops.concatenate([states, step_inputs], axis=-1))
        else:
            width = summary.shape[-1]
            flat_inputs = ops.reshape(step_inputs, (-1, step_inputs.shape[-1]))
            flat_hidden, _ = self.decoder_cell(flat_inputs, [ops.reshape(states, (-1, width))], training=training)
            hidden = ops.reshape(flat_hidden, (-1, self.n_blocks, width))
        hidden = self.hidden_dropout(hidden, training=training)
        n_steps = self.n_blocks * self.block_length
        blocks = ops.reshape(self.output_projection(hidden), (-1, n_steps, self.n_outputs))
        steps = blocks[:, : self.horizon, :]
        if not self.n_quantiles:
            return steps
        return ops.sort(ops.reshape(steps, (-1, self.horizon, self.n_targets, self.n_quantiles)), axis=-1)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "horizon": self.horizon,
            "block_length": self.block_length,
            "n_targets": self.n_targets,
            "n_quantiles": self.n_quantiles,
            "units": self.units,
            "n_channels": self.n_channels,
            "attention": self.attention,
            "decoder": self.decoder,
            "dropout": self.dropout,
            "l2": self.l2,
        }


@keras.saving.register_keras_serializable(package="forecaster")
class LinearSkip(keras.layers.Layer):
    """Add a linear forecast from each target column's lookback to a forecast (LSTNet's highway).

    One map ``(lookback,) -> (horizon,)`` with bias, shared by the target
    columns and applied to each column's lookback separately, like the
    channel-independent linear baseline; placed before instance
    denormalisation it reads the normalised lookback (RevIN + linear). The
    network beside it then only has to learn what the linear forecast misses
    (Lai et al., 2018, the autoregressive component of LSTNet). The map starts
    at zero, so an untrained network's forecast is unchanged.

    Args:
        horizon: forecast steps (>= 1).
        n_targets: leading columns of ``past`` that are forecast (>= 1).
        l2: L2 penalty on the kernel. Default 0.
        **kwargs: :class:`keras.layers.Layer` arguments.

    Call:
        forecast: ``(batch, horizon, n_targets)``, or ``(batch, horizon,
            n_targets, n_quantiles)`` (every quantile is shifted alike, so
            quantiles stay sorted).
        past: ``(batch, lookback, n_past)``, the target columns first.

    Returns:
        ``forecast`` plus the linear forecast, same shape as ``forecast``.

    Raises:
        ValueError: naming the argument, for a size below 1.
    """

    def __init__(self, horizon: int, n_targets: int, l2: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        for arg, value in (("horizon", horizon), ("n_targets", n_targets)):
            if int(value) < 1:
                raise ValueError(f"LinearSkip: {arg} must be >= 1, got {value}")
        self.horizon, self.n_targets, self.l2 = int(horizon), int(n_targets), float(l2)
        self.projection = keras.layers.Dense(
            self.horizon, kernel_initializer="zeros", kernel_regularizer=make_regularizer(self.l2), name="projection"
        )

    def build(self, forecast_shape, past_shape):
        self.projection.build((None, self.n_targets, past_shape[1]))

    def call(self, forecast, past):
        lookback = ops.transpose(past[:, :, : self.n_targets], (0, 2, 1))
        linear = ops.transpose(self.projection(lookback), (0, 2, 1))
        if len(forecast.shape) == 4:
            linear = linear[..., None]
        return forecast + linear

    def compute_output_shape(self, forecast_shape, past_shape):
        return forecast_shape

    def get_config(self) -> dict:
        return {**super().get_config(), "horizon": self.horizon, "n_targets": self.n_targets, "l2": self.l2}
