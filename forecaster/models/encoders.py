"""Encoders: a stack of recurrent layers over the lookback, optionally over embedded segments."""

from __future__ import annotations

import keras
from keras import ops

RECURRENT_KINDS = ("lstm", "gru", "gated")
GATED_CELLS = ("lstm", "gru", "peephole")


def make_regularizer(l2: float) -> keras.regularizers.Regularizer | None:
    """Return an L2 kernel regularizer, or ``None`` for ``l2 == 0``."""
    return keras.regularizers.L2(l2) if l2 > 0 else None


def make_recurrent_layer(
    kind: str,
    gated_cell: str,
    units: int,
    *,
    dropout: float = 0.0,
    recurrent_dropout: float = 0.0,
    l2: float = 0.0,
    name: str | None = None,
) -> keras.layers.Layer:
    """Return one recurrent layer that outputs its whole sequence.

    Args:
        kind: ``lstm`` / ``gru`` (``keras.layers``) or ``gated`` (:mod:`forecaster.cells`).
        gated_cell: ``lstm``, ``gru`` or ``peephole`` (an LSTM with peepholes); used for ``gated``.
        units: hidden units.
        dropout: input dropout. Default 0.
        recurrent_dropout: dropout on the recurrent state. Default 0.
        l2: L2 penalty on the kernel and recurrent kernel. Default 0.
        name: layer name. Default ``None``.

    Returns:
        A layer mapping ``(batch, time, features)`` to ``(batch, time, units)``.

    Raises:
        ValueError: for an unknown ``kind`` or ``gated_cell``.
    """
    if kind not in RECURRENT_KINDS:
        raise ValueError(f"make_recurrent_layer: kind must be one of {RECURRENT_KINDS}, got {kind!r}")
    if kind == "gated" and gated_cell not in GATED_CELLS:
        raise ValueError(f"make_recurrent_layer: gated_cell must be one of {GATED_CELLS}, got {gated_cell!r}")
    regularizer = make_regularizer(l2)
    options = dict(
        units=units,
        return_sequences=True,
        dropout=dropout,
        recurrent_dropout=recurrent_dropout,
        kernel_regularizer=regularizer,
        recurrent_regularizer=regularizer,
        name=name,
    )
    if kind == "lstm":
        return keras.layers.LSTM(**options)
    if kind == "gru":
        return keras.layers.GRU(**options)
    from forecaster.cells import GatedGRU, GatedLSTM

    if gated_cell == "gru":
        return GatedGRU(**options)
    return GatedLSTM(peephole=gated_cell == "peephole", **options)


@keras.saving.register_keras_serializable(package="forecaster")
class RecurrentEncoder(keras.layers.Layer):
    """Stacked (optionally bidirectional, residual) recurrent layers over a sequence.

    Args:
        kind: ``lstm``, ``gru`` or ``gated`` (see :func:`make_recurrent_layer`).
        gated_cell: ``lstm``, ``gru`` or ``peephole``; used for ``gated``. Default ``"lstm"``.
        units: hidden units per layer and direction. Default 64.
        n_layers: stacked layers. Default 1.
        dropout: input dropout of every layer. Default 0.
        recurrent_dropout: recurrent-state dropout of every layer. Default 0.
        residual: add each layer's input to its output from the second layer on
            (where the widths agree). Default False.
        bidirectional: run every layer both ways and concatenate. Default False.
        l2: L2 penalty on the kernels. Default 0.
        **kwargs: :class:`keras.layers.Layer` arguments.

    Call:
        inputs: ``(batch, time, features)``.
        training: Keras training flag.

    Returns:
        ``(sequence, summary)``: ``sequence`` ``(batch, time, width)`` of the
        last layer and ``summary`` ``(batch, width)``, its final state per
        direction (last step forwards, first step backwards), where ``width`` is
        ``units`` or ``2 * units`` when bidirectional.

    Raises:
        ValueError: naming the argument, for an unknown kind or cell, or a size below 1.
    """

    def __init__(
        self,
        kind: str,
        gated_cell: str = "lstm",
        units: int = 64,
        n_layers: int = 1,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        residual: bool = False,
        bidirectional: bool = False,
        l2: float = 0.0,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        for arg, value in (("units", units), ("n_layers", n_layers)):
            if int(value) < 1:
                raise ValueError(f"RecurrentEncoder: {arg} must be >= 1, got {value}")
        self.kind, self.gated_cell = kind, gated_cell
        self.units, self.n_layers = int(units), int(n_layers)
        self.dropout, self.recurrent_dropout, self.l2 = float(dropout), float(recurrent_dropout), float(l2)
        self.residual, self.bidirectional = bool(residual), bool(bidirectional)
        self.recurrent_layers = []
        for index in range(self.n_layers):
            layer = make_recurrent_layer(
                kind,
                gated_cell,
                self.units,
                dropout=self.dropout,
                recurrent_dropout=self.recurrent_dropout,
                l2=self.l2,
                name=f"recurrent_{index}",
            )
            if self.bidirectional:
                layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{index}")
            self.recurrent_layers.append(layer)

    def build(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.recurrent_layers:
            layer.build(shape)
            shape = tuple(layer.compute_output_shape(shape))

    def call(self, inputs, training=None):
        sequence = inputs
        for index, layer in enumerate(self.recurrent_layers):
            output = layer(sequence, training=training)
            sequence = output + sequence if self.residual and index > 0 else output
        if self.bidirectional:
            summary = ops.concatenate([sequence[:, -1, : self.units], sequence[:, 0, self.units :]], axis=-1)
        else:
            summary = sequence[:, -1, :]
        return sequence, summary

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "kind": self.kind,
            "gated_cell": self.gated_cell,
            "units": self.units,
            "n_layers": self.n_layers,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "residual": self.residual,
            "bidirectional": self.bidirectional,
            "l2": self.l2,
        }


@keras.saving.register_keras_serializable(package="forecaster")
class SegmentEmbedding(keras.layers.Layer):
    """Cut the lookback into non-overlapping segments and embed each one (SegRNN style).

    Args:
        segment_length: steps per segment (>= 1); the lookback must be a multiple of it.
        units: embedding width (>= 1).
        l2: L2 penalty on the kernel. Default 0.
        **kwargs: :class:`keras.layers.Layer` arguments.

    Call:
        inputs: ``(batch, lookback, features)``.

    Returns:
        ``(batch, lookback // segment_length, units)``: ``relu(W @ segment + b)``
        of each flattened ``(segment_length * features)`` segment.

    Raises:
        ValueError: for a size below 1, or a lookback that is not a multiple of ``segment_length``.
    """

    def __init__(self, segment_length: int, units: int, l2: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        for arg, value in (("segment_length", segment_length), ("units", units)):
            if int(value) < 1:
                raise ValueError(f"SegmentEmbedding: {arg} must be >= 1, got {value}")
        self.segment_length, self.units, self.l2 = int(segment_length), int(units), float(l2)
        self.projection = keras.layers.Dense(
            self.units, activation="relu", kernel_regularizer=make_regularizer(self.l2), name="projection"
        )

    def build(self, input_shape):
        lookback, n_features = input_shape[1], input_shape[2]
        if lookback % self.segment_length:
            raise ValueError(
                f"SegmentEmbedding: lookback {lookback} is not a multiple of segment_length {self.segment_length}"
            )
        self.projection.build((None, lookback // self.segment_length, self.segment_length * n_features))

    def call(self, inputs):
        lookback, n_features = inputs.shape[1], inputs.shape[2]
        segments = ops.reshape(inputs, (-1, lookback // self.segment_length, self.segment_length * n_features))
        return self.projection(segments)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] // self.segment_length, self.units)

    def get_config(self) -> dict:
        return {**super().get_config(), "segment_length": self.segment_length, "units": self.units, "l2": self.l2}
