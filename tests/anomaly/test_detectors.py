"""Detectors on synthetic series: planted anomalies are flagged, clean series stay quiet, causal scoring never reads ahead."""

import json

import numpy as np
import pytest

from forecaster.anomaly.detectors import (
    AutoencoderDetector,
    ResidualDetector,
    _normal_windows,
    load_detector,
    make_detector,
)
from forecaster.anomaly.pipeline import combine_errors
from forecaster.anomaly.thresholds import fit_series_thresholds, flag_errors
from forecaster.config import ThresholdConfig
from forecaster.errors import DataError, NotFittedError, RunError

PERIOD, N_ROWS, N_NORMAL = 24, 1200, 720
ANOMALY = slice(900, 960)


def sine_series(seed, n=N_ROWS, period=PERIOD):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return np.sin(2 * np.pi * t / period) + 0.05 * rng.normal(size=n)


def planted(kind, seed=10):
    values = sine_series(seed)
    if kind == "spike":
        values[930] += 3.0
    elif kind == "level_shift":
        values[ANOMALY.start :] += 1.5
    elif kind == "frequency":
        t = np.arange(ANOMALY.start, ANOMALY.stop)
        values[ANOMALY] = np.sin(2 * np.pi * t / 6) + 0.05 * np.random.default_rng(seed).normal(size=t.size)
    elif kind == "flatline":
        values[ANOMALY] = values[ANOMALY.start]
    return values


CONFIGS = {
    name: dict(
        detector=name,
        kind="gru",
        units=16,
        lookback=24,
        epochs=8,
        batch_size=32,
        learning_rate=0.01,
        max_train_windows=None,
    )
    for name in ("residual", "autoencoder")
}


@pytest.fixture(scope="module", params=sorted(CONFIGS))
def fitted(request):
    values = sine_series(0)
    normal = np.arange(N_ROWS) < N_NORMAL
    return make_detector(**CONFIGS[request.param], seed=1).fit(values, normal)


def flags_of(detector, values):
    errors = combine_errors(detector.point_errors(values))
    config = ThresholdConfig(method="std", k=6.0)
    levels = fit_series_thresholds(
        combine_errors(detector.reference_errors_), detector.reference_offsets_, None, config
    )
    flags, _ = flag_errors(errors, config, levels)
    return flags


@pytest.mark.parametrize("kind", ["spike", "level_shift", "frequency", "flatline"])
def test_planted_anomalies_are_flagged_where_they_are(fitted, kind):
    flags = flags_of(fitted, planted(kind))
    near = np.zeros(N_ROWS, dtype=bool)
    near[ANOMALY.start : ANOMALY.stop + fitted.window_length] = True
    assert flags[near].any(), f"{kind}: nothing flagged in the planted anomaly"
    assert flags[: ANOMALY.start].sum() <= 3, f"{kind}: {flags[: ANOMALY.start].sum()} false alarms before the anomaly"


def test_clean_series_stay_quiet(fitted):
    assert flags_of(fitted, sine_series(20)).mean() < 0.005


def test_causal_errors_never_read_ahead(fitted):
    values = sine_series(30)
    changed = values.copy()
    changed[800:] += np.linspace(0, 5, N_ROWS - 800)
    before, after = fitted.point_errors(values), fitted.point_errors(changed)
    np.testing.assert_array_equal(before[:800], after[:800])
    assert not np.allclose(before[800:], after[800:], equal_nan=True)


def test_shapes_missing_values_and_centered_mode(fitted):
    values = sine_series(40)
    values[500] = np.nan
    causal = fitted.point_errors(values)
    assert causal.shape == (N_ROWS, 1) and causal.dtype == np.float32
    assert np.isnan(causal[: fitted.window_length - 1]).all() and np.isnan(causal[500, 0])
    centered = fitted.point_errors(values, mode="centered")
    if isinstance(fitted, AutoencoderDetector):
        assert np.isfinite(centered[0, 0])  # the first window covers row 0: centered mode reads ahead


def test_save_load_round_trip(fitted, tmp_path):
    values = sine_series(50)
    fitted.save(tmp_path / "detector")
    loaded = load_detector(tmp_path / "detector")
    assert type(loaded) is type(fitted)
    np.testing.assert_allclose(loaded.point_errors(values), fitted.point_errors(values), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(loaded.reference_errors_, fitted.reference_errors_)
    np.testing.assert_array_equal(loaded.reference_offsets_, fitted.reference_offsets_)
    assert loaded.get_params() == fitted.get_params()
    assert load_detector(tmp_path / "detector", mode="centered").mode == "centered"  # scoring settings may change
    with pytest.raises(RunError, match="trained with units=16, the settings ask for 8"):
        load_detector(tmp_path / "detector", units=8)


@pytest.mark.parametrize("cls", [AutoencoderDetector, ResidualDetector])
def test_errors_before_fit(cls):
    detector = cls(lookback=8)
    with pytest.raises(NotFittedError, match="not fitted"):
        detector.point_errors(np.zeros(20))
    with pytest.raises(DataError, match="no window"):
        detector.fit(np.zeros(20), np.arange(20) < 5)


def test_missing_folder_is_a_run_error(tmp_path):
    with pytest.raises(RunError, match="detector.json"):
        load_detector(tmp_path)


def test_online_errors_refit_on_past_rows_only():
    from forecaster.anomaly.detectors import online_point_errors

    config = dict(detector="residual", kind="gru", units=4, lookback=8, epochs=1, val_fraction=0.0)
    values = sine_series(60, n=150)
    changed = values.copy()
    changed[120:] += 3.0
    # The detector fitted on rows [0, 50) scores rows [0, 100); one refitted on rows [0, 100) scores the rest.
    before = online_point_errors(values, n_initial=50, growth=2.0, **config)
    after = online_point_errors(changed, n_initial=50, growth=2.0, **config)
    assert before.shape == (150, 1) and np.isnan(before[:8]).all() and np.isfinite(before[8:]).all()
    np.testing.assert_array_equal(before[:120], after[:120])
    assert not np.allclose(before[120:], after[120:])
    with pytest.raises(ValueError, match="growth"):
        online_point_errors(values, n_initial=50, growth=1.0, **config)


def test_gated_cell_autoencoder_round_trip(tmp_path):
    config = dict(detector="autoencoder", kind="gated", gated_cell="peephole", units=4, lookback=8, epochs=1)
    values = sine_series(70, n=160)
    detector = make_detector(**config).fit(values, np.arange(160) < 100)
    loaded = load_detector(detector.save(tmp_path / "gated"))
    np.testing.assert_allclose(loaded.point_errors(values), detector.point_errors(values), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("detector", ["autoencoder", "residual"])
def test_an_ensemble_averages_members_trained_with_successive_seeds_and_round_trips(detector, tmp_path):
    config = dict(detector=detector, kind="gru", units=4, lookback=8, epochs=2, ensemble=2)
    values = sine_series(80, n=200)
    normal = np.arange(200) < 120
    ensemble = make_detector(**config, seed=5).fit(values, normal)
    assert ensemble.history_["member"] == [0, 0, 1, 1]
    loaded = load_detector(ensemble.save(tmp_path / detector))
    np.testing.assert_allclose(loaded.point_errors(values), ensemble.point_errors(values), rtol=1e-5, atol=1e-6)
    with pytest.raises(RunError, match="trained with ensemble=2"):
        load_detector(tmp_path / detector, ensemble=3)
    if detector == "autoencoder":
        # The first member is the single detector of the same seed; the ensemble outputs its members' mean.
        single = make_detector(**{**config, "ensemble": 1}, seed=5).fit(values, normal)
        members = [layer for layer in ensemble.model_.layers if layer.name.startswith("member_")]
        for left, right in zip(members[0].get_weights(), single.model_.get_weights(), strict=True):
            np.testing.assert_array_equal(left, right)
        windows = np.lib.stride_tricks.sliding_window_view(
            (values[:, None] - ensemble.mean_) / ensemble.scale_, 8, axis=0
        )
        windows = windows.transpose(0, 2, 1)[:20].astype("float32")
        expected = np.mean([member.predict(windows, verbose=0) for member in members], axis=0)
        np.testing.assert_allclose(ensemble.model_.predict(windows, verbose=0), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "corrupt, match",
    [
        (lambda state: state.pop("mean"), "key 'mean': Field required"),
        (lambda state: state.update(detector="forest"), "key 'detector': Input should be 'autoencoder' or 'residual'"),
        (lambda state: state["params"].update(seed={"one": 1}), "key 'params.seed': a keyword argument must be null"),
        (lambda state: state["params"].update(unit=4), "key 'params': .*unexpected keyword argument 'unit'"),
        (lambda state: state.update(scale=[1.0, 2.0, 3.0]), "mean and scale must have the same shape"),
        (
            lambda state: state.update(scale=[0.0] * len(state["mean"])),
            r"scale\[0\]\[0\] is 0; a scale must be positive",
        ),
        (lambda state: state.update(reference_offsets=[0, 5]), "'reference_offsets'"),
    ],
)
def test_corrupted_detector_json_is_a_run_error_naming_the_file(fitted, tmp_path, corrupt, match):
    folder = fitted.save(tmp_path / "detector")
    state = json.loads((folder / "detector.json").read_text())
    corrupt(state)
    (folder / "detector.json").write_text(json.dumps(state))
    with pytest.raises(RunError, match=match) as caught:
        load_detector(folder)
    assert str(folder / "detector.json") in str(caught.value) and "\n" not in str(caught.value)


def test_corrupted_reference_errors_and_network_are_run_errors(fitted, tmp_path):
    folder = fitted.save(tmp_path / "detector")
    (folder / "network" / "model.keras").write_bytes(b"not a zip file")
    with pytest.raises(RunError, match="cannot load the network|not a loadable Keras model") as caught:
        load_detector(folder)
    assert str(folder / "network") in str(caught.value)
    (folder / "reference_errors.npy").write_bytes(b"garbage")
    with pytest.raises(RunError, match="not a saved numpy array") as caught:
        load_detector(folder)
    assert str(folder / "reference_errors.npy") in str(caught.value)


def test_a_format_1_detector_json_with_the_anomaly_config_still_loads(fitted, tmp_path):
    folder = fitted.save(tmp_path / "detector")
    state = json.loads((folder / "detector.json").read_text())
    params = state.pop("params")
    config = {
        key: params[key]
        for key in (
            "kind",
            "gated_cell",
            "units",
            "lookback",
            "mode",
            "val_fraction",
            "epochs",
            "batch_size",
            "learning_rate",
            "patience",
            "max_train_windows",
            "ensemble",
        )
    }
    state.update(
        format_version=1,
        config={**config, "detector": fitted.name, "normal": "first", "ewma_span": 0},
        seed=params["seed"],
    )
    (folder / "detector.json").write_text(json.dumps(state))
    assert load_detector(folder).get_params() == fitted.get_params()


def test_make_detector_takes_keyword_arguments_and_refuses_an_unknown_detector():
    detector = make_detector("autoencoder", lookback=10, units=3, epochs=2, clipnorm=None, seed=4)
    assert isinstance(detector, AutoencoderDetector)
    assert detector.get_params()["lookback"] == 10 and detector.window_length == 10 and detector.clipnorm is None
    assert make_detector("residual", lookback=10).window_length == 11
    with pytest.raises(ValueError, match="detector must be one of"):
        make_detector("forest")


def test_detector_saved_without_reference_offsets_loads_as_one_segment(fitted, tmp_path):
    folder = fitted.save(tmp_path / "detector")
    state = json.loads((folder / "detector.json").read_text())
    del state["reference_offsets"]
    (folder / "detector.json").write_text(json.dumps(state))
    assert load_detector(folder).reference_offsets_.tolist() == [0, len(fitted.reference_errors_)]


def test_normal_windows_hold_out_only_what_gives_a_validation_window():
    offsets = np.array([0, 100, 200])
    normal = np.zeros(200, dtype=bool)
    normal[:60] = normal[100:130] = True
    # Series 0 holds out its last 12 normal rows (>= one window of 8); series 1's 6 would give no
    # validation window, so it trains on all of its 30 normal rows and gives no reference segment.
    train, val, segments = _normal_windows(normal, offsets, length=8, val_fraction=0.2)
    assert train.tolist() == list(range(0, 41)) + list(range(100, 123))
    assert val.tolist() == list(range(48, 53))
    assert segments == [(48, 60)]
    # Nothing held out anywhere: train on every normal window; the reference covers all normal rows.
    train, val, segments = _normal_windows(normal, offsets, length=8, val_fraction=0.1)
    assert train.tolist() == list(range(0, 53)) + list(range(100, 123))
    assert val.size == 0
    assert segments == [(0, 60), (100, 130)]


def test_reference_errors_keep_one_segment_per_series():
    config = dict(detector="residual", kind="gru", units=4, lookback=8, epochs=1, val_fraction=0.25)
    values = np.concatenate([sine_series(80, n=120), 5.0 + sine_series(81, n=120)])
    normal = np.tile(np.arange(120) < 80, 2)
    detector = make_detector(**config).fit(values, normal, np.array([0, 120, 240]))
    # Each series holds out its last 20 normal rows, scored causally: the first 8 have no full window.
    assert detector.reference_offsets_.tolist() == [0, 12, 24]
    assert detector.reference_errors_.shape == (24, 1)
