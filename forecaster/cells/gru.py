"""The GRU written out gate by gate, in Keras's convention.

Equations (``sigma`` is ``recurrent_activation``, ``tanh`` is ``activation``;
``W``, ``U`` split in Keras's gate order z, r, h)::

    z_t = sigma(x_t W_z + b_z + h_{t-1} U_z [+ b'_z])
    r_t = sigma(x_t W_r + b_r + h_{t-1} U_r [+ b'_r])
    reset_after=True:   n_t = tanh(x_t W_h + b_h + r_t * (h_{t-1} U_h + b'_h))
    reset_after=False:  n_t = tanh(x_t W_h + b_h + (r_t * h_{t-1}) U_h)
    h_t = z_t * h_{t-1} + (1 - z_t) * n_t

``b'`` is the recurrent bias, present only with ``reset_after=True`` (the bias
is then ``(2, 3 * units)``: input bias row 0, recurrent bias row 1). Note the
last line: Keras keeps the *old* state where ``z`` is 1, the opposite of the
textbook ``h_t = (1 - z_t) * h_{t-1} + z_t * n_t``; this cell follows Keras.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import keras
from keras import ops

from forecaster.cells.base import GatedCell, GatedRNN, add_bias, check_flag, gate_columns


class GRUGates(NamedTuple):
    """One GRU step: update gate, reset gate, candidate and hidden state, each ``(batch, units)``."""

    z: Any
    r: Any
    candidate: Any
    h: Any


@keras.saving.register_keras_serializable(package="forecaster")
class GatedGRUCell(GatedCell):
    """One GRU time step, weight for weight and operation for operation as ``keras.layers.GRUCell``.

    Weights: ``kernel`` ``(features, 3 * units)``, ``recurrent_kernel``
    ``(units, 3 * units)``, ``bias`` ``(3 * units,)`` or, with
    ``reset_after=True``, ``(2, 3 * units)``; gate order z, r, h. The state is ``h``.

    Args:
        units: positive int, size of the hidden state.
        reset_after: apply the reset gate after the recurrent matmul (Keras's
            and cuDNN's default) instead of before; default ``True``.
        **kwargs: the common arguments of :class:`~forecaster.cells.base.GatedCell`
            and base layer arguments.

    Raises:
        ValueError: naming the argument, for an invalid argument.
    """

    n_gates = 3
    state_names = ("h",)

    def __init__(self, units: int, reset_after: bool = True, **kwargs: Any) -> None:
        super().__init__(units, **kwargs)
        self.reset_after = check_flag("reset_after", reset_after)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Create the kernels and the bias.

        Args:
            input_shape: ``(batch, features)`` of one time step.
        """
        super().build(input_shape)
        bias_shape = (2, 3 * self.units) if self.reset_after else (3 * self.units,)
        self.add_bias_weight(bias_shape, self.bias_initializer)

    def step_gates(self, inputs: Any, states: list[Any], training: bool = False) -> GRUGates:
        """Compute one step and return its gates.

        Args:
            inputs: ``(batch, features)``.
            states: ``[h_{t-1}]``, ``(batch, units)``.
            training: whether dropout masks apply.

        Returns:
            :class:`GRUGates` of ``(batch, units)`` tensors.
        """
        h_tm1 = states[0]
        x, h = self.dropped_operands(inputs, h_tm1, training)
        if self.bias is None:
            input_bias = recurrent_bias = None
        elif self.reset_after:
            input_bias, recurrent_bias = (ops.squeeze(row, axis=0) for row in ops.split(self.bias, 2, axis=0))
        else:
            input_bias, recurrent_bias = self.bias, None
        if self.per_gate_dropout:
            u_z, u_r, u_h = gate_columns(self.recurrent_kernel, 3)
            x_z, x_r, x_h = (
                add_bias(ops.matmul(x_k, w_k), b_k)
                for x_k, w_k, b_k in zip(x, gate_columns(self.kernel, 3), gate_columns(input_bias, 3))
            )
            rb_z, rb_r, rb_h = gate_columns(recurrent_bias, 3)
            rec_z = add_bias(ops.matmul(h[0], u_z), rb_z)
            rec_r = add_bias(ops.matmul(h[1], u_r), rb_r)
            h_for_candidate = h[2]
            rec_h = add_bias(ops.matmul(h_for_candidate, u_h), rb_h) if self.reset_after else None
        else:
            u_h = self.recurrent_kernel[:, 2 * self.units :]
            x_z, x_r, x_h = ops.split(add_bias(ops.matmul(x, self.kernel), input_bias), 3, axis=-1)
            if self.reset_after:
                inner = add_bias(ops.matmul(h, self.recurrent_kernel), recurrent_bias)
            else:
                inner = ops.matmul(h, self.recurrent_kernel[:, : 2 * self.units])
            units = self.units
            rec_z, rec_r, rec_h = inner[:, :units], inner[:, units : 2 * units], inner[:, 2 * units :]
            h_for_candidate = h

        z = self.recurrent_activation(x_z + rec_z)
        r = self.recurrent_activation(x_r + rec_r)
        reset_state_term = r * rec_h if self.reset_after else ops.matmul(r * h_for_candidate, u_h)
        candidate = self.activation(x_h + reset_state_term)
        h_t = z * h_tm1 + (1 - z) * candidate
        return GRUGates(z=z, r=r, candidate=candidate, h=h_t)

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments (serialised)."""
        return {**super().get_config(), "reset_after": self.reset_after}


@keras.saving.register_keras_serializable(package="forecaster")
class GatedGRU(GatedRNN):
    """GRU layer over :class:`GatedGRUCell`; a drop-in for ``keras.layers.GRU``.

    ``GatedGRU(...).set_weights(keras_gru.get_weights())`` gives the same
    function as ``keras_gru``; :meth:`from_keras` copies config and weights.
    Call with ``(batch, time, features)`` inputs and optional ``mask``
    ``(batch, time)``, ``initial_state`` ``h`` and ``training``.

    Args:
        units: positive int, size of the hidden state.
        **kwargs: the layer arguments of :class:`~forecaster.cells.base.GatedRNN`
            and the cell arguments of :class:`GatedGRUCell` (``reset_after``,
            activations, initializers, regularizers, constraints, ``dropout``,
            ``recurrent_dropout``, ``seed``).

    Raises:
        ValueError: naming the argument, for an invalid argument.
    """

    cell_class = GatedGRUCell
    keras_class = keras.layers.GRU
