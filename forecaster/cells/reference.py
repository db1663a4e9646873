"""Float64 numpy references of every cell: the ground truth for tests and docs.

Written from the textbook equations, one gate at a time, independently of the
Keras-ordered ``keras.ops`` code in the cells. The activations are the
defaults (``tanh`` and the logistic sigmoid). Weights use Keras's layout and
gate order (LSTM i, f, c, o; GRU z, r, h).

Masking follows Keras: at a masked step the states keep their previous value
and the output repeats the previous output (zeros before the first valid
step), or is zero with ``zero_output_for_mask=True``. Outputs are in
processing order, as ``return_sequences`` gives them (reversed when
``go_backwards``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np


class ReferenceResult(NamedTuple):
    """Result of a reference run.

    Attributes:
        outputs: ``(batch, time, units)`` in processing order.
        states: final states, each ``(batch, units)`` (``h, c`` for LSTM, ``h`` for GRU).
    """

    outputs: np.ndarray
    states: tuple[np.ndarray, ...]


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Return the logistic sigmoid ``1 / (1 + exp(-x))``."""
    return 1.0 / (1.0 + np.exp(-x))


def lstm_step(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    c_prev: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray | None = None,
    peephole: Sequence[np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One LSTM step, optionally with peepholes.

    Args:
        x_t: ``(batch, features)``.
        h_prev, c_prev: ``(batch, units)``.
        kernel: ``(features, 4 * units)``; recurrent_kernel: ``(units, 4 * units)``.
        bias: ``(4 * units,)`` or ``None``.
        peephole: ``(p_i, p_f, p_o)``, each ``(units,)``, or ``None``. The input
            and forget gates see ``c_prev``, the output gate sees the new ``c``.

    Returns:
        ``(h, c)``, each ``(batch, units)``.
    """
    n_units = h_prev.shape[-1]
    p_i, p_f, p_o = peephole if peephole is not None else (0.0, 0.0, 0.0)
    b = np.zeros(4 * n_units) if bias is None else bias

    def pre(gate: int) -> np.ndarray:
        cols = slice(gate * n_units, (gate + 1) * n_units)
        return x_t @ kernel[:, cols] + h_prev @ recurrent_kernel[:, cols] + b[cols]

    input_gate = sigmoid(pre(0) + p_i * c_prev)
    forget_gate = sigmoid(pre(1) + p_f * c_prev)
    candidate = np.tanh(pre(2))
    c = forget_gate * c_prev + input_gate * candidate
    output_gate = sigmoid(pre(3) + p_o * c)
    return output_gate * np.tanh(c), c


def gru_step(
    x_t: np.ndarray,
    h_prev: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray | None = None,
    reset_after: bool = True,
) -> np.ndarray:
    """One GRU step in Keras's convention ``h = z * h_prev + (1 - z) * candidate``.

    Args:
        x_t: ``(batch, features)``.
        h_prev: ``(batch, units)``.
        kernel: ``(features, 3 * units)``; recurrent_kernel: ``(units, 3 * units)``.
        bias: ``(2, 3 * units)`` (input row, recurrent row) with
            ``reset_after``, else ``(3 * units,)``; or ``None``.
        reset_after: apply the reset gate after the recurrent matmul.

    Returns:
        ``h``, ``(batch, units)``.
    """
    n_units = h_prev.shape[-1]
    if bias is None:
        input_bias, recurrent_bias = np.zeros(3 * n_units), np.zeros(3 * n_units)
    elif reset_after:
        input_bias, recurrent_bias = bias[0], bias[1]
    else:
        input_bias, recurrent_bias = bias, np.zeros(3 * n_units)
    z_cols, r_cols, h_cols = (slice(g * n_units, (g + 1) * n_units) for g in range(3))

    update = sigmoid(
        x_t @ kernel[:, z_cols] + input_bias[z_cols] + h_prev @ recurrent_kernel[:, z_cols] + recurrent_bias[z_cols]
    )
    reset = sigmoid(
        x_t @ kernel[:, r_cols] + input_bias[r_cols] + h_prev @ recurrent_kernel[:, r_cols] + recurrent_bias[r_cols]
    )
    if reset_after:
        recurrent_term = reset * (h_prev @ recurrent_kernel[:, h_cols] + recurrent_bias[h_cols])
    else:
        recurrent_term = (reset * h_prev) @ recurrent_kernel[:, h_cols]
    candidate = np.tanh(x_t @ kernel[:, h_cols] + input_bias[h_cols] + recurrent_term)
    return update * h_prev + (1.0 - update) * candidate


def run_sequence(
    step: Callable[..., tuple[np.ndarray, ...]],
    inputs: np.ndarray,
    initial_states: Sequence[np.ndarray],
    mask: np.ndarray | None = None,
    go_backwards: bool = False,
    zero_output_for_mask: bool = False,
) -> ReferenceResult:
    """Run ``step(x_t, *states) -> new_states`` (``h`` first) over time with Keras's masking rules.

    Args:
        step: one-step function returning the new states as a tuple.
        inputs: ``(batch, time, features)``.
        initial_states: each ``(batch, units)``.
        mask: ``(batch, time)`` booleans (``True`` = valid) or ``None``.
        go_backwards: process time in reverse.
        zero_output_for_mask: masked steps output zeros instead of the previous output.

    Returns:
        :class:`ReferenceResult` with outputs in processing order.
    """
    x = np.asarray(inputs, np.float64)
    n_batch, n_steps = x.shape[:2]
    valid = np.ones((n_batch, n_steps), bool) if mask is None else np.asarray(mask, bool)
    order = range(n_steps - 1, -1, -1) if go_backwards else range(n_steps)
    states = tuple(np.asarray(s, np.float64) for s in initial_states)
    output = np.zeros_like(states[0])
    outputs = []
    for t in order:
        keep = valid[:, t, None]
        new_states = step(x[:, t], *states)
        states = tuple(np.where(keep, new, old) for new, old in zip(new_states, states))
        output = np.where(keep, new_states[0], 0.0 if zero_output_for_mask else output)
        outputs.append(output)
    return ReferenceResult(np.stack(outputs, axis=1), states)


def run_lstm(
    inputs: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray | None = None,
    peephole: Sequence[np.ndarray] | None = None,
    initial_state: Sequence[np.ndarray] | None = None,
    **loop_options: object,
) -> ReferenceResult:
    """Run the reference LSTM over ``inputs`` ``(batch, time, features)`` in float64.

    Args:
        inputs: ``(batch, time, features)``.
        kernel, recurrent_kernel, bias, peephole: as :func:`lstm_step` (Keras layout).
        initial_state: ``(h, c)``, each ``(batch, units)``; default zeros.
        **loop_options: ``mask``, ``go_backwards``, ``zero_output_for_mask`` of :func:`run_sequence`.

    Returns:
        :class:`ReferenceResult` with states ``(h, c)``.
    """
    weights = [np.asarray(w, np.float64) for w in (kernel, recurrent_kernel)]
    bias = None if bias is None else np.asarray(bias, np.float64)
    peephole = None if peephole is None else [np.asarray(p, np.float64) for p in peephole]
    zeros = np.zeros((inputs.shape[0], recurrent_kernel.shape[0]))
    return run_sequence(
        lambda x_t, h, c: lstm_step(x_t, h, c, *weights, bias=bias, peephole=peephole),
        inputs,
        initial_state if initial_state is not None else (zeros, zeros),
        **loop_options,
    )


def run_gru(
    inputs: np.ndarray,
    kernel: np.ndarray,
    recurrent_kernel: np.ndarray,
    bias: np.ndarray | None = None,
    reset_after: bool = True,
    initial_state: Sequence[np.ndarray] | None = None,
    **loop_options: object,
) -> ReferenceResult:
    """Run the reference GRU over ``inputs`` ``(batch, time, features)`` in float64.

    Args:
        inputs: ``(batch, time, features)``.
        kernel, recurrent_kernel, bias, reset_after: as :func:`gru_step` (Keras layout).
        initial_state: ``(h,)``, ``(batch, units)``; default zeros.
        **loop_options: ``mask``, ``go_backwards``, ``zero_output_for_mask`` of :func:`run_sequence`.

    Returns:
        :class:`ReferenceResult` with states ``(h,)``.
    """
    weights = [np.asarray(w, np.float64) for w in (kernel, recurrent_kernel)]
    bias = None if bias is None else np.asarray(bias, np.float64)
    zeros = np.zeros((inputs.shape[0], recurrent_kernel.shape[0]))
    return run_sequence(
        lambda x_t, h: (gru_step(x_t, h, *weights, bias=bias, reset_after=reset_after),),
        inputs,
        initial_state if initial_state is not None else (zeros,),
        **loop_options,
    )
