"""Hand-written gated recurrent cells and layers, equal to Keras's LSTM and GRU, with gate traces.

``GatedLSTM`` and ``GatedGRU`` take the arguments and weights of
``keras.layers.LSTM`` and ``keras.layers.GRU``; ``GatedLSTM(peephole=True)``
adds peephole connections. ``layer.trace(x)`` returns every gate at every
step. :mod:`forecaster.cells.reference` holds float64 numpy references.
"""

from forecaster.cells.gru import GatedGRU, GatedGRUCell, GRUGates
from forecaster.cells.lstm import GatedLSTM, GatedLSTMCell, LSTMGates

__all__ = ["GatedGRU", "GatedGRUCell", "GatedLSTM", "GatedLSTMCell", "GRUGates", "LSTMGates"]
