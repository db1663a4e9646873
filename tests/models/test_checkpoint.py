"""Exact training checkpoints: a fit interrupted at any epoch and resumed equals an uninterrupted fit, bit for bit."""

import logging

import keras
import numpy as np
import pytest
from model_data import ArrayDataset, make_sine_windows

from forecaster.anomaly.detectors import AutoencoderDetector
from forecaster.errors import TrainingError
from forecaster.models import Forecaster
from forecaster.models.checkpoint import CHECKPOINT_FILE

MODEL = dict(units=8, kind="lstm", dropout=0.2, recurrent_dropout=0.1, quantiles=())


class ShuffledDataset(ArrayDataset):
    """An ArrayDataset served in a new random order each epoch, with the random-state protocol of the checkpoints."""

    def __init__(self, inputs, targets, batch_size, seed=0):
        super().__init__(inputs, targets, batch_size)
        self._rng = np.random.default_rng(seed)
        self._order = np.arange(len(targets))

    def __getitem__(self, index):
        rows = self._order[index * self.batch_size : (index + 1) * self.batch_size]
        return {name: values[rows] for name, values in self.inputs.items()}, self.targets[rows]

    def on_epoch_end(self):
        self._order = self._rng.permutation(len(self.targets))

    def random_state(self):
        return self._rng.bit_generator.state

    def set_random_state(self, state):
        self._rng.bit_generator.state = state


def datasets():
    train = ShuffledDataset(*make_sine_windows(128, 24, 6, seed=0), batch_size=16)
    inputs, targets = make_sine_windows(32, 24, 6, seed=1)
    noise = np.random.default_rng(2).normal(size=targets.shape).astype("float32")  # a validation loss that stalls
    val = ArrayDataset(inputs, noise, batch_size=32)
    return train, val


def training(**options):
    return {
        "epochs": 6,
        "verbose": 0,
        "learning_rate": 0.03,
        "patience": 1,
        "schedule": "plateau",
        "max_train_windows": 64,
        **options,
    }


def interrupted_then_resumed(monkeypatch, backup, config, stop_network, stop_epoch, seed=0):
    """Fit a forecaster until ``stop_network`` ends epoch ``stop_epoch`` (0-based), stop it as a kill would, then fit again."""
    return killed_then_run_again(
        monkeypatch,
        lambda: Forecaster(**MODEL, **config, seed=seed).fit(*datasets(), backup_dir=backup),
        stop_network,
        stop_epoch,
    )


def killed_then_run_again(monkeypatch, run, stop_network, stop_epoch):
    """Call ``run()`` until ``stop_network`` ends epoch ``stop_epoch`` (0-based), stop it as a kill would, then call it again."""
    original_fit = keras.Model.fit

    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if self.model.name == stop_network and epoch == stop_epoch:
                raise KeyboardInterrupt

    def fit(model, *args, callbacks=(), **kwargs):
        return original_fit(model, *args, callbacks=[*callbacks, Interrupt()], **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(keras.Model, "fit", fit)
        with pytest.raises(KeyboardInterrupt):
            run()
    return run()


def assert_same(resumed, fresh):
    assert resumed.history_ == fresh.history_
    for left, right in zip(resumed.model_.get_weights(), fresh.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(left, right)


@pytest.mark.parametrize("stop_epoch", [0, 2])
def test_resume_keeps_early_stopping_schedule_dropout_and_data_order(monkeypatch, tmp_path, stop_epoch):
    fresh = Forecaster(**MODEL, **training(), seed=0).fit(*datasets())
    assert len(fresh.history_["loss"]) < 6, "early stopping takes part in this fit"
    resumed = interrupted_then_resumed(monkeypatch, tmp_path / "backup", training(), "forecaster_network", stop_epoch)
    assert_same(resumed, fresh)
    assert resumed.resumes_ == [{"network": "forecaster_network", "completed_epochs": stop_epoch + 1}]


def test_resumed_ensemble_equals_an_uninterrupted_one(monkeypatch, tmp_path):
    config = training(ensemble=2, epochs=3, patience=5)
    fresh = Forecaster(**MODEL, **config, seed=0).fit(*datasets())
    resumed = interrupted_then_resumed(monkeypatch, tmp_path / "backup", config, "member_1", 0)
    assert_same(resumed, fresh)
    assert resumed.resumes_ == [{"network": "member_1", "completed_epochs": 1}]


def test_a_backup_of_other_training_is_discarded_with_one_warning(tmp_path, caplog):
    backup = tmp_path / "backup"
    Forecaster(**MODEL, **training(epochs=1), seed=0).fit(*datasets(), backup_dir=backup)
    with caplog.at_level(logging.WARNING):
        other = Forecaster(**MODEL, **training(epochs=1), seed=1).fit(*datasets(), backup_dir=backup)
    assert [record.getMessage() for record in caplog.records] == [
        f"{backup}: discarding the training backup, made for other training (differs: training.seed); training "
        "starts afresh (give each network and data set its own backup_dir to keep both)"
    ]
    assert_same(other, Forecaster(**MODEL, **training(epochs=1), seed=1).fit(*datasets()))
    assert other.resumes_ == []


@pytest.mark.parametrize(
    "damage", [lambda data: data[: len(data) // 3], lambda data: data[:-40] + bytes(40), lambda data: b""]
)
def test_a_torn_checkpoint_is_ignored_with_one_warning(tmp_path, caplog, damage):
    backup = tmp_path / "backup"
    Forecaster(**MODEL, **training(epochs=1), seed=0).fit(*datasets(), backup_dir=backup)
    path = backup / CHECKPOINT_FILE
    path.write_bytes(damage(path.read_bytes()))
    with caplog.at_level(logging.WARNING):
        resumed = Forecaster(**MODEL, **training(epochs=1), seed=0).fit(*datasets(), backup_dir=backup)
    assert len(caplog.records) == 1 and "ignoring the training checkpoint" in caplog.records[0].getMessage()
    assert resumed.resumes_ == []


def test_a_diverging_loss_stops_training_with_one_line():
    inputs, targets = make_sine_windows(64, 24, 6, seed=0)
    huge = ArrayDataset(inputs, targets * np.float32(1e30), batch_size=32)
    with pytest.raises(
        TrainingError, match=r"^training diverged: loss is inf after epoch 1; lower training.learning_rate"
    ):
        Forecaster(units=4, quantiles=(), instance_norm=False, **training(epochs=2)).fit(huge)


def sine_rows(n_rows=240, seed=0):
    """Two noisy sine columns, ``(n_rows, 2)``, for the autoencoder detector."""
    steps = np.arange(n_rows)[:, None]
    noise = 0.05 * np.random.default_rng(seed).standard_normal((n_rows, 2))
    return np.sin(2 * np.pi * steps / 24 + np.array([0.0, 0.7])) + noise


AUTOENCODER = dict(
    lookback=12, units=4, batch_size=16, learning_rate=0.03, patience=1, max_train_windows=None, verbose=0, seed=0
)


@pytest.mark.parametrize(("ensemble", "stop_network", "stop_epoch"), [(1, "autoencoder", 1), (2, "member_1", 0)])
def test_the_autoencoder_detector_resumes_exactly_after_a_killed_fit(
    monkeypatch, tmp_path, ensemble, stop_network, stop_epoch
):
    values, normal = sine_rows(), np.arange(240) < 180
    settings = {**AUTOENCODER, "epochs": 3, "ensemble": ensemble}
    fresh = AutoencoderDetector(**settings).fit(values, normal)
    backup = tmp_path / "backup"
    resumed = killed_then_run_again(
        monkeypatch,
        lambda: AutoencoderDetector(**settings).fit(values, normal, backup_dir=backup),
        stop_network,
        stop_epoch,
    )
    assert_same(resumed, fresh)
    assert len(resumed.history_["loss"]) == 3 * ensemble
    np.testing.assert_array_equal(resumed.reference_errors_, fresh.reference_errors_)
    assert (backup / ("checkpoint.npz" if ensemble == 1 else "member_0.keras")).is_file()


@pytest.mark.parametrize("clipnorm", [0.25, None])
def test_the_autoencoder_detector_trains_with_the_configured_clipnorm(clipnorm):
    detector = AutoencoderDetector(**{**AUTOENCODER, "epochs": 1, "clipnorm": clipnorm}).fit(
        sine_rows(), np.ones(240, bool)
    )
    assert detector.model_.optimizer.clipnorm == clipnorm
