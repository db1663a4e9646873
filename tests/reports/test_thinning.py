"""thin_indices: long series thinned for drawing keep every extreme, every flagged point and their gaps."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.reports.thinning import thin_indices


def test_a_million_points_with_one_spike_keep_the_extremes_and_the_flagged_point():
    rng = np.random.default_rng(0)
    n = 1_000_000
    x_ns = np.arange(n, dtype=np.int64) * 300_000_000_000
    y = rng.normal(size=n)
    y[654_321] = 40.0
    y[123_456] = -35.0
    flagged = np.zeros(n, dtype=bool)
    flagged[[654_321, 777_777, 999_998]] = True
    kept = thin_indices(x_ns, y, 2000, keep=flagged)
    assert kept.size <= 2000 + 5
    assert {int(np.argmax(y)), int(np.argmin(y)), 777_777, 999_998, 0, n - 1} <= set(kept.tolist())
    assert np.all(np.diff(kept) > 0)


def test_short_series_are_kept_whole_and_gaps_stay_gaps():
    assert np.array_equal(thin_indices(np.arange(10), np.arange(10.0), 100), np.arange(10))
    y = np.ones(5000)
    y[2000:2100] = np.nan
    kept = thin_indices(np.arange(5000), y, 100)
    assert 2000 in kept and np.isnan(y[kept]).sum() == 1


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="n_out"):
        thin_indices(np.arange(10), np.arange(10.0), 2)
    with pytest.raises(ValueError, match="one length"):
        thin_indices(np.arange(10), np.arange(9.0), 4)


@settings(max_examples=30, deadline=None)
@given(st.integers(10, 3000), st.integers(4, 400), st.integers(0, 2**32 - 1))
def test_thinning_keeps_global_extremes_and_kept_points(n, n_out, seed):
    rng = np.random.default_rng(seed)
    y = rng.standard_cauchy(n)
    keep = rng.choice(n, size=3)
    kept = thin_indices(np.arange(n) * 10, y, n_out, keep=keep)
    assert {int(np.argmax(y)), int(np.argmin(y)), *keep.tolist()} <= set(kept.tolist())
    assert kept.min() >= 0 and kept.max() < n
