"""The numpy reference itself, against hand-computed values."""

import numpy as np

from forecaster.cells import reference


def test_lstm_step_with_zero_weights_gives_half_gates() -> None:
    x = np.ones((1, 2))
    h, c = reference.lstm_step(x, np.zeros((1, 3)), np.ones((1, 3)), np.zeros((2, 12)), np.zeros((3, 12)))
    # i = f = o = 0.5, g = 0: c = 0.5 * 1, h = 0.5 * tanh(0.5)
    np.testing.assert_allclose(c, 0.5, atol=1e-15)
    np.testing.assert_allclose(h, 0.5 * np.tanh(0.5), atol=1e-15)


def test_lstm_peephole_output_gate_sees_new_cell_state() -> None:
    x = np.zeros((1, 1))
    c_prev = np.full((1, 1), 2.0)
    peephole = (np.zeros(1), np.zeros(1), np.ones(1))
    h, c = reference.lstm_step(x, np.zeros((1, 1)), c_prev, np.zeros((1, 4)), np.zeros((1, 4)), peephole=peephole)
    np.testing.assert_allclose(c, 1.0, atol=1e-15)  # f = 0.5, i * g = 0
    np.testing.assert_allclose(h, reference.sigmoid(1.0) * np.tanh(1.0), atol=1e-15)


def test_gru_keeps_old_state_where_update_gate_is_one() -> None:
    kernel = np.zeros((1, 3))
    bias = np.zeros((2, 3))
    bias[0, 0] = 50.0  # z = sigmoid(50) = 1
    h = reference.gru_step(np.ones((1, 1)), np.full((1, 1), 0.7), kernel, np.zeros((1, 3)), bias, reset_after=True)
    np.testing.assert_allclose(h, 0.7, atol=1e-12)


def test_masked_steps_carry_state_and_repeat_output() -> None:
    x = np.ones((1, 3, 1))
    mask = np.array([[True, False, True]])
    result = reference.run_gru(x, np.ones((1, 3)), np.ones((1, 3)), mask=mask)
    np.testing.assert_array_equal(result.outputs[0, 1], result.outputs[0, 0])
    zeroed = reference.run_gru(x, np.ones((1, 3)), np.ones((1, 3)), mask=mask, zero_output_for_mask=True)
    np.testing.assert_array_equal(zeroed.outputs[0, 1], 0.0)
