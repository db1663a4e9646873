import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.windows import WindowDataset


def row_numbered(n_rows, n_features=3):
    """float32 values whose column 0 is the row number, so a window names its own start."""
    values = np.random.default_rng(0).normal(size=(n_rows, n_features)).astype(np.float32)
    values[:, 0] = np.arange(n_rows)
    return values


@settings(deadline=None, max_examples=40)
@given(
    n_rows=st.integers(min_value=10, max_value=120),
    lookback=st.integers(min_value=1, max_value=6),
    horizon=st.integers(min_value=1, max_value=4),
    batch_size=st.integers(min_value=1, max_value=16),
    seed=st.integers(0, 2**16),
)
def test_shuffled_epochs_serve_every_window_once_with_targets_following_inputs(
    n_rows, lookback, horizon, batch_size, seed
):
    values = row_numbered(n_rows)
    starts = np.arange(0, n_rows - lookback - horizon + 1, 2)
    dataset = WindowDataset(
        values, starts, lookback, horizon, n_targets=2, batch_size=batch_size, shuffle=True, seed=seed
    )
    assert len(dataset) == -(-len(starts) // batch_size)
    orders = []
    for _ in range(2):
        served = []
        for index in range(len(dataset)):
            inputs, targets = dataset[index]
            first = inputs["past"][:, 0, 0].astype(np.int64)
            rows = first[:, None] + np.arange(lookback + horizon)
            np.testing.assert_array_equal(inputs["past"], values[rows[:, :lookback]])
            np.testing.assert_array_equal(targets, values[rows[:, lookback:], :2])
            served.append(first)
        served = np.concatenate(served)
        assert sorted(served.tolist()) == starts.tolist()  # each window once, the partial last batch kept
        orders.append(served)
        dataset.on_epoch_end()
    if len(starts) >= 10:  # two equal orders of 10 windows: chance 1 in 3.6 million
        assert not np.array_equal(orders[0], orders[1])


def test_batches_come_from_a_read_only_view_of_the_one_array():
    values = row_numbered(50)
    dataset = WindowDataset(values, np.arange(40), 6, 4, n_targets=1, batch_size=8)
    assert dataset.windows.shape == (41, 10, 3)
    assert np.shares_memory(dataset.windows, values)
    assert not dataset.windows.flags.writeable
    inputs, targets = dataset[4]
    assert inputs["past"].shape == (8, 6, 3) and targets.shape == (8, 4, 1)
    assert inputs["past"].dtype == targets.dtype == np.float32
    assert not np.shares_memory(inputs["past"], values)  # a batch is a copy, so Keras may keep it


def test_same_seed_same_order():
    values = row_numbered(60)
    first, second = (WindowDataset(values, np.arange(50), 5, 5, 1, batch_size=7, shuffle=True, seed=3) for _ in "ab")
    np.testing.assert_array_equal(first[0][0]["past"], second[0][0]["past"])


def test_calendar_columns_feed_the_future_input():
    values = row_numbered(30, n_features=4)
    inputs, targets = WindowDataset(values, np.array([0, 5]), 4, 3, n_targets=1, n_calendar=2).arrays()
    assert inputs["past"].shape == (2, 4, 4)
    np.testing.assert_array_equal(inputs["future"], values[[[4, 5, 6], [9, 10, 11]]][:, :, 2:])
    assert targets.shape == (2, 3, 1)


def test_missing_values_become_zero_with_zero_weight():
    values = row_numbered(20)
    values[7, 1] = np.nan  # a target column
    values[2, 2] = np.nan  # a covariate column: weights stay 1
    dataset = WindowDataset(values, np.array([0, 3]), 4, 4, n_targets=2)
    inputs, targets, weights = dataset.arrays()
    np.testing.assert_array_equal(weights, [[1, 1, 1, 0], [0, 1, 1, 1]])
    assert weights.dtype == np.float32
    assert not np.isnan(inputs["past"]).any() and not np.isnan(targets).any()
    assert inputs["past"][0, 2, 2] == 0 and targets[0, 3, 1] == 0
    assert np.isnan(values[7, 1])  # the shared array is untouched


def test_start_outside_the_array_is_refused():
    with pytest.raises(ValueError, match=r"starts must lie in \[0, 12\] for 20 rows"):
        WindowDataset(row_numbered(20), np.array([0, 13]), 4, 4, n_targets=1)


def test_keras_trains_on_dict_inputs_with_sample_weights():
    values = row_numbered(80, n_features=4)
    values[:, 0] /= 80
    values[10, 0] = np.nan
    dataset = WindowDataset(values, np.arange(0, 70), 6, 3, n_targets=1, n_calendar=1, batch_size=16, shuffle=True)
    past = keras.Input((6, 4), name="past")
    future = keras.Input((3, 1), name="future")
    hidden = keras.layers.Concatenate()([keras.layers.Flatten()(past), keras.layers.Flatten()(future)])
    output = keras.layers.Reshape((3, 1))(keras.layers.Dense(3)(hidden))
    model = keras.Model({"past": past, "future": future}, output)
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(dataset, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_values_shorter_than_one_window_are_refused():
    with pytest.raises(ValueError, match="values has 5 rows, fewer than one window of lookback \\+ horizon = 6 rows"):
        WindowDataset(row_numbered(5), np.array([], dtype=np.int64), 4, 2, n_targets=1)
