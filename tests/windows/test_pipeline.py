import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.config import ScalingConfig, SplitConfig
from forecaster.errors import DataError
from forecaster.windows import WindowSpec, prepare_windows

from .builders import build_collection

NONE = ScalingConfig(method="none")


def spec(lookback=4, horizon=2, stride=1, calendar=()):
    return WindowSpec(lookback, horizon, stride, ("c0",), ("c1",), calendar)


@settings(deadline=None, max_examples=30)
@given(
    lengths=st.lists(st.integers(min_value=30, max_value=80), min_size=2, max_size=4),
    lookback=st.integers(min_value=1, max_value=5),
    horizon=st.integers(min_value=1, max_value=3),
    stride=st.integers(min_value=1, max_value=3),
)
def test_long_format_windows_never_mix_series_or_splits(lengths, lookback, horizon, stride):
    collection = build_collection(lengths)
    data = prepare_windows(collection, spec(lookback, horizon, stride), SplitConfig(), NONE, batch_size=5, seed=0)
    offsets = collection.offsets
    split_ends = {}
    for split in ("train", "val", "test"):
        inputs, targets = data.dataset(split).arrays()
        rows = np.concatenate([inputs["past"][..., 0], targets[..., 0]], axis=1).astype(np.int64)  # c0 = row number
        series = data.window_metadata(split).series_index
        assert np.all(rows >= offsets[series][:, None]) and np.all(rows < offsets[series + 1][:, None])
        np.testing.assert_array_equal(np.diff(rows, axis=1), 1)  # consecutive rows of one series
        split_ends[split] = targets[..., 0].astype(np.int64), series
    # Training targets stop before validation, validation targets before test.
    for split, later in (("train", "val"), ("val", "test")):
        targets, series = split_ends[split]
        assert np.all(targets < data.split_rows.rows(later)[0][series][:, None])


def test_validation_inputs_reach_back_lookback_rows_into_training():
    collection = build_collection([100])
    data = prepare_windows(collection, spec(lookback=8, horizon=4), SplitConfig(), NONE)
    val_starts = data.val.starts
    assert val_starts[0] == 70 - 8 and val_starts[-1] == 85 - 8 - 4
    metadata = data.window_metadata("val")
    assert metadata.origin[0] == collection.frame.index[69]
    np.testing.assert_array_equal(metadata.target_times[0], collection.frame.index[70:74].values)


def test_summary_is_json_ready_and_counts_windows():
    collection = build_collection([100, 50])
    data = prepare_windows(collection, spec(calendar=("hour",)), SplitConfig(), ScalingConfig(scope="per_series"))
    summary = json.loads(json.dumps(data.summary()))
    assert summary["rows"] == {"train": 105, "val": 22, "test": 23}
    assert summary["windows"] == {"train": 70 - 5 + 35 - 5, "val": 15 - 1 + 7 - 1, "test": 15 - 1 + 8 - 1}
    assert summary["feature_names"] == ["c0", "c1", "hour_sin", "hour_cos"]
    assert len(summary["scaler"]["center"]) == 2
    assert data.values.shape == (150, 4) and data.values.dtype == np.float32


def test_split_without_rows_gets_no_dataset():
    data = prepare_windows(build_collection([100]), spec(), SplitConfig(train=0.8, val=0.0, test=0.2), NONE)
    assert data.val is None and data.summary()["windows"]["val"] == 0


def test_too_short_series_says_how_many_rows_it_needs():
    with pytest.raises(DataError) as info:
        prepare_windows(build_collection([40, 9]), spec(lookback=8, horizon=4), SplitConfig(), NONE)
    assert str(info.value).startswith("series 's1' has 9 rows but lookback 8 + horizon 4 needs at least 12 rows")


def test_split_without_windows_is_named_with_the_rows_it_needs():
    with pytest.raises(DataError) as info:
        prepare_windows(build_collection([40]), spec(lookback=8, horizon=8), SplitConfig(), NONE)
    assert str(info.value).startswith(
        "split 'val' gets no window: it needs at least 8 rows in one series with lookback 8 rows of the same "
        "series before them, but its longest range has 6 rows (6 in all)"
    )


def test_missing_spec_column_is_named():
    with pytest.raises(DataError, match=r"columns \['load'\] of the window spec are not in the data"):
        prepare_windows(build_collection([40]), WindowSpec(4, 2, 1, ("load",)), SplitConfig(), NONE)
