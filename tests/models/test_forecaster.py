"""The Forecaster facade: fit, predict, save/load, determinism, resume, errors."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
from model_data import ArrayDataset, make_sine_windows
from sklearn.base import clone

from forecaster.errors import DataError, NotFittedError, RunError
from forecaster.models import Forecaster, WindowSubset

SMALL = dict(units=8, kind="gru", segment_length=3)


def _training(**options) -> dict:
    return {"epochs": 2, "verbose": 0, "schedule": "constant", **options}


def test_predict_before_fit_raises_not_fitted():
    forecaster = Forecaster()
    with pytest.raises(NotFittedError, match="fit"):
        forecaster.predict({"past": np.zeros((1, 4, 1), dtype="float32")})
    with pytest.raises(NotFittedError):
        forecaster.save("unused")
    assert not hasattr(forecaster, "model_")


def test_training_reduces_loss_on_a_sine(sine_data):
    train, val = sine_data
    cfg = dict(units=16, kind="gru", segment_length=6, quantiles=[], channel_independent=True)
    training = _training(epochs=10, learning_rate=1e-2, schedule="cosine")
    forecaster = Forecaster(**cfg, **training, seed=0).fit(
        ArrayDataset(train.inputs, train.targets, batch_size=16), val
    )
    history = forecaster.history_
    assert len(history["loss"]) == 10 and len(history["val_loss"]) == 10
    assert history["val_loss"][-1] < 0.2 * history["val_loss"][0]
    inputs, targets = make_sine_windows(32, 24, 6, seed=1)
    assert np.mean((forecaster.predict(inputs) - targets) ** 2) < 0.1


def test_quantile_forecaster_predicts_ordered_quantiles_and_median(sine_data):
    train, val = sine_data
    forecaster = Forecaster(**SMALL, **_training(), seed=0).fit(train, val)
    inputs, _ = make_sine_windows(5, 24, 6, seed=2)
    quantiles = forecaster.predict_quantiles(inputs)
    assert quantiles.shape == (5, 6, 2, 3)
    assert (np.diff(quantiles, axis=-1) >= 0).all()
    np.testing.assert_array_equal(forecaster.predict(inputs), quantiles[..., 1])


def test_point_forecaster_refuses_predict_quantiles(sine_data):
    train, _ = sine_data
    forecaster = Forecaster(**SMALL, quantiles=(), **_training(epochs=1)).fit(train)
    with pytest.raises(ValueError, match="quantiles"):
        forecaster.predict_quantiles(make_sine_windows(2, 24, 6)[0])


def test_same_seed_gives_same_model(sine_data):
    train, val = sine_data
    inputs, _ = make_sine_windows(4, 24, 6, seed=3)
    runs = [Forecaster(**SMALL, **_training(), seed=7).fit(train, val) for _ in range(2)]
    np.testing.assert_allclose(runs[0].predict(inputs), runs[1].predict(inputs), rtol=1e-5, atol=1e-6)
    assert runs[0].history_["loss"] == pytest.approx(runs[1].history_["loss"], rel=1e-5)


def test_save_and_load_give_identical_predictions_in_safe_mode(sine_data, tmp_path):
    train, val = sine_data
    cfg = dict(
        **SMALL,
        encoder="segment",
        channel_independent=True,
        attention="additive",
        bidirectional=True,
        decoder="gru",
    )
    forecaster = Forecaster(**cfg, **_training(epochs=1), seed=0).fit(train, val)
    folder = forecaster.save(tmp_path / "run")
    loaded = Forecaster.load(folder)
    inputs, _ = make_sine_windows(6, 24, 6, seed=4)
    np.testing.assert_array_equal(loaded.predict_quantiles(inputs), forecaster.predict_quantiles(inputs))
    assert loaded.get_params() == forecaster.get_params() and loaded.history_ == forecaster.history_
    state = json.loads((folder / "forecaster.json").read_text())
    assert state["format_version"] == 2 and state["params"]["seed"] == 0 and state["params"]["encoder"] == "segment"


@pytest.mark.parametrize("cell", ["lstm", "gru", "peephole"])
def test_gated_models_round_trip(cell, sine_data, tmp_path):
    train, _ = sine_data
    cfg = dict(units=4, kind="gated", gated_cell=cell, segment_length=6)
    forecaster = Forecaster(**cfg, **_training(epochs=1)).fit(train)
    loaded = Forecaster.load(forecaster.save(tmp_path / cell))
    inputs, _ = make_sine_windows(3, 24, 6, seed=5)
    np.testing.assert_allclose(loaded.predict(inputs), forecaster.predict(inputs), rtol=1e-6, atol=1e-6)


def test_load_refuses_a_folder_without_a_model(tmp_path):
    with pytest.raises(RunError, match="forecaster.json: missing"):
        Forecaster.load(tmp_path)


class _Interrupt(keras.callbacks.Callback):
    """Stop the process (simulated) at the end of one epoch, after the checkpoint has saved it."""

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


def test_killed_fit_resumes_from_the_last_completed_epoch(sine_data, tmp_path, monkeypatch):
    train, val = sine_data
    backup = tmp_path / "backup"
    cfg, training = dict(**SMALL), _training(epochs=4, schedule="cosine")
    original_fit = keras.Model.fit

    def fit_with_interrupt(model, *args, callbacks=(), **kwargs):
        return original_fit(model, *args, callbacks=[*callbacks, _Interrupt()], **kwargs)

    monkeypatch.setattr(keras.Model, "fit", fit_with_interrupt)
    with pytest.raises(KeyboardInterrupt):
        Forecaster(**cfg, **training, seed=0).fit(train, val, backup_dir=backup)
    monkeypatch.undo()
    assert (backup / "checkpoint.npz").is_file()

    class _Epochs(keras.callbacks.Callback):
        seen: list[int] = []

        def on_epoch_begin(self, epoch, logs=None):
            self.seen.append(epoch)

    def fit_counting_epochs(model, *args, callbacks=(), **kwargs):
        return original_fit(model, *args, callbacks=[*callbacks, _Epochs()], **kwargs)

    monkeypatch.setattr(keras.Model, "fit", fit_counting_epochs)
    resumed = Forecaster(**cfg, **training, seed=0).fit(train, val, backup_dir=backup)
    assert _Epochs.seen == [2, 3]
    assert len(resumed.history_["loss"]) == 4
    assert resumed.history_["learning_rate"][2] == pytest.approx(1e-3 * 0.5 * (1 + np.cos(np.pi * 2 / 4)), rel=1e-5)
    assert resumed.resumes_ == [{"network": "forecaster_network", "completed_epochs": 2}]
    assert (backup / "checkpoint.npz").is_file()  # kept until the caller has saved the results
    fresh = Forecaster(**cfg, **training, seed=0).fit(train, val)
    assert fresh.history_ == resumed.history_
    for left, right in zip(resumed.model_.get_weights(), fresh.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(left, right)


def test_checkpoint_plateau_schedule_and_max_train_windows(sine_data, tmp_path):
    train, val = sine_data
    checkpoint = tmp_path / "best.keras"
    training = _training(schedule="plateau", l2=1e-4, clipnorm=0.5, max_train_windows=32)
    forecaster = Forecaster(**SMALL, **training).fit(train, val, checkpoint_path=checkpoint)
    assert checkpoint.is_file()
    assert len(forecaster.history_["loss"]) == 2


def test_sample_weight_batches_train(sine_data):
    inputs, targets = make_sine_windows(64, 24, 6, n_calendar=2)
    weights = np.ones(targets.shape[:2], dtype="float32")
    weights[:, -1] = 0.0
    data = ArrayDataset(inputs, targets, batch_size=32, sample_weight=weights)
    forecaster = Forecaster(**SMALL, quantiles=(), **_training(epochs=1)).fit(data)
    assert forecaster.predict(data).shape == (64, 6, 2)


def test_window_subset_serves_a_new_random_subset_each_epoch():
    inputs, targets = make_sine_windows(100, 24, 6)
    subset = WindowSubset(ArrayDataset(inputs, targets, batch_size=10), max_windows=25, seed=0)
    assert len(subset) == 3
    first = [subset[i][1][0, 0, 0] for i in range(3)]
    subset.on_epoch_end()
    second = [subset[i][1][0, 0, 0] for i in range(3)]
    assert first != second


def test_fit_refuses_malformed_batches():
    bad = ArrayDataset({"x": np.zeros((4, 3, 1), dtype="float32")}, np.zeros((4, 2, 1), dtype="float32"), batch_size=2)
    with pytest.raises(DataError, match="past"):
        Forecaster(**_training()).fit(bad)


def test_ensemble_averages_independent_members_and_round_trips(sine_data, tmp_path):
    train, val = sine_data
    cfg = dict(**SMALL, quantiles=[])
    ensemble = Forecaster(**cfg, **_training(ensemble=2), seed=3).fit(train, val)
    singles = [Forecaster(**cfg, **_training(), seed=seed).fit(train, val) for seed in (3, 4)]
    inputs, _ = make_sine_windows(5, 24, 6, seed=6)
    expected = (singles[0].predict(inputs) + singles[1].predict(inputs)) / 2
    np.testing.assert_allclose(ensemble.predict(inputs), expected, rtol=1e-5, atol=1e-6)
    assert ensemble.history_["member"] == [0, 0, 1, 1]
    assert ensemble.history_["loss"] == pytest.approx(
        singles[0].history_["loss"] + singles[1].history_["loss"], rel=1e-5
    )
    loaded = Forecaster.load(ensemble.save(tmp_path / "ensemble"))
    np.testing.assert_array_equal(loaded.predict(inputs), ensemble.predict(inputs))


def test_resumed_ensemble_reuses_finished_members(sine_data, tmp_path, monkeypatch):
    train, val = sine_data
    backup = tmp_path / "backup"
    cfg, training = dict(**SMALL, quantiles=[]), _training(ensemble=2, epochs=1)
    original_fit = keras.Model.fit
    fitted: list[str] = []

    def fit_then_maybe_stop(model, *args, **kwargs):
        fitted.append(model.name)
        if model.name == "member_1" and fitted.count("member_1") == 1:
            raise KeyboardInterrupt
        return original_fit(model, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", fit_then_maybe_stop)
    with pytest.raises(KeyboardInterrupt):
        Forecaster(**cfg, **training, seed=0).fit(train, val, backup_dir=backup)
    assert (backup / "member_0.keras").is_file() and (backup / "member_0.json").is_file()
    resumed = Forecaster(**cfg, **training, seed=0).fit(train, val, backup_dir=backup)
    assert fitted == ["member_0", "member_1", "member_1"]
    assert resumed.history_["member"] == [0, 1]
    fresh = Forecaster(**cfg, **training, seed=0).fit(train, val)
    inputs, _ = make_sine_windows(4, 24, 6, seed=8)
    np.testing.assert_allclose(resumed.predict(inputs), fresh.predict(inputs), rtol=1e-5, atol=1e-6)


def test_keyword_construction_fits_predicts_clones_and_round_trips(sine_data, tmp_path):
    train, val = sine_data
    forecaster = Forecaster(units=8, kind="gru", quantiles=(), epochs=1, verbose=0, seed=3)
    assert clone(forecaster).get_params() == forecaster.get_params()
    assert forecaster.fit(train, val) is forecaster
    inputs, _ = make_sine_windows(4, 24, 6, seed=9)
    assert forecaster.predict(inputs).shape == (4, 6, 2)
    loaded = Forecaster.load(forecaster.save(tmp_path / "run"))
    assert loaded.get_params() == forecaster.get_params()
    assert loaded.history_ == forecaster.history_ and len(loaded.history_["loss"]) == 1
    np.testing.assert_array_equal(loaded.predict(inputs), forecaster.predict(inputs))


def test_a_format_1_state_file_with_config_sections_still_loads(sine_data, tmp_path):
    train, _ = sine_data
    forecaster = Forecaster(units=4, quantiles=(), epochs=1, verbose=0, seed=5).fit(train)
    folder = forecaster.save(tmp_path / "run")
    state = json.loads((folder / "forecaster.json").read_text())
    params = state.pop("params")
    network = {key: params.pop(key) for key in ("kind", "units", "quantiles", "loss", "instance_norm")}
    state.update(format_version=1, model=network, training={**params, "batch_size": 32}, seed=params.pop("seed"))
    (folder / "forecaster.json").write_text(json.dumps(state))
    loaded = Forecaster.load(folder)
    assert loaded.get_params() == forecaster.get_params()


def test_an_unknown_saved_argument_is_refused_with_one_line(sine_data, tmp_path):
    train, _ = sine_data
    folder = Forecaster(units=4, quantiles=(), epochs=1, verbose=0).fit(train).save(tmp_path / "run")
    state = json.loads((folder / "forecaster.json").read_text())
    state["params"]["unit"] = 4
    (folder / "forecaster.json").write_text(json.dumps(state))
    with pytest.raises(RunError, match=r"forecaster.json: key 'params': .*unexpected keyword argument 'unit'"):
        Forecaster.load(folder)
