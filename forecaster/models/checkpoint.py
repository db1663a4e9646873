"""Exact, crash-safe training checkpoints: everything the rest of a training run depends on, in one file.

After every epoch :class:`TrainingCheckpoint` writes one ``checkpoint.npz``
holding the network's variables (weights and random-seed state), the
optimizer's variables (step count, moments, learning rate), the callbacks'
state (early stopping's best value, wait and best weights; the plateau
schedule's best value, wait and cooldown), the history, the random states of
Python, numpy and the training datasets, and a manifest that names the
training it belongs to, the variables' shapes and a SHA-256 of every
array. The file is written to a temporary name, flushed to disk and renamed,
so a kill leaves either the previous checkpoint or the new one. A checkpoint
that is torn, altered or belongs to other training is ignored with one
warning line and training starts afresh.

Resuming restores all of it before ``model.fit(initial_epoch=...)``, so a
resumed run ends bit-identical to an uninterrupted one on the same machine.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import random
import zipfile
from pathlib import Path
from typing import Any

import keras
import numpy as np

from forecaster.errors import TrainingError

logger = logging.getLogger(__name__)

CHECKPOINT_FILE = "checkpoint.npz"
RESUMES_FILE = "resumes.json"
CHECKPOINT_FORMAT = 1
CALLBACK_STATE = {
    keras.callbacks.EarlyStopping: ("wait", "stopped_epoch", "best", "best_epoch"),
    keras.callbacks.ReduceLROnPlateau: ("wait", "best", "cooldown_counter"),
    keras.callbacks.ModelCheckpoint: ("best",),
}
"""Attributes that carry each stateful Keras callback's memory from one epoch to the next."""


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader sees the old file or the whole new one, never a part.

    The bytes go to a temporary file beside ``path``, are flushed to disk and
    renamed over ``path``; the folder entry is flushed too. On an error the
    temporary file is removed and the error propagates.

    Args:
        path: the file.
        data: its new contents.

    Raises:
        OSError: when the file cannot be written (full disk, no permission).
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def random_state(dataset: Any) -> list[dict]:
    """The random-generator states of a dataset and the datasets it wraps (``.dataset``), outermost first.

    A dataset takes part when it has ``random_state()`` and ``set_random_state(state)``.

    Args:
        dataset: a :class:`keras.utils.PyDataset`, or ``None``.

    Returns:
        JSON-ready states, one per dataset in the chain that has one.
    """
    states = []
    while dataset is not None:
        if hasattr(dataset, "random_state"):
            states.append(dataset.random_state())
        dataset = getattr(dataset, "dataset", None)
    return states


def set_random_state(dataset: Any, states: list[dict]) -> None:
    """Restore states returned by :func:`random_state` into the same chain of datasets."""
    remaining = list(states)
    while dataset is not None and remaining:
        if hasattr(dataset, "set_random_state"):
            dataset.set_random_state(remaining.pop(0))
        dataset = getattr(dataset, "dataset", None)


class TrainingCheckpoint(keras.callbacks.Callback):
    """Write an exact checkpoint after every epoch, and restore one before training resumes.

    Put it last in the callback list (after early stopping, schedules and the
    history), so it saves their state after they have seen the epoch. Call
    :meth:`restore` after ``compile`` and before ``fit``; pass the epoch it
    returns as ``initial_epoch``.

    Args:
        folder: folder of ``checkpoint.npz`` (created if missing).
        identity: JSON-ready description of this training (network name, seed,
            configs, shapes); a checkpoint with another identity is ignored.
        dataset: the training dataset whose random state is saved (wrapped
            datasets included).
        callbacks: the other callbacks of the fit, whose state is saved.
        history: the callback collecting per-epoch logs (``logs`` attribute).
        epochs: the number of epochs the fit runs to.

    Attributes:
        resumes: one ``{"network", "completed_epochs"}`` per time this training
            resumed (epochs already trained then), kept in ``resumes.json``
            beside the checkpoint, so even a resume killed before its next
            checkpoint is counted.
        finished: whether the restored checkpoint was written after the last
            epoch (or after early stopping): nothing is left to train.
    """

    def __init__(self, folder: Path, identity: dict, dataset: Any, callbacks: list, history: Any, epochs: int) -> None:
        super().__init__()
        self.path = Path(folder) / CHECKPOINT_FILE
        self.resumes_path = Path(folder) / RESUMES_FILE
        self.identity = identity
        self.dataset = dataset
        self.others = callbacks
        self.history = history
        self.epochs = epochs
        self.resumes: list[dict] = []
        self.finished = False
        self._restored: dict | None = None
        self._data_state: list[dict] = []

    def restore(self, model: keras.Model) -> int:
        """Load the checkpoint, if a valid one of this training exists, into ``model`` and its optimizer.

        Random states (Python, numpy, datasets) are restored now; the
        callbacks' state and the history are restored when training begins.

        Args:
            model: the compiled network (same architecture as when saved).

        Returns:
            The epoch to start from: 0 without a usable checkpoint.
        """
        for leftover in self.path.parent.glob(f".{self.path.name}.*.tmp"):  # a write cut short by a kill
            leftover.unlink(missing_ok=True)
        loaded = self._read(model)
        if loaded is None:
            self.resumes_path.unlink(missing_ok=True)
            return 0
        meta, arrays = loaded
        _assign(model.variables, arrays, "model")
        model.optimizer.build(model.trainable_variables)
        _assign(model.optimizer.variables, arrays, "optimizer")
        random.setstate((meta["python_random"][0], tuple(meta["python_random"][1]), meta["python_random"][2]))
        np.random.set_state(("MT19937", arrays["numpy_random"], *meta["numpy_random"]))
        set_random_state(self.dataset, meta["data_state"])
        self.finished = meta["finished"]
        epoch = meta["epoch"] + 1
        self.resumes = [*self._read_resumes(), {"network": self.identity["name"], "completed_epochs": epoch}]
        write_atomic(self.resumes_path, json.dumps(self.resumes).encode())
        self._restored = {"meta": meta, "best_weights": _arrays(arrays, "best")}
        if self.finished:
            logger.info(
                "%s: training had finished (%d epochs); reusing it from %s", self.identity["name"], epoch, self.path
            )
        else:
            logger.info(
                "%s: resuming training at epoch %d of %d from %s",
                self.identity["name"],
                epoch + 1,
                self.epochs,
                self.path,
            )
        return epoch

    def apply_finished(self, model: keras.Model) -> None:
        """Bring a network whose checkpoint was finished to its end-of-training state without training.

        Restores the history and, as early stopping does at the end of
        training, its best weights.

        Args:
            model: the network :meth:`restore` loaded.
        """
        self.on_train_begin()
        if self.dataset is not None:  # the reshuffle that ended the last epoch, which a later network trains after
            self.dataset.on_epoch_end()
        for callback in self.others:
            if isinstance(callback, keras.callbacks.EarlyStopping) and callback.best_weights is not None:
                model.set_weights(callback.best_weights)

    def on_train_begin(self, logs=None) -> None:
        """Put the restored callback state and history back (the callbacks have just reset themselves)."""
        if self._restored is None:
            return
        meta = self._restored["meta"]
        for callback, state in zip(self.others, meta["callbacks"]):
            for name, value in state.items():
                setattr(callback, name, value)
            if isinstance(callback, keras.callbacks.EarlyStopping) and self._restored["best_weights"]:
                callback.best_weights = self._restored["best_weights"]
        self.history.logs = {name: list(values) for name, values in meta["history"].items()}

    def on_epoch_begin(self, epoch, logs=None) -> None:
        """Remember the datasets' random state, from which the order of the next epoch is drawn."""
        self._data_state = random_state(self.dataset)

    def on_epoch_end(self, epoch, logs=None) -> None:
        """Write the checkpoint of the epoch just finished.

        Raises:
            TrainingError: when the checkpoint cannot be written (full disk,
                no permission); no partial file is left.
        """
        finished = bool(self.model.stop_training) or epoch + 1 >= self.epochs
        try:
            write_atomic(self.path, self._serialise(epoch, finished))
        except OSError as exc:
            raise TrainingError(
                f"{self.path}: cannot write the training checkpoint ({exc.strerror or exc}); the partial file was "
                "removed: free space or choose another report.output_dir, then run again to resume"
            ) from None

    def _serialise(self, epoch: int, finished: bool) -> bytes:
        arrays: dict[str, np.ndarray] = {}
        _collect(arrays, "model", self.model.variables)
        _collect(arrays, "optimizer", self.model.optimizer.variables)
        callbacks = []
        for callback in self.others:
            names = next((names for kind, names in CALLBACK_STATE.items() if isinstance(callback, kind)), ())
            callbacks.append({name: _plain(getattr(callback, name)) for name in names})
            if isinstance(callback, keras.callbacks.EarlyStopping) and callback.best_weights is not None:
                for k, weight in enumerate(callback.best_weights):
                    arrays[f"best/{k}"] = np.asarray(weight)
        numpy_state = np.random.get_state()
        arrays["numpy_random"] = numpy_state[1]
        python_state = random.getstate()
        meta = {
            "format": CHECKPOINT_FORMAT,
            "identity": self.identity,
            "epoch": epoch,
            "finished": finished,
            "variables": _describe(self.model.variables),
            "history": self.history.logs,
            "callbacks": callbacks,
            "data_state": self._data_state,
            "python_random": [python_state[0], list(python_state[1]), python_state[2]],
            "numpy_random": [int(numpy_state[2]), int(numpy_state[3]), float(numpy_state[4])],
            "sha256": _digest(arrays),
        }
        buffer = io.BytesIO()
        np.savez(buffer, meta=np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8), **arrays)
        return buffer.getvalue()

    def _read_resumes(self) -> list[dict]:
        """The resumes recorded so far (none when the record is missing or unreadable)."""
        try:
            resumes = json.loads(self.resumes_path.read_text())
        except (OSError, ValueError):
            return []
        return resumes if isinstance(resumes, list) else []

    def _read(self, model: keras.Model) -> tuple[dict, dict[str, np.ndarray]] | None:
        """The checkpoint's manifest and arrays, or ``None`` (with one warning) when it is unusable."""
        if not self.path.is_file():
            return None
        try:
            with np.load(self.path, allow_pickle=False) as archive:
                arrays = {name: archive[name] for name in archive.files}
            meta = json.loads(arrays.pop("meta").tobytes())
            problem = _problem(meta, arrays, self.identity, model)
        except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile, json.JSONDecodeError) as exc:
            problem = f"unreadable ({type(exc).__name__})"
        if problem is None:
            return meta, arrays
        logger.warning("%s: ignoring the training checkpoint (%s); training starts afresh", self.path, problem)
        self.path.unlink(missing_ok=True)
        return None


def _problem(meta: dict, arrays: dict[str, np.ndarray], identity: dict, model: keras.Model) -> str | None:
    """Why a loaded checkpoint cannot be used, or ``None``."""
    if meta.get("format") != CHECKPOINT_FORMAT:
        return f"format {meta.get('format')!r}, expected {CHECKPOINT_FORMAT}"
    if meta.get("identity") != identity:
        return "written by other training: another config, seed, network or data shape"
    if meta.get("variables") != _describe(model.variables):
        return "its variables do not fit the network"
    if meta.get("sha256") != _digest(arrays):
        return "checksum mismatch: the file was altered or torn"
    return None


def _collect(arrays: dict[str, np.ndarray], prefix: str, variables: list) -> None:
    for k, variable in enumerate(variables):
        arrays[f"{prefix}/{k}"] = keras.ops.convert_to_numpy(variable.value)


def _arrays(arrays: dict[str, np.ndarray], prefix: str) -> list[np.ndarray]:
    names = sorted((name for name in arrays if name.startswith(f"{prefix}/")), key=lambda name: int(name.split("/")[1]))
    return [arrays[name] for name in names]


def _assign(variables: list, arrays: dict[str, np.ndarray], prefix: str) -> None:
    values = _arrays(arrays, prefix)
    if len(values) != len(variables):
        raise TrainingError(f"checkpoint: {len(values)} saved {prefix} variables for {len(variables)} in the network")
    for variable, value in zip(variables, values):
        variable.assign(value)


def _describe(variables: list) -> list[list]:
    """Shapes and dtypes of ``variables`` (not their paths: Keras numbers layer names per process)."""
    return [[list(variable.shape), str(variable.dtype)] for variable in variables]


def _digest(arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    for name in sorted(arrays):
        digest.update(name.encode())
        digest.update(str(arrays[name].dtype).encode())
        digest.update(np.ascontiguousarray(arrays[name]).tobytes())
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    """A callback attribute as JSON: numpy and backend scalars become Python numbers."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return keras.ops.convert_to_numpy(value).item()
