"""A training backup belongs to one training: another network, other training arguments or other data never reuse it."""

import logging

import numpy as np
import pytest
from model_data import ArrayDataset, make_sine_windows

from forecaster.models import Forecaster
from forecaster.models.training import FINGERPRINT_FILE, data_fingerprint
from forecaster.windows.dataset import WindowDataset

TINY = dict(units=4, quantiles=(), epochs=1, verbose=0, patience=1, schedule="constant")


def fit(backup=None, data_seed=0, **options):
    """A one-epoch forecaster fit on 48 sine windows drawn from ``data_seed``."""
    train = ArrayDataset(*make_sine_windows(48, 12, 3, seed=data_seed), batch_size=16)
    val = ArrayDataset(*make_sine_windows(16, 12, 3, seed=9), batch_size=16)
    return Forecaster(**{**TINY, **options}, seed=0).fit(train, val, backup_dir=backup)


def assert_same(left, right):
    assert left.history_ == right.history_
    for a, b in zip(left.model_.get_weights(), right.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def warnings(caplog):
    """The warnings of forecaster's loggers (TensorFlow warns of retracing when many small fits share a process)."""
    return [record.getMessage() for record in caplog.records if record.name.startswith("forecaster")]


def discarded(backup, differs):
    return (
        f"{backup}: discarding the training backup, made for other training (differs: {differs}); training starts "
        "afresh (give each network and data set its own backup_dir to keep both)"
    )


def test_the_same_training_reuses_its_backup_without_a_warning(tmp_path, caplog):
    backup = tmp_path / "backup"
    first = fit(backup)
    assert (backup / FINGERPRINT_FILE).is_file()
    with caplog.at_level(logging.WARNING):
        again = fit(backup)
    assert warnings(caplog) == []
    assert again.resumes_ == [{"network": "forecaster_network", "completed_epochs": 1}]
    assert_same(again, first)


@pytest.mark.parametrize(
    ("base", "changed", "data_seed", "differs"),
    [
        ({}, {"units": 8}, 0, "network.config, network.units"),
        ({}, {"learning_rate": 0.01}, 0, "training.learning_rate"),
        ({}, {}, 1, "data.train"),
        ({"ensemble": 2}, {"ensemble": 2}, 1, "data.train"),  # finished members of other data are not reused
    ],
    ids=["units", "learning-rate", "data", "ensemble-data"],
)
def test_a_backup_of_another_network_or_other_data_is_discarded_with_one_warning(
    tmp_path, caplog, base, changed, data_seed, differs
):
    backup = tmp_path / "backup"
    fit(backup, **base)
    with caplog.at_level(logging.WARNING):
        other = fit(backup, data_seed, **changed)
    assert warnings(caplog) == [discarded(backup, differs)]
    assert other.resumes_ == []
    assert_same(other, fit(None, data_seed, **changed))


def test_an_unreadable_fingerprint_discards_the_backup(tmp_path, caplog):
    backup = tmp_path / "backup"
    fit(backup)
    (backup / FINGERPRINT_FILE).write_text("{")
    with caplog.at_level(logging.WARNING):
        again = fit(backup)
    assert warnings(caplog) == [discarded(backup, f"its {FINGERPRINT_FILE} is unreadable")]
    assert again.resumes_ == []


def test_a_backup_written_before_fingerprints_resumes_with_one_warning(tmp_path, caplog):
    backup = tmp_path / "backup"
    first = fit(backup)
    (backup / FINGERPRINT_FILE).unlink()  # as the previous code left a killed run's backup
    with caplog.at_level(logging.WARNING):
        legacy = fit(backup)
    assert warnings(caplog) == [
        f"{backup}: this training backup predates the fingerprints of network and data; resuming it as a backup of "
        "this training (delete the folder first if the network, training arguments or data changed)"
    ]
    assert legacy.resumes_ == [{"network": "forecaster_network", "completed_epochs": 1}]
    assert_same(legacy, first)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        fit(backup, data_seed=1)  # the fingerprint recorded on that resume guards the backup from then on
    assert warnings(caplog) == [discarded(backup, "data.train")]


def shuffled_windows(values, seed=0, batch_size=32):
    return WindowDataset(values, np.arange(185), 12, 4, n_targets=1, batch_size=batch_size, shuffle=True, seed=seed)


def test_the_data_fingerprint_ignores_the_order_of_windows_but_not_their_values():
    values = np.random.default_rng(0).standard_normal((200, 3)).astype("float32")
    dataset = shuffled_windows(values)
    fingerprint = data_fingerprint(dataset)
    assert {key: fingerprint[key] for key in ("batches", "batch_size", "windows", "arrays")} == {
        "batches": 6,
        "batch_size": 32,
        "windows": 185,
        "arrays": [[[12, 3], "float32"], [[4, 1], "float32"]],
    }
    dataset.on_epoch_end()
    assert data_fingerprint(dataset) == fingerprint == data_fingerprint(shuffled_windows(values, seed=1))
    changed = values.copy()
    changed[100, 2] += 1e-6
    assert data_fingerprint(shuffled_windows(changed))["digest"] != fingerprint["digest"]
    assert data_fingerprint(shuffled_windows(values, batch_size=16))["batch_size"] == 16
    assert data_fingerprint(None) is None


def test_the_data_fingerprint_tells_apart_windows_that_swapped_values_at_one_step():
    inputs, targets = make_sine_windows(2, 12, 3)
    swapped = {"past": inputs["past"].copy()}
    swapped["past"][[0, 1], 5, 0] = inputs["past"][[1, 0], 5, 0]  # same values at each step, other windows
    original = data_fingerprint(ArrayDataset(inputs, targets, batch_size=2))
    assert data_fingerprint(ArrayDataset(swapped, targets, batch_size=2))["digest"] != original["digest"]


@pytest.mark.parametrize("backup", [False, True], ids=["no-backup", "backup"])
def test_empty_validation_data_is_refused_with_or_without_a_backup(tmp_path, backup):
    from forecaster.errors import DataError

    train = ArrayDataset(*make_sine_windows(48, 12, 3, seed=0), batch_size=16)
    empty = ArrayDataset(*make_sine_windows(0, 12, 3, seed=9), batch_size=16)
    with pytest.raises(DataError, match=r"^validation data: no windows; pass None or lengthen the validation split$"):
        Forecaster(**TINY, seed=0).fit(train, empty, backup_dir=tmp_path / "backup" if backup else None)
