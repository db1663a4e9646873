"""The anomaly likelihood: bounded, causal, per series and scale-free."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.anomaly.likelihood import anomaly_likelihood


def noisy_errors(n=3000, seed=0):
    return np.abs(np.random.default_rng(seed).normal(0, 1, n))


def test_values_lie_in_unit_interval_and_warm_up_is_neutral():
    likelihood, log_likelihood = anomaly_likelihood(noisy_errors(), history=500, window=5)
    assert likelihood.min() >= 0 and likelihood.max() <= 1
    assert log_likelihood.min() >= 0 and log_likelihood.max() <= 1
    assert np.all(likelihood[:10] == 0.5) and np.all(log_likelihood[:10] == 0)


def test_a_burst_of_large_errors_stands_out():
    errors = noisy_errors()
    errors[2000:2005] = 8.0
    likelihood, log_likelihood = anomaly_likelihood(errors, history=500, window=5)
    assert likelihood[2004] > 0.9999
    assert log_likelihood[2004] > np.quantile(log_likelihood[500:2000], 0.999)


def test_scale_free_and_per_series():
    errors = noisy_errors(2000)
    offsets = np.array([0, 1000, 2000])
    both = np.concatenate([errors[:1000], 100 * errors[1000:]])
    _, log_both = anomaly_likelihood(both, offsets, history=300, window=4)
    _, log_first = anomaly_likelihood(errors[:1000], history=300, window=4)
    _, log_second = anomaly_likelihood(errors[1000:], history=300, window=4)
    np.testing.assert_allclose(log_both[:1000], log_first, atol=1e-12)
    np.testing.assert_allclose(log_both[1000:], log_second, atol=1e-9)


@settings(max_examples=20, deadline=None)
@given(cut=st.integers(50, 399), change=st.floats(-5, 50))
def test_changing_a_later_error_leaves_earlier_values_unchanged(cut, change):
    errors = noisy_errors(400, seed=1)
    changed = errors.copy()
    changed[cut:] += change
    before = anomaly_likelihood(errors, history=100, window=3)
    after = anomaly_likelihood(changed, history=100, window=3)
    for a, b in zip(before, after):
        np.testing.assert_array_equal(a[:cut], b[:cut])


def test_suppress_repeats_keeps_the_first_alarm_of_each_burst():
    from forecaster.anomaly.likelihood import suppress_repeats

    scores = np.array([0.1, 0.9, 0.8, 0.2, 0.1, 0.1, 0.7, 0.3])
    np.testing.assert_array_equal(suppress_repeats(scores, level=0.5, rows=3), [0.1, 0.9, 0, 0, 0, 0, 0.7, 0])
    per_series = suppress_repeats(scores, level=0.5, rows=3, offsets=np.array([0, 2, 8]))
    np.testing.assert_array_equal(per_series, [0.1, 0.9, 0.8, 0, 0, 0, 0.7, 0])
