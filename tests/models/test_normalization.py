"""Instance normalisation removes and exactly restores each window's level and scale."""

from __future__ import annotations

import numpy as np
import pytest

from forecaster.models import InstanceDenormalization, InstanceNormalization, build_model


def test_layer_standardises_targets_and_passes_covariates():
    rng = np.random.default_rng(0)
    past = (rng.standard_normal((4, 30, 3)) * [2.0, 5.0, 1.0] + [10.0, -3.0, 7.0]).astype("float32")
    normalized, mean, std = (np.asarray(t) for t in InstanceNormalization(n_targets=2)(past))
    np.testing.assert_allclose(mean[:, 0], past[..., :2].mean(axis=1), rtol=1e-5)
    np.testing.assert_allclose(std[:, 0], np.sqrt(past[..., :2].var(axis=1) + 1e-5), rtol=1e-5)
    np.testing.assert_allclose(normalized[..., :2].mean(axis=1), 0.0, atol=1e-5)
    np.testing.assert_allclose(normalized[..., :2].std(axis=1), 1.0, atol=1e-4)
    np.testing.assert_array_equal(normalized[..., 2], past[..., 2])


@pytest.mark.parametrize("quantiles", [False, True])
def test_denormalization_inverts_normalization(quantiles):
    rng = np.random.default_rng(1)
    past = (rng.standard_normal((3, 20, 2)) * 4.0 + 2.0).astype("float32")
    normalized, mean, std = InstanceNormalization(n_targets=2)(past)
    forecast = np.asarray(normalized)[:, :5]
    if quantiles:
        forecast = np.stack([forecast] * 3, axis=-1)
        restored = np.asarray(InstanceDenormalization()(forecast, mean, std))[..., 0]
    else:
        restored = np.asarray(InstanceDenormalization()(forecast, mean, std))
    np.testing.assert_allclose(restored, past[:, :5], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("encoder", ["recurrent", "segment"])
def test_model_forecast_follows_level_and_scale_of_the_window(encoder):
    """With instance norm, ``f(a * past + c) = a * f(past) + c`` for every architecture."""
    cfg = dict(units=8, kind="gru", encoder=encoder, segment_length=4, channel_independent=True)
    model = build_model(n_past=2, n_targets=2, lookback=12, horizon=4, **cfg)
    past = np.random.default_rng(2).standard_normal((3, 12, 2)).astype("float32")
    base = np.asarray(model({"past": past}))
    moved = np.asarray(model({"past": 3.0 * past + 50.0}))
    np.testing.assert_allclose(moved, 3.0 * base + 50.0, rtol=1e-4, atol=1e-3)


def test_last_method_subtracts_the_last_observed_value():
    past = np.random.default_rng(3).standard_normal((2, 10, 3)).astype("float32")
    normalized, level, scale = (np.asarray(t) for t in InstanceNormalization(n_targets=2, method="last")(past))
    np.testing.assert_allclose(level[:, 0], past[:, -1, :2])
    np.testing.assert_array_equal(scale, 1.0)
    np.testing.assert_allclose(normalized[..., :2], past[..., :2] - past[:, -1:, :2], atol=1e-6)
    np.testing.assert_array_equal(normalized[:, -1, :2], 0.0)


def test_model_with_last_method_follows_the_level():
    cfg = dict(units=8, kind="gru", instance_norm_method="last", quantiles=[])
    model = build_model(n_past=2, n_targets=2, lookback=12, horizon=4, **cfg)
    past = np.random.default_rng(4).standard_normal((3, 12, 2)).astype("float32")
    np.testing.assert_allclose(
        np.asarray(model({"past": past + 20.0})), np.asarray(model({"past": past})) + 20.0, rtol=1e-5, atol=1e-4
    )


def test_layers_validate_arguments():
    with pytest.raises(ValueError, match="n_targets"):
        InstanceNormalization(n_targets=0)
    with pytest.raises(ValueError, match="method"):
        InstanceNormalization(n_targets=1, method="median")
    with pytest.raises(ValueError, match="epsilon"):
        InstanceNormalization(n_targets=1, epsilon=0.0)
