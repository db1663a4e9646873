"""The LSTM written out gate by gate, with optional peephole connections.

Equations (``sigma`` is ``recurrent_activation``, ``tanh`` is ``activation``;
``W`` the kernel, ``U`` the recurrent kernel, ``b`` the bias, each split in
Keras's gate order i, f, c(=g), o)::

    i_t = sigma(x_t W_i + h_{t-1} U_i + b_i [+ p_i * c_{t-1}])
    f_t = sigma(x_t W_f + h_{t-1} U_f + b_f [+ p_f * c_{t-1}])
    g_t = tanh(x_t W_g + h_{t-1} U_g + b_g)
    c_t = f_t * c_{t-1} + i_t * g_t
    o_t = sigma(x_t W_o + h_{t-1} U_o + b_o [+ p_o * c_t])
    h_t = o_t * tanh(c_t)

The bracketed peephole terms exist only with ``peephole=True``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import keras
from keras import initializers, ops

from forecaster.cells.base import GatedCell, GatedRNN, add_bias, check_flag, gate_columns, resolve


class LSTMGates(NamedTuple):
    """One LSTM step: forget, input, candidate and output gates, cell and hidden state, each ``(batch, units)``."""

    f: Any
    i: Any
    g: Any
    o: Any
    c: Any
    h: Any


@keras.saving.register_keras_serializable(package="forecaster")
class GatedLSTMCell(GatedCell):
    """One LSTM time step, weight for weight and operation for operation as ``keras.layers.LSTMCell``.

    Weights: ``kernel`` ``(features, 4 * units)``, ``recurrent_kernel``
    ``(units, 4 * units)``, ``bias`` ``(4 * units,)``, gate order i, f, c, o;
    with ``peephole=True`` also ``peephole_i``, ``peephole_f``, ``peephole_o``,
    each ``(units,)``. States are ``[h, c]``.

    Args:
        units: positive int, size of the hidden and cell state.
        unit_forget_bias: add 1 to the forget-gate bias at initialization (and
            use zeros for the rest, as Keras); default ``True``.
        peephole: let the input and forget gates see ``c_{t-1}`` and the
            output gate see ``c_t``; default ``False``.
        peephole_initializer: initializer of the peephole vectors; default
            ``"zeros"`` (training starts from a plain LSTM).
        **kwargs: the common arguments of :class:`~forecaster.cells.base.GatedCell`
            (activations, initializers, regularizers, constraints, dropout,
            recurrent_dropout, seed) and base layer arguments.

    Raises:
        ValueError: naming the argument, for an invalid argument.
    """

    n_gates = 4
    state_names = ("h", "c")

    def __init__(
        self,
        units: int,
        unit_forget_bias: bool = True,
        peephole: bool = False,
        peephole_initializer: Any = "zeros",
        **kwargs: Any,
    ) -> None:
        super().__init__(units, **kwargs)
        self.unit_forget_bias = check_flag("unit_forget_bias", unit_forget_bias)
        self.peephole = check_flag("peephole", peephole)
        self.peephole_initializer = resolve(initializers, "peephole_initializer", peephole_initializer)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Create the kernels, the bias and (with ``peephole``) the peephole vectors.

        Args:
            input_shape: ``(batch, features)`` of one time step.
        """
        super().build(input_shape)
        self.add_bias_weight(
            (4 * self.units,), self._forget_bias_initializer if self.unit_forget_bias else self.bias_initializer
        )
        if self.peephole:
            self.peephole_i, self.peephole_f, self.peephole_o = (
                self.add_weight(shape=(self.units,), name=f"peephole_{gate}", initializer=self.peephole_initializer)
                for gate in "ifo"
            )

    def _forget_bias_initializer(self, _shape: Any, *args: Any, **kwargs: Any) -> Any:
        units = self.units
        return ops.concatenate(
            [
                self.bias_initializer((units,), *args, **kwargs),
                initializers.get("ones")((units,), *args, **kwargs),
                self.bias_initializer((2 * units,), *args, **kwargs),
            ]
        )

    def step_gates(self, inputs: Any, states: list[Any], training: bool = False) -> LSTMGates:
        """Compute one step and return its gates.

        Args:
            inputs: ``(batch, features)``.
            states: ``[h_{t-1}, c_{t-1}]``, each ``(batch, units)``.
            training: whether dropout masks apply.

        Returns:
            :class:`LSTMGates` of ``(batch, units)`` tensors.
        """
        h_tm1, c_tm1 = states
        z_i, z_f, z_g, z_o = self._preactivations(inputs, h_tm1, training)
        if self.peephole:
            z_i = z_i + self.peephole_i * c_tm1
            z_f = z_f + self.peephole_f * c_tm1
        i = self.recurrent_activation(z_i)
        f = self.recurrent_activation(z_f)
        g = self.activation(z_g)
        c = f * c_tm1 + i * g
        if self.peephole:
            z_o = z_o + self.peephole_o * c
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        return LSTMGates(f=f, i=i, g=g, o=o, c=c, h=h)

    def _preactivations(self, inputs: Any, h_tm1: Any, training: bool) -> list[Any]:
        """Return ``[z_i, z_f, z_g, z_o]``, summed in Keras's order for bit-equal results."""
        x, h = self.dropped_operands(inputs, h_tm1, training)
        if self.per_gate_dropout:
            kernels = ops.split(self.kernel, 4, axis=1)
            recurrent_kernels = gate_columns(self.recurrent_kernel, 4)
            biases = [None] * 4 if self.bias is None else ops.split(self.bias, 4, axis=0)
            return [
                add_bias(ops.matmul(x_k, w_k), b_k) + ops.matmul(h_k, u_k)
                for x_k, w_k, b_k, h_k, u_k in zip(x, kernels, biases, h, recurrent_kernels)
            ]
        z = ops.add(ops.matmul(x, self.kernel), ops.matmul(h, self.recurrent_kernel))
        return ops.split(add_bias(z, self.bias), 4, axis=1)

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments (serialised)."""
        return {
            **super().get_config(),
            "unit_forget_bias": self.unit_forget_bias,
            "peephole": self.peephole,
            "peephole_initializer": initializers.serialize(self.peephole_initializer),
        }


@keras.saving.register_keras_serializable(package="forecaster")
class GatedLSTM(GatedRNN):
    """LSTM layer over :class:`GatedLSTMCell`; a drop-in for ``keras.layers.LSTM`` (plus ``peephole``).

    ``GatedLSTM(...).set_weights(keras_lstm.get_weights())`` gives the same
    function as ``keras_lstm``; :meth:`from_keras` copies config and weights.
    Call with ``(batch, time, features)`` inputs and optional ``mask``
    ``(batch, time)``, ``initial_state`` ``[h, c]`` and ``training``.

    Args:
        units: positive int, size of the hidden and cell state.
        **kwargs: the layer arguments of :class:`~forecaster.cells.base.GatedRNN`
            (``return_sequences``, ``return_state``, ``go_backwards``,
            ``stateful``, ``unroll``, ...) and the cell arguments of
            :class:`GatedLSTMCell` (``unit_forget_bias``, ``peephole``,
            activations, initializers, regularizers, constraints, ``dropout``,
            ``recurrent_dropout``, ``seed``).

    Raises:
        ValueError: naming the argument, for an invalid argument.
    """

    cell_class = GatedLSTMCell
    keras_class = keras.layers.LSTM
