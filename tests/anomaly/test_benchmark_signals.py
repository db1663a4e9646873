"""The candidate signals of benchmarks/network_signals.py are causal, so its measured scores read no later row."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture(scope="module")
def network_signals():
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location("network_signals", BENCHMARKS / "network_signals.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(BENCHMARKS))


def test_dispersion_is_causal_and_two_sided(network_signals):
    rng = np.random.default_rng(0)
    errors = np.abs(rng.normal(size=600))
    flat, burst = errors.copy(), errors.copy()
    flat[400:430] = 0.0
    burst[400:430] *= 6.0
    base = network_signals.dispersion(errors, window=24, history=200)
    for changed in (flat, burst):
        scores = network_signals.dispersion(changed, window=24, history=200)
        np.testing.assert_array_equal(scores[:400], base[:400])
        assert scores[423] > 10.0 > np.nanmax(base[150:400])  # both a collapse and a burst are surprising
    assert np.isnan(base[:123]).all() and np.isfinite(base[124:]).all()  # 100 reference rows after the window
    assert network_signals.dispersion(flat, window=24, history=200)[429] == network_signals.DISPERSION_CAP


def test_multistep_errors_are_causal(network_signals):
    rng = np.random.default_rng(1)
    t = np.arange(400)
    values = np.sin(2 * np.pi * t / 24) + 0.1 * rng.normal(size=t.size)
    detector = network_signals.MultiStepDetector(horizon=6, lookback=12, units=4, epochs=1, seed=3)
    detector.fit(values[:300, None], np.ones(300, dtype=bool))
    assert detector.error_precision_.shape == (1, 6, 6)
    base = detector.point_errors(values[:, None])[:, 0]
    changed = values.copy()
    changed[350] += 5.0
    errors = detector.point_errors(changed[:, None])[:, 0]
    assert np.isnan(base[:17]).all() and np.isfinite(base[17:]).all()  # lookback + horizon - 1 rows unscored
    np.testing.assert_allclose(errors[:350], base[:350], rtol=1e-5, atol=1e-6)
    assert errors[350] > 10 * np.median(base[17:])


def test_seasonal_covariates_read_only_earlier_rows(network_signals):
    values = np.arange(40, dtype=float) % 8  # period 8: a sawtooth 0..7
    covariates = network_signals.seasonal_covariates(values, period=8, cycles=3)
    assert covariates.shape == (40, 2)
    # From the second cycle on, the earlier cycles say exactly where the series goes and how it steps.
    np.testing.assert_array_equal(covariates[9:, 0], values[9:] - values[8:-1])
    np.testing.assert_array_equal(covariates[9:, 1], np.diff(values)[8:])
    np.testing.assert_array_equal(covariates[:8], 0.0)  # no earlier cycle
    for row in (9, 20, 33):
        changed = values.copy()
        changed[row:] += 100.0  # row `row` and everything after it
        # Both covariates of row `row` are known one row before it: the change at `row` does not reach them.
        np.testing.assert_array_equal(network_signals.seasonal_covariates(changed, 8)[: row + 1], covariates[: row + 1])


def test_seasonal_input_errors_are_causal(network_signals):
    rng = np.random.default_rng(2)
    t = np.arange(300)
    values = np.sin(2 * np.pi * t / 24) + 0.1 * rng.normal(size=t.size)
    changed = values.copy()
    changed[250] += 5.0
    base, errors = network_signals.fit_errors(
        "seasonal_input",
        network_signals.AnomalyConfig(lookback=12, units=4, training={"epochs": 1, "ensemble": 1}),
        3,
        values,
        [values, changed],
        horizon=6,
        period=24,
    )
    assert base.shape == (300,) and np.isnan(base[:12]).all() and np.isfinite(base[12:]).all()
    np.testing.assert_allclose(errors[:250], base[:250], rtol=1e-5, atol=1e-6)
    assert errors[250] > 10 * np.median(base[12:])
