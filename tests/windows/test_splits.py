import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.config import SplitConfig
from forecaster.errors import DataError
from forecaster.windows import SplitRows, split_rows, window_starts

from .builders import build_collection

sizes = st.integers(min_value=1, max_value=12)


def brute_force_starts(bounds, split, lookback, horizon, stride):
    """Enumerate starts one by one: targets inside the split, inputs inside the series, stride from the first."""
    position = ["train", "val", "test"].index(split)
    starts = []
    for series_start, *ends in bounds:
        a, b = ([series_start] + ends)[position : position + 2]
        valid = [t for t in range(series_start, b) if a <= t + lookback and t + lookback + horizon <= b]
        starts += valid[::stride]
    return starts


@settings(deadline=None, max_examples=80)
@given(
    length=st.integers(min_value=1, max_value=80),
    lookback=sizes,
    horizon=sizes,
    stride=st.integers(min_value=1, max_value=5),
)
def test_window_count_for_any_length(length, lookback, horizon, stride):
    rows = SplitRows(bounds=np.array([[0, length, length, length]]))
    starts = window_starts(rows, "train", lookback, horizon, stride)
    expected = max(0, (length - lookback - horizon) // stride + 1)
    assert starts.dtype == np.int64
    assert len(starts) == expected
    np.testing.assert_array_equal(starts, np.arange(expected) * stride)


@settings(deadline=None, max_examples=60)
@given(
    lengths=st.lists(st.integers(min_value=0, max_value=60), min_size=1, max_size=4),
    cuts=st.lists(st.tuples(st.floats(0, 1), st.floats(0, 1)), min_size=4, max_size=4),
    lookback=sizes,
    horizon=sizes,
    stride=st.integers(min_value=1, max_value=4),
)
def test_starts_match_brute_force_and_never_leak_across_splits(lengths, cuts, lookback, horizon, stride):
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    bounds = []
    for start, n, (u, v) in zip(offsets[:-1], lengths, cuts):
        train_end, val_end = sorted((int(u * n), int(v * n)))
        bounds.append([start, start + train_end, start + val_end, start + n])
    rows = SplitRows(bounds=np.array(bounds, dtype=np.int64).reshape(-1, 4))
    for position, split in enumerate(["train", "val", "test"]):
        starts = window_starts(rows, split, lookback, horizon, stride)
        assert starts.tolist() == brute_force_starts(bounds, split, lookback, horizon, stride)
        series = np.searchsorted(offsets, starts, side="right") - 1
        split_start, split_end = rows.bounds[series, position], rows.bounds[series, position + 1]
        # Every target row lies inside this split of the window's own series; inputs stay in that series.
        assert np.all(starts + lookback >= split_start)
        assert np.all(starts + lookback + horizon <= split_end)
        assert np.all(starts >= rows.bounds[series, 0])


def test_fractions_floor_per_series():
    collection = build_collection([100, 10])
    rows = split_rows(collection, SplitConfig(train=0.7, val=0.2, test=0.1))
    np.testing.assert_array_equal(rows.bounds, [[0, 70, 90, 100], [100, 107, 109, 110]])
    assert rows.n_rows("val") == 22


def test_rows_method_leaves_the_remainder_unused():
    collection = build_collection([30, 25])
    rows = split_rows(collection, SplitConfig(method="rows", train_rows=12, val_rows=4, test_rows=4))
    np.testing.assert_array_equal(rows.bounds, [[0, 12, 16, 20], [30, 42, 46, 50]])


def test_rows_method_refuses_a_short_series():
    collection = build_collection([30, 15])
    with pytest.raises(DataError) as info:
        split_rows(collection, SplitConfig(method="rows", train_rows=12, val_rows=4, test_rows=4))
    assert "series 's1' has 15 rows but split rows train_rows + val_rows + test_rows = 20" in str(info.value)


@pytest.mark.parametrize("zone", [None, "Europe/Paris"])
def test_dates_method_starts_splits_at_the_first_row_on_or_after_each_date(zone):
    collection = build_collection([48, 24])
    if zone is not None:
        frame = collection.frame.tz_localize(zone)
        collection = type(collection)(frame, collection.series_ids, collection.offsets, collection.frequency)
    cfg = SplitConfig(method="dates", val_start=pd.Timestamp("2024-01-01 20:00"), test_start="2024-01-02 00:30")
    rows = split_rows(collection, cfg)
    # Series 1 has 24 hourly rows from midnight: 20 rows before 20:00 and all 24 before 00:30 next day.
    np.testing.assert_array_equal(rows.bounds, [[0, 20, 25, 48], [48, 68, 72, 72]])
