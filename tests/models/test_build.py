"""Shapes, option combinations and input sensitivity of build_model."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from forecaster.errors import ConfigError
from forecaster.models import build_model

LOOKBACK, HORIZON, N_PAST, N_TARGETS, N_CALENDAR = 12, 5, 4, 2, 2

CASES = [
    dict(kind="lstm"),
    dict(kind="gru", quantiles=[], instance_norm_method="last"),
    dict(kind="gated", gated_cell="lstm", quantiles=[]),
    dict(kind="gated", gated_cell="gru", channel_independent=True),
    dict(kind="gated", gated_cell="peephole", bidirectional=True),
    dict(kind="lstm", layers=2, residual=True, bidirectional=True, attention="dot", quantiles=[]),
    dict(kind="gru", layers=2, residual=True, attention="additive", channel_independent=True),
    dict(kind="gru", encoder="segment", segment_length=4, channel_independent=True, quantiles=[]),
    dict(kind="gru", encoder="segment", segment_length=4, channel_independent=True, decoder="gru"),
    dict(kind="lstm", bidirectional=True, attention="dot", decoder="gru", quantiles=[]),
    dict(kind="lstm", encoder="segment", segment_length=3, attention="additive", bidirectional=True),
    dict(kind="gated", gated_cell="gru", encoder="segment", segment_length=6, layers=2, residual=True, quantiles=[]),
    dict(kind="gru", instance_norm=False, use_future_covariates=False, dropout=0.1, recurrent_dropout=0.1),
    dict(kind="lstm", linear_skip=True),
    dict(kind="gru", encoder="segment", segment_length=4, channel_independent=True, linear_skip=True, quantiles=[]),
    dict(
        kind="lstm",
        encoder="segment",
        segment_length=4,
        channel_independent=True,
        attention="dot",
        quantiles=[0.05, 0.5, 0.95, 0.99],
    ),
]


def _inputs(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "past": rng.standard_normal((n, LOOKBACK, N_PAST)).astype("float32"),
        "future": rng.standard_normal((n, HORIZON, N_CALENDAR)).astype("float32"),
    }


@pytest.mark.parametrize("options", CASES, ids=lambda options: "-".join(f"{k}={v}" for k, v in options.items()))
def test_output_shape_for_every_option(options):
    cfg = dict(units=8, **options)
    model = build_model(N_PAST, N_TARGETS, LOOKBACK, HORIZON, n_future=N_CALENDAR, **cfg)
    forecast = np.asarray(model(_inputs(3)))
    quantiles = cfg.get("quantiles", (0.1, 0.5, 0.9))
    expected = (3, HORIZON, N_TARGETS) + ((len(quantiles),) if quantiles else ())
    assert forecast.shape == expected
    assert np.isfinite(forecast).all()
    if quantiles:
        assert (np.diff(forecast, axis=-1) >= 0).all()


@pytest.mark.parametrize("encoder", ["recurrent", "segment"])
@pytest.mark.parametrize("channel_independent", [False, True])
@pytest.mark.parametrize("decoder", ["dense", "gru"])
def test_last_observed_row_reaches_the_forecast(encoder, channel_independent, decoder):
    cfg = dict(
        units=8, kind="gru", encoder=encoder, segment_length=4, channel_independent=channel_independent, decoder=decoder
    )
    model = build_model(N_PAST, N_TARGETS, LOOKBACK, HORIZON, n_future=N_CALENDAR, **cfg)
    inputs = _inputs(2)
    changed = {name: values.copy() for name, values in inputs.items()}
    changed["past"][:, -1, :] += 1.0
    for target in range(N_TARGETS):
        delta = np.asarray(model(changed)) - np.asarray(model(inputs))
        assert np.abs(delta[:, :, target]).max() > 1e-6


def test_future_covariates_reach_the_forecast_only_when_enabled():
    inputs = _inputs(2)
    changed = {**inputs, "future": inputs["future"] + 1.0}
    for enabled in (True, False):
        cfg = dict(units=8, kind="gru", use_future_covariates=enabled, quantiles=[])
        model = build_model(N_PAST, N_TARGETS, LOOKBACK, HORIZON, n_future=N_CALENDAR, **cfg)
        delta = np.abs(np.asarray(model(changed)) - np.asarray(model(inputs))).max()
        assert (delta > 1e-6) == enabled


def test_channel_independent_weights_are_shared_by_all_channels():
    """Adding target channels adds only their channel-embedding rows (units each), no other weights."""
    cfg = dict(units=8, kind="gru", channel_independent=True, quantiles=[])
    counts = {n: build_model(n, n, LOOKBACK, HORIZON, **cfg).count_params() for n in (2, 5)}
    assert counts[5] - counts[2] == 3 * 8


def test_segment_encoder_refuses_a_lookback_that_is_not_a_multiple():
    cfg = dict(encoder="segment", segment_length=5)
    with pytest.raises(ConfigError, match="segment_length"):
        build_model(n_past=N_PAST, n_targets=N_TARGETS, lookback=LOOKBACK, horizon=HORIZON, **cfg)


def test_n_targets_must_fit_n_past():
    with pytest.raises(ConfigError, match="n_targets"):
        build_model(n_past=2, n_targets=3, lookback=LOOKBACK, horizon=HORIZON)


def test_linear_skip_adds_one_linear_map_of_each_targets_lookback_and_round_trips(tmp_path):
    cfg = dict(units=8, kind="lstm", instance_norm=False, linear_skip=True, quantiles=[])
    model = build_model(N_PAST, N_TARGETS, LOOKBACK, HORIZON, n_future=N_CALENDAR, **cfg)
    inputs = _inputs(3)
    network_alone = np.asarray(model(inputs))  # the map starts at zero
    rng = np.random.default_rng(1)
    kernel, bias = rng.standard_normal((LOOKBACK, HORIZON)), rng.standard_normal(HORIZON)
    model.get_layer("linear_skip").projection.set_weights([kernel, bias])
    linear = np.einsum("nlt,lh->nht", inputs["past"][..., :N_TARGETS], kernel) + bias[:, None]
    np.testing.assert_allclose(np.asarray(model(inputs)), network_alone + linear, rtol=1e-5, atol=1e-5)
    model.save(tmp_path / "skip.keras")
    again = keras.saving.load_model(tmp_path / "skip.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(again(inputs)), np.asarray(model(inputs)), atol=1e-6)
