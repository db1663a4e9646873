"""Each threshold method on errors of known distribution."""

import numpy as np
import pytest

from forecaster.anomaly.thresholds import (
    MIN_SERIES_REFERENCE,
    MIN_THRESHOLD,
    dynamic_threshold,
    fit_series_thresholds,
    fit_threshold,
    flag_errors,
    pot_threshold,
    quantile_threshold,
    std_threshold,
)
from forecaster.config import ThresholdConfig
from forecaster.errors import DataError


@pytest.fixture(scope="module")
def exponential():
    return np.random.default_rng(0).exponential(1.0, 200_000)


def test_quantile_of_uniform_errors():
    errors = np.random.default_rng(1).uniform(0, 1, 100_000)
    assert quantile_threshold(errors, 0.99) == pytest.approx(0.99, abs=0.003)


def test_std_threshold_of_normal_errors_ignores_nan():
    errors = np.random.default_rng(2).normal(5.0, 2.0, 100_000)
    errors[:10] = np.nan
    assert std_threshold(errors, k=3.0) == pytest.approx(5.0 + 3 * 2.0, abs=0.05)


def test_pot_matches_the_exponential_tail_beyond_the_sample_quantiles(exponential):
    # P(X > x) = exp(-x): the 1e-5 level is x = ln(1e5) = 11.51, rarer than the
    # 200,000-point sample can estimate empirically with any precision.
    level = pot_threshold(exponential, risk=1e-5, init_quantile=0.98)
    assert level == pytest.approx(np.log(1e5), rel=0.08)


def test_pot_falls_back_to_the_empirical_quantile_for_common_risks(exponential):
    assert pot_threshold(exponential, risk=0.05, init_quantile=0.98) == pytest.approx(np.quantile(exponential, 0.95))


def test_fixed_methods_through_the_config(exponential):
    for method, expected in (
        ("quantile", np.quantile(exponential, 0.995)),
        ("std", exponential.mean() + 4 * exponential.std()),
    ):
        assert fit_threshold(exponential, ThresholdConfig(method=method)) == pytest.approx(expected)
    config = ThresholdConfig(method="quantile")
    levels = fit_series_thresholds(exponential, np.array([0, exponential.size]), None, config)
    flags, thresholds = flag_errors(np.array([0.5, 20.0, np.nan]), config, levels)
    assert flags.tolist() == [False, True, False] and thresholds[0] == pytest.approx(np.quantile(exponential, 0.995))
    assert np.all(thresholds == thresholds[0])


def test_reference_without_finite_errors_is_refused():
    with pytest.raises(DataError, match="no finite value"):
        quantile_threshold(np.array([np.nan, np.inf]))


def test_dynamic_threshold_flags_planted_sequences():
    errors = np.abs(np.random.default_rng(3).normal(0, 1, 3000))
    errors[1000:1010] = 12.0
    errors[2000:2005] = 11.0
    flags, thresholds = dynamic_threshold(errors, block=3000)
    assert flags[1000:1010].all() and flags[2000:2005].all()
    assert flags.sum() == 15
    assert np.isfinite(thresholds).all()


def test_dynamic_threshold_prunes_sequences_close_to_the_normal_errors():
    # mean 0.53 and std 0.63 (the 10.0 sequence included): epsilon lies in [0.72, 0.91]: the 1.1 sequence and the largest normal errors are above it,
    # but each is within 13% of the next maximum, so only the 10.0 sequence survives pruning.
    errors = np.random.default_rng(3).uniform(0, 1, 3000)
    errors[1000:1010] = 10.0
    errors[2000:2003] = 1.1
    unpruned, _ = dynamic_threshold(errors, z_min=0.3, z_max=0.6, prune=0.0, block=3000)
    assert unpruned[2000:2003].all()
    pruned, _ = dynamic_threshold(errors, z_min=0.3, z_max=0.6, prune=0.13, block=3000)
    assert np.flatnonzero(pruned).tolist() == list(range(1000, 1010))


def test_dynamic_threshold_on_clean_errors_flags_little():
    errors = np.abs(np.random.default_rng(4).normal(0, 1, 4000))
    flags, _ = dynamic_threshold(errors, block=2000)
    assert flags.mean() < 0.005


def test_dynamic_threshold_works_per_series_so_runs_never_cross_a_boundary():
    # Series a ends with a 10.0 sequence, series b starts with a 1.1 sequence close to its normal errors.
    # Cut as one block, the two join into one sequence whose 10.0 maximum keeps b's rows flagged; per
    # series, b's sequence is pruned and each series gets its own epsilon, as if thresholded alone.
    rng = np.random.default_rng(4)
    a = rng.uniform(0, 1, 1000)
    a[-10:] = 10.0
    b = rng.uniform(0, 1, 1000)
    b[:3] = 1.1
    errors, offsets = np.concatenate([a, b]), np.array([0, 1000, 2000])
    settings = {"z_min": 0.3, "z_max": 0.6, "prune": 0.13, "block": 3000}
    merged, _ = dynamic_threshold(errors, **settings)
    assert merged[1000:1003].all()
    flags, thresholds = dynamic_threshold(errors, offsets=offsets, **settings)
    assert np.flatnonzero(flags).tolist() == list(range(990, 1000))
    alone = [dynamic_threshold(part, **settings) for part in (a, b)]
    np.testing.assert_array_equal(flags, np.concatenate([alone[0][0], alone[1][0]]))
    np.testing.assert_allclose(thresholds, np.concatenate([alone[0][1], alone[1][1]]), rtol=1e-12)
    via_config, _ = flag_errors(errors, ThresholdConfig(method="dynamic", **settings), offsets=offsets)
    np.testing.assert_array_equal(via_config, flags)


@pytest.mark.parametrize("method", ["quantile", "std", "pot"])
def test_each_series_gets_its_own_level_and_a_series_with_few_reference_errors_the_pooled_one(method):
    rng = np.random.default_rng(5)
    quiet, noisy, short = (
        rng.exponential(0.1, 5000),
        rng.exponential(10.0, 5000),
        rng.exponential(1.0, MIN_SERIES_REFERENCE - 1),
    )
    reference = np.concatenate([quiet, noisy, short, [np.nan]])
    offsets = np.array([0, 5000, 10_000, 10_000 + short.size, reference.size])
    config = ThresholdConfig(method=method)
    levels = fit_series_thresholds(reference, offsets, ["quiet", "noisy", "short", "empty"], config)
    for name, errors in (("quiet", quiet), ("noisy", noisy)):
        assert levels.levels[name] == pytest.approx(fit_threshold(errors, config), rel=1e-12), "as if fitted alone"
    assert levels.pooled == pytest.approx(fit_threshold(reference, config), rel=1e-12)
    assert set(levels.levels) == {"quiet", "noisy"} and levels.pooled_series(["short", "empty", "new"]) == [
        "short",
        "empty",
        "new",
    ]
    # An error that is normal for the noisy series is flagged on the quiet one, and a series it never saw gets the pooled level.
    error = 2.0
    flags, thresholds = flag_errors(
        np.full(3, error), config, levels, np.array([0, 1, 2, 3]), ["noisy", "quiet", "new"]
    )
    assert flags.tolist() == [False, True, error > levels.pooled]
    assert thresholds.tolist() == [levels.levels["noisy"], levels.levels["quiet"], levels.pooled]


def test_a_detector_scaled_for_all_series_gives_every_series_the_pooled_level(exponential):
    levels = fit_series_thresholds(
        exponential, np.array([0, 100_000, exponential.size]), None, ThresholdConfig(method="std")
    )
    assert levels.levels == {} and levels.of(["a", "b"]).tolist() == [levels.pooled] * 2
    assert levels.pooled_series(["a", "b"]) == [], "one level for all by design, not instead of their own"


def test_a_lone_series_has_the_pooled_level_as_its_own_however_few_its_reference_errors():
    config = ThresholdConfig(method="quantile")
    few = np.random.default_rng(2).exponential(1.0, MIN_SERIES_REFERENCE - 1)
    levels = fit_series_thresholds(few, np.array([0, few.size]), ["only"], config)
    assert levels.levels == {"only": levels.pooled} and levels.pooled == fit_threshold(few, config)
    assert levels.pooled_series(["only", "new"]) == ["new"]


@pytest.mark.parametrize("method", ["quantile", "std", "pot", "dynamic"])
def test_a_series_constant_while_normal_gets_the_threshold_floor_not_zero(method):
    config = ThresholdConfig(method=method)
    reference = np.zeros(500)  # a flat line reconstructs or changes by exactly 0
    errors = np.zeros(300)
    errors[200], errors[100] = 4.0, 1e-9  # a real jump, and numerical noise
    fitted = None if method == "dynamic" else fit_series_thresholds(reference, np.array([0, 500]), ["flat"], config)
    flags, levels = flag_errors(errors, config, fitted, series_ids=["flat"])
    assert np.all(levels >= MIN_THRESHOLD)
    assert np.flatnonzero(flags).tolist() == [200]
    assert np.isfinite(errors[200] / levels[200])  # the event's severity
