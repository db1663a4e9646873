"""The science of ``forecaster claims``: parameter counts, gradient norms, the tasks and the verdict rules."""

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.cells import claims
from forecaster.cells.claims import DOES_NOT_HOLD, HOLDS, HOLDS_PARTLY
from forecaster.cells.gradients import outputs_and_gradients


@settings(max_examples=15, deadline=None)
@given(
    kind=st.sampled_from(claims.CELL_KINDS),
    n_features=st.integers(1, 9),
    units=st.integers(1, 40),
    reset_after=st.booleans(),
)
def test_parameter_count_equals_keras_count_params(kind, n_features, units, reset_after) -> None:
    assert claims.parameter_count(kind, n_features, units, reset_after) == claims.keras_parameter_count(
        kind, n_features, units, reset_after
    )


def test_parameter_counts_follow_the_gate_formulas() -> None:
    n_features, units = 7, 32
    block = units * (n_features + units) + units  # kernel, recurrent kernel and bias of one gate
    assert claims.parameter_count("simple_rnn", n_features, units) == block == 1280
    assert claims.parameter_count("lstm", n_features, units) == 4 * block == 5120
    assert claims.parameter_count("gru", n_features, units, reset_after=False) == 3 * block == 3840
    assert claims.parameter_count("gru", n_features, units) == 3 * block + 3 * units == 3936
    with pytest.raises(ValueError, match="`kind`"):
        claims.parameter_count("rnn", 1, 1)


def test_gradient_norms_are_the_jacobian_norms_by_lag(rng) -> None:
    keras.utils.set_random_seed(0)
    layer = claims.make_recurrent_layer("gru", 3)
    x = rng.normal(size=(2, 5, 4)).astype(np.float32)
    norms = claims.gradient_norms_by_lag(layer, x)
    # Brute force: one backward pass per unit gives one row of each sample's Jacobian.
    squared = np.zeros((2, 5))
    for unit in range(3):
        _, grads = outputs_and_gradients(layer, x, lambda outputs, u=unit: keras.ops.sum(outputs[0][:, u]))
        squared += np.sum(grads[0].astype(np.float64) ** 2, axis=2)
    expected = np.sqrt(squared).mean(axis=0)[::-1]
    assert norms.shape == (5,) and np.all(np.isfinite(norms)) and np.all(norms > 0)
    np.testing.assert_allclose(norms, expected, rtol=1e-5)


def test_at_init_the_forget_bias_keeps_the_lstm_gradient_longer_than_a_simple_rnn(rng) -> None:
    x = rng.normal(size=(8, 32, 7)).astype(np.float32)
    retained = {}
    for name, kind, forget_bias in (("simple", "simple_rnn", True), ("lstm", "lstm", True), ("lstm0", "lstm", False)):
        keras.utils.set_random_seed(0)
        norms = claims.gradient_norms_by_lag(claims.make_recurrent_layer(kind, 16, unit_forget_bias=forget_bias), x)
        retained[name] = claims.retained_gradient(norms)
    # Measured: LSTM 8e-4, SimpleRNN 1e-5, LSTM with forget bias 0 3e-8 at lag 31.
    assert retained["lstm"] > 10 * retained["simple"]
    assert retained["lstm0"] < retained["lstm"] / 100


def test_recall_task_answers_are_the_marked_first_symbol() -> None:
    inputs, labels = claims.make_recall_task(50, lag=6, n_symbols=5, seed=3)
    assert inputs.shape == (50, 7, 6) and inputs.dtype == np.float32 and labels.shape == (50,)
    np.testing.assert_array_equal(inputs[:, :, :5].sum(axis=2), 1.0)  # one symbol per step
    np.testing.assert_array_equal(inputs[:, :, 5], np.tile([1, 0, 0, 0, 0, 0, 0], (50, 1)))  # marker on step 0
    np.testing.assert_array_equal(labels, inputs[:, 0, :5].argmax(axis=1))
    # The answer is the input `lag` steps before the last one.
    np.testing.assert_array_equal(labels, inputs[:, -1 - 6, :5].argmax(axis=1))
    again, _ = claims.make_recall_task(50, lag=6, n_symbols=5, seed=3)
    np.testing.assert_array_equal(inputs, again)
    assert set(labels) == set(range(5))
    with pytest.raises(ValueError, match="`lag`"):
        claims.make_recall_task(4, lag=0, n_symbols=5, seed=0)
    with pytest.raises(ValueError, match="`n_symbols`"):
        claims.make_recall_task(4, lag=2, n_symbols=1, seed=0)


def test_forecast_windows_are_split_in_time_and_relative_to_their_last_step() -> None:
    rows = np.arange(40, dtype=np.float64)
    values = np.column_stack([rows, rows**2])
    windows = claims.make_forecast_windows(
        values, 1, lookback=4, horizon=2, train_fraction=0.5, max_train_windows=None, seed=0
    )
    # Training targets lie in rows 0..19, test targets in rows 20..39.
    assert windows.train_inputs.shape == (15, 4, 2) and windows.train_targets.shape == (15, 2)
    assert windows.test_inputs.shape == (19, 4, 2) and windows.test_targets.shape == (19, 2)
    np.testing.assert_array_equal(windows.train_inputs[:, -1], 0.0)
    scale = values[:20].std(axis=0)
    # Test window 0 reads rows 16..19 and forecasts column 1 at rows 20, 21 as changes from row 19.
    np.testing.assert_allclose(windows.test_targets[0], (np.array([400.0, 441.0]) - 361.0) / scale[1], rtol=1e-6)
    np.testing.assert_allclose(windows.test_inputs[0, 0], (values[16] - values[19]) / scale, rtol=1e-6)
    assert claims.naive_mse(windows) == pytest.approx(float(np.mean(windows.test_targets**2)))
    subset = claims.make_forecast_windows(
        values, 1, lookback=4, horizon=2, train_fraction=0.5, max_train_windows=5, seed=0
    )
    assert len(subset.train_inputs) == 5
    with pytest.raises(ValueError, match="0 training"):
        claims.make_forecast_windows(
            values, 1, lookback=30, horizon=2, train_fraction=0.5, max_train_windows=None, seed=0
        )


def test_decide_maps_checks_to_verdicts() -> None:
    assert claims.decide([True, True]) == HOLDS
    assert claims.decide([True, False]) == HOLDS_PARTLY
    assert claims.decide([False, False]) == DOES_NOT_HOLD
    with pytest.raises(ValueError, match="`checks`"):
        claims.decide([])


def test_parameter_claim_holds_only_for_a_third_fewer() -> None:
    assert claims.judge_parameter_counts(3936, 5120).verdict == HOLDS_PARTLY  # 23% fewer
    assert claims.judge_parameter_counts(2000, 3000).verdict == HOLDS  # exactly a third
    assert claims.judge_parameter_counts(3000, 3000).verdict == DOES_NOT_HOLD


def test_vanishing_gradient_claim_needs_gated_cells_ten_times_ahead() -> None:
    ahead = {"simple_rnn": 1e-6, "gru": 1e-4, "lstm": 1e-3}
    assert claims.judge_vanishing_gradients({"at init": ahead, "trained": ahead}, 95).verdict == HOLDS
    gru_behind = {"simple_rnn": 1e-6, "gru": 1e-8, "lstm": 1e-3}
    claim = claims.judge_vanishing_gradients({"at init": gru_behind, "trained": ahead}, 95)
    assert claim.verdict == HOLDS_PARTLY and list(claim.checks.values()) == [False, True, True, True]
    assert "lag 95" in claim.rule
    level = {"simple_rnn": 1e-3, "gru": 5e-3, "lstm": 1e-3}
    assert claims.judge_vanishing_gradients({"at init": level}, 95).verdict == DOES_NOT_HOLD


def test_memory_span_and_long_memory_claim() -> None:
    lags = [4, 8, 16, 32]
    assert claims.memory_span(lags, [1.0, 0.95, 0.5, 0.99], 0.9) == 8  # a later recovery does not count
    assert claims.memory_span(lags, [0.5, 1.0, 1.0, 1.0], 0.9) == 0
    accuracy = {"simple_rnn": [1.0, 0.95, 0.5, 0.1], "gru": [1.0, 1.0, 1.0, 0.2], "lstm": [1.0, 1.0, 0.3, 0.1]}
    claim = claims.judge_long_memory(lags, accuracy, 0.9)
    assert claim.verdict == HOLDS_PARTLY and "GRU span 16 vs SimpleRNN 8 steps" in claim.checks
    accuracy["lstm"] = [1.0, 1.0, 1.0, 1.0]
    assert claims.judge_long_memory(lags, accuracy, 0.9).verdict == HOLDS
    assert claims.judge_long_memory(lags, {kind: [1.0] * 4 for kind in claims.CELL_KINDS}, 0.9).verdict == DOES_NOT_HOLD


def test_speed_accuracy_and_forget_bias_claims() -> None:
    assert claims.judge_gru_speed_accuracy({"gru": 1.0, "lstm": 1.2}, {"gru": 0.105, "lstm": 0.1}).verdict == HOLDS
    assert claims.judge_gru_speed_accuracy({"gru": 1.0, "lstm": 1.2}, {"gru": 0.2, "lstm": 0.1}).verdict == HOLDS_PARTLY
    assert (
        claims.judge_gru_speed_accuracy({"gru": 1.3, "lstm": 1.2}, {"gru": 0.2, "lstm": 0.1}).verdict == DOES_NOT_HOLD
    )
    lags = [4, 8, 16, 32]
    learns_sooner = [[0.5, 1.0], [0.5, 1.0], [0.5, 1.0], [0.2, 0.4]]
    slower = [[0.2, 1.0], [0.2, 1.0], [0.2, 0.9], [0.15, 0.2]]
    claim = claims.judge_forget_bias(lags, learns_sooner, slower)
    assert claim.verdict == HOLDS and len(claim.checks) == 2  # the longer half: lags 16 and 32
    assert claims.judge_forget_bias(lags, slower, learns_sooner).verdict == DOES_NOT_HOLD
    assert claims.judge_forget_bias(lags, [*learns_sooner[:3], slower[3]], slower).verdict == HOLDS_PARTLY


@pytest.mark.slow
def test_a_simple_rnn_learns_a_short_recall_task_on_every_seed() -> None:
    result = claims.measure_recall(
        "simple_rnn",
        [2],
        seeds=[0, 1],
        units=16,
        n_symbols=4,
        n_train=512,
        n_test=128,
        epochs=8,
        batch_size=32,
        learning_rate=1e-2,
    )
    assert result.curves.shape == (1, 2, 8) and result.label == "SimpleRNN"
    np.testing.assert_allclose(result.accuracy, result.curves[:, :, -1].mean(axis=1))
    assert np.all(result.curves[:, :, -1] > 0.9)  # chance is 0.25
    assert np.all(result.mean_over_epochs < result.accuracy)  # it learned during training


def test_epoch_times_are_median_steps_times_steps_per_epoch(monkeypatch) -> None:
    clock = [0.0]

    class FakeModel:
        """Advances a fake clock by a fixed step time per training step."""

        def __init__(self, step_seconds: float) -> None:
            self.step_seconds, self.calls = step_seconds, 0

        def train_on_batch(self, inputs, targets) -> None:
            assert len(inputs) == len(targets) == 8
            self.calls += 1
            clock[0] += self.step_seconds * (10 if self.calls == 1 else 1)  # the first call traces

    monkeypatch.setattr(claims.time, "perf_counter", lambda: clock[0])
    models = {"gru": FakeModel(0.2), "lstm": FakeModel(0.1)}
    inputs, targets = np.zeros((20, 6, 2)), np.zeros((20, 1))
    seconds = claims.time_epochs_in_alternation(models, inputs, targets, batch_size=8, n_rounds=3)
    assert seconds == pytest.approx({"gru": 0.6, "lstm": 0.3})  # ceil(20 / 8) = 3 steps per epoch
    assert models["gru"].calls == models["lstm"].calls == 4  # one untimed round, then three
