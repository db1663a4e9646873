"""Trace the gates of a trained network's first recurrent layer over one window, for diagnostics.

The network's first recurrent layer (a Keras ``LSTM``/``GRU``, or a
``GatedLSTM``/``GatedGRU`` of ``model.kind: gated``) is copied into the
hand-written layer of :mod:`forecaster.cells` (``from_keras``), which runs
the same function step by step and records every gate. The sequence it is
fed is cut from the network itself: everything before the layer
(instance normalisation, channel folding, segment embedding) runs as in
prediction. Nothing here is on the training path.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import keras
import numpy as np

from forecaster.cells import GatedGRU, GatedLSTM
from forecaster.cells.base import GatedRNN
from forecaster.models.encoders import RecurrentEncoder

logger = logging.getLogger(__name__)

_KERAS_TO_GATED = {keras.layers.LSTM: GatedLSTM, keras.layers.GRU: GatedGRU}


@dataclass(frozen=True)
class GateTrace:
    """Every gate and state of one recurrent layer over one input sequence.

    Attributes:
        values: named arrays ``(steps, units)`` as ``GatedLSTM.trace`` /
            ``GatedGRU.trace`` names them (``f, i, g, o, c, h`` for an LSTM;
            ``z, r, candidate, h`` for a GRU), in time order.
        cell: ``"lstm"`` or ``"gru"``.
        layer_name: name of the traced layer in the network.
        input_steps_per_step: input time steps the layer reads as one step: 1
            for a recurrent encoder over the lookback, ``segment_length`` for a
            segment encoder (each step is one embedded segment).
    """

    values: dict[str, np.ndarray]
    cell: str
    layer_name: str
    input_steps_per_step: int

    @property
    def n_steps(self) -> int:
        """Steps the layer ran."""
        return next(iter(self.values.values())).shape[0]


def find_recurrent_layer(model: keras.Model) -> tuple[keras.Model, keras.layers.Layer, keras.layers.Layer] | None:
    """Find the first recurrent layer of a network, searching nested models (ensemble members) too.

    Args:
        model: a functional :class:`keras.Model`.

    Returns:
        ``(network, node, layer)``: the (sub)network whose graph holds
        ``node``, the graph node that feeds the sequence to ``layer`` (a
        :class:`~forecaster.models.encoders.RecurrentEncoder` or the recurrent
        layer itself) and the recurrent layer (the forward layer of a
        bidirectional one); ``None`` when the network has no LSTM or GRU layer.
    """
    for node in model.layers:
        if isinstance(node, keras.Model):
            found = find_recurrent_layer(node)
            if found is not None:
                return found
            continue
        layer = node.recurrent_layers[0] if isinstance(node, RecurrentEncoder) else node
        if isinstance(layer, keras.layers.Bidirectional):
            layer = layer.forward_layer
        if isinstance(layer, (GatedLSTM, GatedGRU, *_KERAS_TO_GATED)):
            return model, node, layer
    return None


def as_gated_layer(layer: keras.layers.Layer) -> GatedRNN:
    """Return ``layer`` as a hand-written gated layer: itself, or a copy of a Keras LSTM/GRU with its weights.

    Args:
        layer: a built ``keras.layers.LSTM``, ``keras.layers.GRU``, ``GatedLSTM`` or ``GatedGRU``.

    Returns:
        A :class:`~forecaster.cells.base.GatedRNN` computing the same function.

    Raises:
        TypeError: for any other layer.
    """
    if isinstance(layer, GatedRNN):
        return layer
    for keras_class, gated_class in _KERAS_TO_GATED.items():
        if isinstance(layer, keras_class):
            return gated_class.from_keras(layer)
    raise TypeError(f"as_gated_layer expects an LSTM or GRU layer, received {type(layer).__name__}")


def trace_gates(model: keras.Model, inputs: dict[str, np.ndarray], channel: int = 0) -> GateTrace | None:
    """Trace the gates of the first recurrent layer of ``model`` over one window.

    Args:
        model: the trained network (an ensemble traces its first member).
        inputs: one window as the network takes it, ``{"past": (1, lookback,
            n_past)}`` plus ``"future"`` when the network has that input.
        channel: with ``channel_independent`` networks, which target column's
            sequence to trace (the layer sees one row per column); default 0.

    Returns:
        The :class:`GateTrace`, or ``None`` (logged) when the network has no
        recurrent layer.

    Raises:
        ValueError: when ``inputs`` holds more than one window or ``channel``
            is not a row the layer sees.
    """
    found = find_recurrent_layer(model)
    if found is None:
        logger.info("no gates to trace: network %r has no LSTM or GRU layer", model.name)
        return None
    network, node, layer = found
    n_windows = len(next(iter(inputs.values())))
    if n_windows != 1:
        raise ValueError(f"trace_gates traces one window; received {n_windows}")
    feed = keras.Model(network.input, node.input, name="gate_trace_feed")
    sequence = np.asarray(feed.predict({name: inputs[name] for name in network.input}, verbose=0))
    if not 0 <= channel < len(sequence):
        raise ValueError(f"Argument `channel` must be in [0, {len(sequence)}), received channel={channel}")
    gated = as_gated_layer(layer)
    values = {name: array[0] for name, array in gated.trace(sequence[channel : channel + 1]).items()}
    lookback = inputs["past"].shape[1]
    return GateTrace(
        values=values,
        cell="lstm" if isinstance(gated, GatedLSTM) else "gru",
        layer_name=layer.name,
        input_steps_per_step=lookback // sequence.shape[1],
    )
