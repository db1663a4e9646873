"""The one training loop of every network here: a deep ensemble of members trained resumably, then averaged.

:func:`fit_ensemble` trains ``ensemble`` networks one after the other with
seeds ``seed, ..., seed + ensemble - 1`` (Lakshminarayanan et al., 2017,
"Simple and scalable predictive uncertainty estimation using deep
ensembles"), each with Adam, gradient clipping by norm, a learning-rate
schedule, early stopping that restores the best weights, a stop on a
diverging loss, and an exact checkpoint after every epoch
(:class:`~forecaster.models.checkpoint.TrainingCheckpoint`) when a backup
folder is given; the members are then joined into one network that averages
their outputs (:func:`~forecaster.models.ensemble.average_networks`). A
backup folder is reused only by the training it was made for: its
fingerprint records the network, the training arguments and
:func:`data_fingerprint` of the data. The forecaster and the autoencoder
anomaly detector both train through it.
"""

from __future__ import annotations

import functools
import json
import logging
import math
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np

from forecaster.errors import DataError, TrainingError
from forecaster.models.checkpoint import (
    CHECKPOINT_FILE,
    RESUMES_FILE,
    TrainingCheckpoint,
    random_state,
    set_random_state,
    write_atomic,
)
from forecaster.models.ensemble import average_networks, merge_histories

logger = logging.getLogger(__name__)

SCHEDULES = ("constant", "cosine", "plateau")
FINGERPRINT_FILE = "fingerprint.json"
"""The file in a backup folder that records which training the backup belongs to (:func:`fit_ensemble`)."""
BACKUP_FILES = (
    CHECKPOINT_FILE,
    RESUMES_FILE,
    "member_*.keras",
    "member_*.json",
    f"member_*/{CHECKPOINT_FILE}",
    f"member_*/{RESUMES_FILE}",
)
"""Glob patterns of the files a backup keeps training state in (an ensemble's members and their checkpoints)."""


def fit_ensemble(
    build: Callable[[str], keras.Model],
    loss: str | keras.losses.Loss,
    train_data: keras.utils.PyDataset,
    val_data: keras.utils.PyDataset | None = None,
    *,
    seed: int = 42,
    epochs: int = 20,
    learning_rate: float = 1e-3,
    schedule: str = "plateau",
    clipnorm: float | None = 1.0,
    patience: int = 5,
    max_train_windows: int | None = None,
    ensemble: int = 1,
    verbose: int = 2,
    identity: dict | None = None,
    backup_dir: str | Path | None = None,
    checkpoint_path: str | Path | None = None,
    name: str = "network",
    ensemble_name: str = "ensemble",
) -> tuple[keras.Model, dict[str, list[float]], list[dict]]:
    """Train ``ensemble`` networks from ``build`` and return them averaged into one.

    Each member is built by ``build(member_name)`` right after
    ``keras.utils.set_random_seed(seed + k)`` and compiled with
    ``keras.optimizers.Adam(learning_rate, clipnorm=clipnorm)`` and ``loss``.
    Early stopping watches ``val_loss`` (``loss`` without ``val_data``) and
    restores the best weights. A loss or validation loss that turns NaN or
    infinite stops training with a :class:`~forecaster.errors.TrainingError`.

    With ``backup_dir``, an exact checkpoint (weights, optimizer, callbacks,
    history, random states; see :mod:`forecaster.models.checkpoint`) is written
    atomically after every epoch: calling again with the same arguments and
    ``backup_dir`` after a killed job resumes at the first unfinished epoch and
    ends with the weights and history an uninterrupted fit would have reached.
    Each finished member of an ensemble is kept there (``member_<k>.keras`` and
    its record), so a resumed job skips it. The backup is kept when training
    ends; the caller removes it.

    The backup belongs to one training: ``fingerprint.json`` records the
    network (``identity`` and the Keras config of the first network built),
    every training argument that changes the weights (all above but
    ``verbose``) and :func:`data_fingerprint` of ``train_data`` and
    ``val_data``. A backup recorded for other training is not reused: its
    checkpoints and finished members are deleted with one warning that names
    the folder and what differs (``network.units``, ``training.seed``,
    ``data.train``, ...), and training starts afresh. Discarding rather than
    refusing, because a backup is only a means to resume: it cannot serve the
    new training, so a refusal would leave the user nothing to do but delete
    the folder by hand; the CLI keys its backup folders by config and data, so
    it never meets another training's backup. Give each network its own
    ``backup_dir`` to keep both backups. A backup written before fingerprints
    were recorded (no ``fingerprint.json``) is resumed as before, trusting
    that the same call wrote it (the CLI's keyed folders guarantee it), with
    one warning; its fingerprint is recorded from then on.

    Args:
        build: returns the uncompiled network, given its name (members of an
            ensemble get distinct names).
        loss: a Keras loss (name or object).
        train_data: training batches; a dataset with ``random_state()`` /
            ``set_random_state(state)`` (and ``.dataset`` when it wraps one)
            resumes its shuffling exactly.
        val_data: validation batches, or ``None``. Default ``None``.
        seed: seed of the first member (``keras.utils.set_random_seed``); member
            ``k`` uses ``seed + k``. Default 42.
        epochs: maximum epochs per member (>= 1). Default 20.
        learning_rate: Adam's initial learning rate (> 0). Default 1e-3.
        schedule: ``constant``, ``cosine`` (per-epoch cosine decay towards 0 over
            ``epochs``; Loshchilov & Hutter, 2017, without restarts) or
            ``plateau`` (halve the rate after ``max(1, patience // 2)`` epochs
            without improvement). Default ``"plateau"``.
        clipnorm: clip each gradient to this norm; ``None`` disables clipping. Default 1.0.
        patience: epochs without improvement before early stopping (>= 1). Default 5.
        max_train_windows: train each epoch on a random subset of batches holding
            about this many windows (:class:`WindowSubset`); ``None`` uses all. Default ``None``.
        ensemble: members trained and averaged (>= 1). Default 1.
        verbose: Keras progress output: 0 silent, 1 a progress bar, 2 a line per epoch. Default 2.
        identity: JSON-ready description of the network (its keyword arguments
            and input shapes), part of the backup's fingerprint; a backup of
            another identity is discarded and training starts afresh. Default ``None``.
        backup_dir: folder of the resumable backup, reused only by the same
            network, training arguments and data (see above); ``None``
            disables it. Default ``None``.
        checkpoint_path: ``.keras`` file that keeps the best network seen (of the
            member in training); ``None`` disables it. Default ``None``.
        name: the network's name when ``ensemble`` is 1. Default ``"network"``.
        ensemble_name: the averaged network's name when ``ensemble > 1``. Default ``"ensemble"``.

    Returns:
        ``(model, history, resumes)``: the trained network (one member, or the
        members averaged); the per-epoch logs ``{"loss": [...], "val_loss":
        [...], "learning_rate": [...]}`` (an ensemble's list every member's
        epochs in turn, with a ``member`` entry per epoch); one ``{"network",
        "completed_epochs"}`` per resume from ``backup_dir`` (empty for a fit
        that was never interrupted).

    Raises:
        ValueError: naming the argument, for an unknown ``schedule`` or a count below 1.
        DataError: for an empty ``train_data`` or ``val_data``.
        TrainingError: when the loss diverges, or the backup (checkpoint, fingerprint) cannot be written.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"fit_ensemble: schedule must be one of {SCHEDULES}, got {schedule!r}")
    for argument, value in (("epochs", epochs), ("patience", patience), ("ensemble", ensemble)):
        if value < 1:
            raise ValueError(f"fit_ensemble: {argument} must be >= 1, got {value}")
    if len(train_data) == 0:
        raise DataError("training data: no windows; lengthen the training split or shorten the windows")
    if val_data is not None and len(val_data) == 0:
        raise DataError("validation data: no windows; pass None or lengthen the validation split")
    training = {
        "loss": loss if isinstance(loss, str) else type(loss).__name__,
        "epochs": epochs,
        "learning_rate": learning_rate,
        "schedule": schedule,
        "clipnorm": clipnorm,
        "patience": patience,
        "max_train_windows": max_train_windows,
        "verbose": verbose,
    }
    backup = None if backup_dir is None else Path(backup_dir)
    data = {}  # read before the first seeding, so serving batches cannot move a random state the training uses
    if backup is not None:
        data = {"data.train": data_fingerprint(train_data), "data.val": data_fingerprint(val_data)}
    names = [name] if ensemble == 1 else [f"member_{member}" for member in range(ensemble)]
    first = _build_member(build, seed, names[0])
    if backup is not None:
        _claim_backup(backup, _backup_fingerprint(first, identity, loss, training, seed, ensemble, data))
    fit_one = functools.partial(
        _fit_member,
        loss=loss,
        train_data=train_data,
        val_data=val_data,
        training=training,
        identity=identity,
        checkpoint_path=checkpoint_path,
    )
    if ensemble == 1:
        return fit_one(first, seed, name, backup)
    members, histories, all_resumes = [], [], []
    for member, member_name in enumerate(names):
        finished = None if backup is None else backup / f"{member_name}.keras"
        record = None if finished is None else _read_member(finished.with_suffix(".json"))
        if record is not None and finished.is_file():
            logger.info("ensemble %s: reusing the finished network in %s", member_name, finished)
            model = keras.saving.load_model(finished, safe_mode=True)
            logs, resumes = record["history"], record["resumes"]
            set_random_state(train_data, record["data_state"])
        else:
            model = first if member == 0 else _build_member(build, seed + member, member_name)
            member_backup = None if backup is None else backup / member_name
            model, logs, resumes = fit_one(model, seed + member, member_name, member_backup)
            # The record first, the model renamed into place last: a kill leaves no half member.
            if finished is not None:
                record = {"history": logs, "resumes": resumes, "data_state": random_state(train_data)}
                write_atomic(finished.with_suffix(".json"), json.dumps(record).encode())
                partial = finished.with_name(f"{member_name}.partial.keras")
                model.save(partial)
                partial.replace(finished)
        members.append(model)
        histories.append(logs)
        all_resumes += resumes
    return average_networks(members, name=ensemble_name), merge_histories(histories), all_resumes


def data_fingerprint(dataset: keras.utils.PyDataset | None) -> dict | None:
    """Describe the windows a dataset serves, whatever order it serves them in: the training data's identity in a backup.

    Every batch is read once (``dataset[i]``, so a shuffled dataset's state is
    untouched). Each window, i.e. one row of every array of a batch (inputs,
    targets, sample weights), is hashed from its bytes with the SplitMix64
    mixer (Steele, Lea & Flood, 2014, "Fast splittable pseudorandom number
    generators") applied to each 8-byte word and to the window's sum; the
    window hashes are summed modulo 2**64, so the digest does not depend on
    the order of the windows and a dataset shuffled differently has the same
    fingerprint. Costs about one more read of every batch: for the 100,000
    windows of a 100,000 x 8 float32 series, 0.07-0.12 s with 30-row windows
    and 0.2-0.4 s with 120-row windows on 2 CPU cores.

    Args:
        dataset: a :class:`keras.utils.PyDataset` of ``(inputs, targets[,
            sample_weight])`` batches (nested dicts and tuples of arrays), or ``None``.

    Returns:
        JSON-ready ``{"batches", "batch_size", "windows", "arrays", "digest"}``:
        batch count, rows of the first batch, rows in all, ``[shape without
        the batch axis, dtype]`` of each array of the first batch, and the
        digest as 16 hex digits; ``None`` for ``None``.
    """
    if dataset is None:
        return None
    digest = np.zeros(1, dtype=np.uint64)
    windows, first = 0, []
    for index in range(len(dataset)):
        arrays = [np.ascontiguousarray(array) for array in keras.tree.flatten(dataset[index])]
        first = first or arrays
        rows = np.concatenate([array.reshape(len(array), -1).view(np.uint8) for array in arrays], axis=1)
        words = np.pad(rows, ((0, 0), (0, -rows.shape[1] % 8))).view(np.uint64)
        positions = _splitmix64(np.arange(1, words.shape[1] + 1, dtype=np.uint64))
        digest += _splitmix64(_splitmix64(words ^ positions).sum(axis=1, dtype=np.uint64)).sum(dtype=np.uint64)
        windows += len(words)
    return {
        "batches": len(dataset),
        "batch_size": len(first[0]),
        "windows": windows,
        "arrays": [[list(array.shape[1:]), str(array.dtype)] for array in first],
        "digest": f"{int(digest[0]):016x}",
    }


def _splitmix64(words: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, elementwise on uint64 (wrapping) arrays: every input bit affects every output bit."""
    words = (words ^ (words >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    words = (words ^ (words >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return words ^ (words >> np.uint64(31))


def _backup_fingerprint(
    model: keras.Model,
    identity: dict | None,
    loss: str | keras.losses.Loss,
    training: dict,
    seed: int,
    ensemble: int,
    data: dict,
) -> dict:
    """The identity of a training as :func:`fit_ensemble` records it in a backup: one flat JSON dict, keys ``section.name``.

    ``network.*``: the caller's ``identity`` and the network's Keras config
    (``network.config``; the layer names Keras numbers per process replaced by
    their positions). ``training.*``: every argument that changes the trained
    weights (``verbose`` does not). ``data.*``: :func:`data_fingerprint` of
    the training and validation data.
    """
    config = json.loads(model.to_json())
    positions = {layer: f"<layer {k}>" for k, layer in enumerate([model.name, *(layer.name for layer in model.layers)])}
    fingerprint = {
        **{f"network.{key}": value for key, value in (identity or {}).items()},
        "network.config": _rename(config, positions),
        **{f"training.{key}": value for key, value in training.items() if key not in ("loss", "verbose")},
        "training.loss": keras.saving.serialize_keras_object(loss),
        "training.seed": seed,
        "training.ensemble": ensemble,
        **data,
    }
    return json.loads(json.dumps(fingerprint))  # as it reads back from the backup


def _rename(node, names: dict[str, str]):
    """``node`` (JSON) with every string that is a key of ``names`` replaced by its value."""
    if isinstance(node, dict):
        return {key: _rename(value, names) for key, value in node.items()}
    if isinstance(node, list):
        return [_rename(value, names) for value in node]
    return names.get(node, node) if isinstance(node, str) else node


def _claim_backup(folder: Path, fingerprint: dict) -> None:
    """Make ``folder`` the backup of the training ``fingerprint`` describes, discarding a backup of other training.

    A backup recorded with another fingerprint (or an unreadable one) has its
    checkpoints and finished members deleted, with one warning naming what
    differs; a backup written before fingerprints were recorded is kept (and
    resumed), with one warning. Either way the fingerprint is then recorded.

    Raises:
        TrainingError: when the folder or the fingerprint cannot be written.
    """
    path = folder / FINGERPRINT_FILE
    stale = sorted(found for pattern in BACKUP_FILES for found in folder.glob(pattern))
    recorded = _read_json(path)
    if recorded == fingerprint:
        return
    if stale and not path.exists():
        logger.warning(
            "%s: this training backup predates the fingerprints of network and data; resuming it as a backup of "
            "this training (delete the folder first if the network, training arguments or data changed)",
            folder,
        )
    elif stale:
        if isinstance(recorded, dict):
            keys = sorted(
                key for key in fingerprint.keys() | recorded.keys() if fingerprint.get(key) != recorded.get(key)
            )
            differs = ", ".join(keys[:5]) + (f" and {len(keys) - 5} more" if len(keys) > 5 else "")
        else:
            differs = f"its {FINGERPRINT_FILE} is unreadable"
        logger.warning(
            "%s: discarding the training backup, made for other training (differs: %s); training starts afresh "
            "(give each network and data set its own backup_dir to keep both)",
            folder,
            differs,
        )
        for found in stale:
            found.unlink()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(fingerprint).encode())
    except OSError as exc:
        raise TrainingError(
            f"{path}: cannot write the training backup ({exc.strerror or exc}); free space or choose another backup "
            "folder (report.output_dir)"
        ) from None


def _build_member(build: Callable[[str], keras.Model], seed: int, name: str) -> keras.Model:
    """``build(name)`` right after ``keras.utils.set_random_seed(seed)``, so its initial weights follow from ``seed``."""
    keras.utils.set_random_seed(seed)
    model = build(name)
    logger.info("built %s with %d parameters", model.name, model.count_params())
    return model


def _fit_member(
    model: keras.Model,
    seed: int,
    name: str,
    backup_dir: Path | None,
    *,
    loss,
    train_data,
    val_data,
    training: dict,
    identity: dict | None,
    checkpoint_path,
) -> tuple[keras.Model, dict, list[dict]]:
    """Compile and train ``model``, the member ``name`` of :func:`fit_ensemble` just built from ``seed``, resuming from ``backup_dir``.

    Returns:
        ``(model, per-epoch logs, resumes)``.
    """
    train = train_data
    if training["max_train_windows"] is not None:
        train = WindowSubset(train, training["max_train_windows"], seed)
    model.compile(optimizer=keras.optimizers.Adam(training["learning_rate"], clipnorm=training["clipnorm"]), loss=loss)
    monitor = "val_loss" if val_data is not None else "loss"
    callbacks: list[keras.callbacks.Callback] = [
        StopOnDivergence(),
        keras.callbacks.EarlyStopping(monitor=monitor, patience=training["patience"], restore_best_weights=True),
    ]
    if training["schedule"] == "cosine":
        callbacks.append(
            keras.callbacks.LearningRateScheduler(_cosine_schedule(training["learning_rate"], training["epochs"]))
        )
    elif training["schedule"] == "plateau":
        callbacks.append(
            keras.callbacks.ReduceLROnPlateau(monitor=monitor, factor=0.5, patience=max(1, training["patience"] // 2))
        )
    if checkpoint_path is not None:
        callbacks.append(keras.callbacks.ModelCheckpoint(str(checkpoint_path), monitor=monitor, save_best_only=True))
    history = EpochHistory()
    callbacks.append(history)
    initial_epoch = 0
    checkpoint = None
    if backup_dir is not None:
        backup_dir.mkdir(parents=True, exist_ok=True)
        member = {"name": name, "seed": seed, "network": identity, "training": training}
        checkpoint = TrainingCheckpoint(backup_dir, member, train, callbacks[:-1], history, training["epochs"])
        callbacks.append(checkpoint)
        initial_epoch = checkpoint.restore(model)
        if checkpoint.finished:
            checkpoint.apply_finished(model)
            return model, history.logs, checkpoint.resumes
    model.fit(
        train,
        validation_data=val_data,
        epochs=training["epochs"],
        initial_epoch=initial_epoch,
        callbacks=callbacks,
        verbose=training["verbose"],
    )
    return model, history.logs, [] if checkpoint is None else checkpoint.resumes


class WindowSubset(keras.utils.PyDataset):
    """Serve a random subset of a dataset's batches, drawn anew every epoch.

    Each epoch serves ``ceil(max_windows / batch size)`` batches of ``dataset``
    (the batch size read from its first batch), chosen at random without
    replacement; with a shuffled dataset these are random windows.

    Args:
        dataset: the full dataset of batches.
        max_windows: windows per epoch (>= 1).
        seed: seed of the batch choice. Default 0.

    Raises:
        DataError: for an empty ``dataset``.
    """

    def __init__(self, dataset: keras.utils.PyDataset, max_windows: int, seed: int = 0) -> None:
        super().__init__()
        if len(dataset) == 0:
            raise DataError("training data: no windows; lengthen the training split or shorten lookback + horizon")
        self.dataset = dataset
        batch_size = len(dataset[0][1])
        self.n_batches = min(len(dataset), math.ceil(max_windows / batch_size))
        self._rng = np.random.default_rng(seed)
        self._choose()

    def _choose(self) -> None:
        self._chosen = self._rng.choice(len(self.dataset), self.n_batches, replace=False)

    def __len__(self) -> int:
        """Batches per epoch."""
        return self.n_batches

    def __getitem__(self, index: int):
        """Return the ``index``-th batch chosen for this epoch."""
        return self.dataset[int(self._chosen[index])]

    def on_epoch_end(self) -> None:
        """Reshuffle the full dataset and choose a fresh subset of batches."""
        self.dataset.on_epoch_end()
        self._choose()

    def random_state(self) -> dict:
        """The state of the generator that chooses batches (JSON-ready; saved in training checkpoints)."""
        return self._rng.bit_generator.state

    def set_random_state(self, state: dict) -> None:
        """Restore a :meth:`random_state`; the next :meth:`on_epoch_end` chooses from it."""
        self._rng.bit_generator.state = state


class EpochHistory(keras.callbacks.Callback):
    """Collect every epoch's logs (a resumed fit gets the earlier epochs back from its checkpoint).

    Attributes:
        logs: ``{name: [value per epoch]}``.
    """

    def __init__(self) -> None:
        super().__init__()
        self.logs: dict[str, list[float]] = {}

    def on_epoch_end(self, epoch, logs=None) -> None:
        """Append this epoch's logs."""
        for name, value in (logs or {}).items():
            self.logs.setdefault(name, []).append(float(value))


class StopOnDivergence(keras.callbacks.Callback):
    """Stop training with a :class:`~forecaster.errors.TrainingError` when an epoch's loss is NaN or infinite.

    Put it first among the callbacks, so no checkpoint or schedule sees the
    diverged epoch.
    """

    def on_epoch_end(self, epoch, logs=None) -> None:
        """Raise when ``loss`` or ``val_loss`` of this epoch is not finite.

        Raises:
            TrainingError: naming the epoch and the loss.
        """
        for name in ("loss", "val_loss"):
            value = (logs or {}).get(name)
            if value is not None and not math.isfinite(float(value)):
                raise TrainingError(
                    f"training diverged: {name} is {float(value)} after epoch {epoch + 1}; lower training.learning_rate, "
                    "keep training.clipnorm set, or check the data for extreme values"
                )


def _read_member(path: Path) -> dict | None:
    """A finished ensemble member's record (history, resumes, dataset state), or ``None`` when absent or unusable."""
    record = _read_json(path)
    if isinstance(record, dict) and {"history", "resumes", "data_state"} <= set(record):
        return record
    if path.is_file():
        logger.warning("%s: ignoring the unreadable record of a finished ensemble member; training it again", path)
    return None


def _read_json(path: Path):
    """The JSON value in ``path``, or ``None`` when the file is missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _cosine_schedule(learning_rate: float, epochs: int):
    """Per-epoch cosine decay from ``learning_rate`` towards 0 over ``epochs``; epoch-based, so it survives a resume."""

    def schedule(epoch: int, _current: float) -> float:
        return learning_rate * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))

    return schedule
