import numpy as np
import pytest

from forecaster.anomaly.injection import ANOMALY_KINDS, inject_anomalies


def daily_series(n_rows=2400, seed=1):
    rng = np.random.default_rng(seed)
    hours = np.arange(n_rows)
    return 10.0 + 3.0 * np.sin(2 * np.pi * hours / 24) + 0.01 * hours + rng.normal(0.0, 0.3, n_rows)


@pytest.mark.parametrize("kind", ANOMALY_KINDS)
def test_each_kind_lands_where_its_label_says(kind):
    values = daily_series()
    injected, labels, anomalies = inject_anomalies(values, kind, n_anomalies=3, first_row=600, period=24, seed=5)
    changed = ~np.isclose(injected, values)
    assert not changed[~labels].any()  # nothing outside the labels moves
    assert not labels[:600].any()  # the normal rows stay normal
    assert [a.kind for a in anomalies] == [kind] * 3
    assert labels.sum() == sum(a.end - a.start for a in anomalies)
    for anomaly in anomalies:
        assert labels[anomaly.start : anomaly.end].all()
        assert changed[anomaly.start : anomaly.end].any()  # every labelled anomaly changes the series
    assert all(a.end < b.start for a, b in zip(anomalies, anomalies[1:]))


def test_seeds_reproduce_and_differ():
    values = daily_series()
    first = inject_anomalies(values, "variance_burst", first_row=600, seed=3)
    again = inject_anomalies(values, "variance_burst", first_row=600, seed=3)
    other = inject_anomalies(values, "variance_burst", first_row=600, seed=4)
    np.testing.assert_array_equal(first[0], again[0])
    assert first[2] == again[2]
    assert first[2] != other[2]


def test_refuses_unknown_kinds_and_short_series():
    with pytest.raises(ValueError, match="kind must be one of"):
        inject_anomalies(daily_series(), "tsunami", first_row=600)
    with pytest.raises(ValueError, match="cannot hold"):
        inject_anomalies(daily_series(700), "drift", first_row=600)
