import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from forecaster.config import SplitConfig
from forecaster.errors import DataError, NotFittedError
from forecaster.windows import SeriesScaler, WindowSpec, split_rows

from .builders import build_collection

SKLEARN = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}
SPEC = WindowSpec(lookback=2, horizon=1, stride=1, target_columns=("c1", "c2"), past_covariates=("c0",))


def fitted(collection, method, scope, train=0.6):
    rows = split_rows(collection, SplitConfig(train=train, val=0.2, test=round(0.8 - train, 10)))
    return SeriesScaler(method, scope).fit(collection, rows, SPEC), rows


@settings(deadline=None, max_examples=30)
@given(
    lengths=st.lists(st.integers(min_value=5, max_value=40), min_size=1, max_size=3),
    method=st.sampled_from(sorted(SKLEARN)),
    scope=st.sampled_from(["global", "per_series"]),
    seed=st.integers(0, 1000),
)
def test_statistics_come_from_training_rows_only(lengths, method, scope, seed):
    collection = build_collection(lengths, n_columns=3, seed=seed)
    scaler, rows = fitted(collection, method, scope)
    values = collection.frame[list(SPEC.value_columns)].to_numpy()
    starts, ends = rows.rows("train")
    groups = [range(len(lengths))] if scope == "global" else [[k] for k in range(len(lengths))]
    scaled = scaler.transform(collection)
    for group, members in enumerate(groups):
        training = np.concatenate([values[starts[k] : ends[k]] for k in members])
        direct = SKLEARN[method]().fit(training)
        np.testing.assert_allclose(scaler.center_[group], direct.inverse_transform(np.zeros((1, 3)))[0], rtol=1e-12)
        whole = np.concatenate([np.arange(collection.offsets[k], collection.offsets[k + 1]) for k in members])
        np.testing.assert_allclose(scaled[whole], direct.transform(values[whole]), rtol=1e-5, atol=1e-5)

    # Changing every non-training row leaves the fitted statistics untouched.
    frame = collection.frame.copy()
    for end, series_end in zip(ends, collection.offsets[1:]):
        frame.iloc[end:series_end] = 1e6
    changed = type(collection)(frame, collection.series_ids, collection.offsets, collection.frequency)
    refitted, _ = fitted(changed, method, scope)
    np.testing.assert_array_equal(refitted.center_, scaler.center_)
    np.testing.assert_array_equal(refitted.scale_, scaler.scale_)


def test_standard_statistics_equal_mean_and_std_of_training_rows():
    collection = build_collection([50, 30], n_columns=3, seed=3)
    scaler, rows = fitted(collection, "standard", "per_series")
    series = collection.frame["c1"].to_numpy()
    np.testing.assert_allclose(scaler.center_[1, 0], series[50:68].mean(), rtol=1e-12)
    np.testing.assert_allclose(scaler.scale_[1, 0], series[50:68].std(), rtol=1e-12)
    assert scaler.statistics()["columns"] == ["c1", "c2", "c0"]


def test_fit_ignores_nan_and_transform_keeps_it():
    collection = build_collection([40], n_columns=3)
    collection.frame.iloc[3, 1] = np.nan
    scaler, _ = fitted(collection, "standard", "global")
    training = collection.frame["c1"].to_numpy()[:24]
    np.testing.assert_allclose(scaler.center_[0, 0], np.nanmean(training), rtol=1e-12)
    assert np.isnan(scaler.transform(collection)[3, 0])


@pytest.mark.parametrize("scope", ["global", "per_series"])
def test_inverse_transform_targets_round_trips_with_and_without_quantiles(scope):
    collection = build_collection([30, 20], n_columns=3, seed=1)
    scaler, _ = fitted(collection, "robust", scope)
    scaled = scaler.transform(collection)
    series_index = np.array([0, 1])
    rows = np.array([[3, 4], [33, 34]])  # two steps of one window per series
    y = scaled[rows][..., :2]
    np.testing.assert_allclose(
        scaler.inverse_transform_targets(y, series_index), collection.frame[["c1", "c2"]].to_numpy()[rows], rtol=1e-5
    )
    quantiles = np.stack([y, y + 0.0], axis=-1)
    restored = scaler.inverse_transform_targets(quantiles, series_index)
    assert restored.shape == (2, 2, 2, 2)
    np.testing.assert_allclose(restored[..., 1], collection.frame[["c1", "c2"]].to_numpy()[rows], rtol=1e-5)


def test_none_is_the_identity():
    collection = build_collection([20], n_columns=3)
    scaler, _ = fitted(collection, "none", "global")
    np.testing.assert_allclose(scaler.transform(collection), collection.frame[list(SPEC.value_columns)], rtol=1e-6)


def test_unfitted_scaler_refuses():
    with pytest.raises(NotFittedError, match="call fit"):
        SeriesScaler().inverse_transform_targets(np.zeros((1, 2, 2)), 0)


def test_column_without_observed_training_value_is_named():
    collection = build_collection([20, 20], n_columns=3)
    collection.frame.iloc[20:32, 2] = np.nan
    with pytest.raises(DataError) as info:
        fitted(collection, "standard", "per_series")
    assert "column 'c2' has no observed value in the 12 training rows of series 's1'" in str(info.value)


def test_series_without_training_rows_is_named():
    collection = build_collection([48, 24], n_columns=3)
    shifted = collection.frame.index[48:] + pd.Timedelta(days=2)  # series s1 starts after val_start
    frame = collection.frame.set_axis(collection.frame.index[:48].append(shifted))
    collection = type(collection)(frame, collection.series_ids, collection.offsets, collection.frequency)
    cfg = SplitConfig(method="dates", val_start="2024-01-01 12:00", test_start="2024-01-01 18:00")
    with pytest.raises(DataError) as info:
        SeriesScaler("standard", "per_series").fit(collection, split_rows(collection, cfg), SPEC)
    assert str(info.value).startswith("no training rows in series 's1', so the per_series scaler cannot be fitted")


def test_scaler_rebuilt_from_statistics_transforms_and_inverts_identically():
    import json

    from forecaster.data import SeriesCollection

    rng = np.random.default_rng(5)
    index = pd.date_range("2024-01-01", periods=80, freq="h")
    frame = pd.DataFrame({"a": rng.normal(5, 2, 80), "b": rng.normal(-3, 0.5, 80)}, index=index)
    collection = SeriesCollection(frame, ("x", "y"), np.array([0, 40, 80]), "h")
    spec = WindowSpec(lookback=4, horizon=2, stride=1, target_columns=("a",), past_covariates=("b",))
    fitted = SeriesScaler("robust", "per_series").fit(collection, split_rows(collection, SplitConfig()), spec)
    rebuilt = SeriesScaler.from_statistics(json.loads(json.dumps(fitted.statistics())))
    np.testing.assert_array_equal(rebuilt.transform(collection), fitted.transform(collection))
    y = rng.normal(size=(3, 2, 1))
    np.testing.assert_array_equal(
        rebuilt.inverse_transform_targets(y, np.array([0, 1, 1])),
        fitted.inverse_transform_targets(y, np.array([0, 1, 1])),
    )
