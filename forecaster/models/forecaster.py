"""The user-facing forecaster: builds, trains, predicts with, saves and loads a network."""

from __future__ import annotations

import json
import logging
import math
import zipfile
from pathlib import Path

import keras
import numpy as np
from pydantic import ValidationError

from forecaster.artefacts import ForecasterStateFile, artefact_payload, describe_error, read_artefact
from forecaster.config import ModelConfig, TrainingConfig
from forecaster.errors import DataError, NotFittedError, RunError, TrainingError
from forecaster.models.build import build_model
from forecaster.models.checkpoint import TrainingCheckpoint, random_state, set_random_state, write_atomic
from forecaster.models.ensemble import average_networks, merge_histories
from forecaster.models.losses import make_loss

logger = logging.getLogger(__name__)

MODEL_FILE = "model.keras"
STATE_FILE = "forecaster.json"


class Forecaster:
    """Scikit-learn-like facade over the network of :func:`~forecaster.models.build.build_model`.

    ``__init__`` only stores the hyperparameters; :meth:`fit` builds and trains
    the network from the shapes of the first training batch. Batches are
    ``(inputs, targets)`` or ``(inputs, targets, sample_weight)`` with
    ``inputs = {"past": (batch, lookback, n_past)}`` plus ``"future": (batch,
    horizon, n_calendar)`` when calendar features exist, ``targets`` ``(batch,
    horizon, n_targets)`` and ``sample_weight`` ``(batch, horizon)``.

    Args:
        model_cfg: the network.
        training_cfg: how it is trained.
        seed: seed of Python, numpy and Keras (``keras.utils.set_random_seed``). Default 42.

    Attributes:
        model_: the trained :class:`keras.Model`; exists after :meth:`fit` or :meth:`load`.
        history_: per-epoch training logs, ``{"loss": [...], "val_loss": [...], "learning_rate": [...]}``,
            every epoch of a resumed job included.
        resumes_: one ``{"network", "completed_epochs"}`` per time training
            resumed from a backup (the epochs already trained then).
    """

    def __init__(self, model_cfg: ModelConfig, training_cfg: TrainingConfig, seed: int = 42) -> None:
        self.model_cfg = model_cfg
        self.training_cfg = training_cfg
        self.seed = seed

    def fit(
        self,
        train_data: keras.utils.PyDataset,
        val_data: keras.utils.PyDataset | None = None,
        *,
        backup_dir: str | Path | None = None,
        checkpoint_path: str | Path | None = None,
    ) -> "Forecaster":
        """Build the network and train it with Adam, the configured schedule, clipping, L2 and early stopping.

        Early stopping watches ``val_loss`` (``loss`` without ``val_data``) and
        restores the best weights. A loss or validation loss that turns NaN or
        infinite stops training with a :class:`~forecaster.errors.TrainingError`.

        With ``backup_dir``, an exact checkpoint (weights, optimizer, callbacks,
        history, random states; see :mod:`forecaster.models.checkpoint`) is
        written atomically after every epoch: calling ``fit`` again with the
        same ``backup_dir`` after a killed job resumes at the first unfinished
        epoch and ends with the weights and history an uninterrupted fit would
        have reached. The backup is kept when training ends, so a job killed
        before it saved its results loses nothing; the caller removes it.

        With ``training.ensemble = k > 1``, ``k`` networks are trained one after
        the other with seeds ``seed, ..., seed + k - 1`` and joined into one
        model that averages their forecasts (a deep ensemble: independent
        errors partly cancel). Each finished member is kept in ``backup_dir``,
        so a resumed job skips it.

        Args:
            train_data: training batches (a :class:`keras.utils.PyDataset`, e.g.
                :class:`~forecaster.windows.dataset.WindowDataset` with shuffling).
            val_data: validation batches, or ``None``. Default ``None``.
            backup_dir: folder of the resumable backup; ``None`` disables it. Default ``None``.
            checkpoint_path: ``.keras`` file that keeps the best network seen (of the
                member in training, for an ensemble); ``None`` disables it. Default ``None``.

        Returns:
            ``self``, with ``model_``, ``history_`` (an ensemble's history
            lists every member's epochs in turn, with a ``member`` entry per
            epoch) and ``resumes_`` (one ``{"network", "completed_epochs"}`` per
            resume from ``backup_dir``, empty for a fit that was never interrupted).

        Raises:
            DataError: for an empty ``train_data`` or batches that break the format above.
            ConfigError: for a config that does not fit the batch shapes (see ``build_model``).
            TrainingError: when the loss diverges, or a checkpoint cannot be written.
        """
        shapes = _batch_shapes(train_data)
        n_members = self.training_cfg.ensemble
        if n_members == 1:
            self.model_, self.history_, self.resumes_ = self._fit_network(
                shapes, train_data, val_data, self.seed, backup_dir, checkpoint_path, "forecaster_network"
            )
            return self
        members, histories, self.resumes_ = [], [], []
        for member in range(n_members):
            name = f"member_{member}"
            finished = None if backup_dir is None else Path(backup_dir) / f"{name}.keras"
            record = None if finished is None else _read_member(finished.with_suffix(".json"))
            if record is not None and finished.is_file():
                logger.info("ensemble %s: reusing the finished network in %s", name, finished)
                model = keras.saving.load_model(finished, safe_mode=True)
                logs, resumes = record["history"], record["resumes"]
                set_random_state(train_data, record["data_state"])
            else:
                member_backup = None if backup_dir is None else Path(backup_dir) / name
                model, logs, resumes = self._fit_network(
                    shapes, train_data, val_data, self.seed + member, member_backup, checkpoint_path, name
                )
                if finished is not None:  # the record first, the model renamed into place last: a kill leaves no half member
                    record = {"history": logs, "resumes": resumes, "data_state": random_state(train_data)}
                    write_atomic(finished.with_suffix(".json"), json.dumps(record).encode())
                    partial = finished.with_name(f"{name}.partial.keras")
                    model.save(partial)
                    partial.replace(finished)
            members.append(model)
            histories.append(logs)
            self.resumes_ += resumes
        self.model_ = average_networks(members, name="forecaster_ensemble")
        self.history_ = merge_histories(histories)
        return self

    def _fit_network(self, shapes, train_data, val_data, seed, backup_dir, checkpoint_path, name):
        """Build and train one network with ``seed`` (resuming from ``backup_dir``).

        Returns:
            ``(model, per-epoch logs, resumes)``.
        """
        cfg = self.training_cfg
        keras.utils.set_random_seed(seed)
        model = build_model(self.model_cfg, **shapes, l2=cfg.l2, name=name)
        logger.info("built %s with %d parameters for %s", model.name, model.count_params(), shapes)
        train = train_data
        if cfg.max_train_windows is not None:
            train = WindowSubset(train_data, cfg.max_train_windows, seed)
        model.compile(
            optimizer=keras.optimizers.Adam(cfg.learning_rate, clipnorm=cfg.clipnorm),
            loss=make_loss(self.model_cfg.loss, self.model_cfg.quantiles),
        )
        monitor = "val_loss" if val_data is not None else "loss"
        callbacks: list[keras.callbacks.Callback] = [
            StopOnDivergence(),
            keras.callbacks.EarlyStopping(monitor=monitor, patience=cfg.patience, restore_best_weights=True),
        ]
        if cfg.schedule == "cosine":
            callbacks.append(keras.callbacks.LearningRateScheduler(_cosine_schedule(cfg.learning_rate, cfg.epochs)))
        elif cfg.schedule == "plateau":
            callbacks.append(
                keras.callbacks.ReduceLROnPlateau(monitor=monitor, factor=0.5, patience=max(1, cfg.patience // 2))
            )
        if checkpoint_path is not None:
            callbacks.append(
                keras.callbacks.ModelCheckpoint(str(checkpoint_path), monitor=monitor, save_best_only=True)
            )
        history = EpochHistory()
        callbacks.append(history)
        initial_epoch = 0
        if backup_dir is not None:
            Path(backup_dir).mkdir(parents=True, exist_ok=True)
            identity = {"name": name, "seed": seed, "shapes": shapes, "model": self.model_cfg.model_dump(mode="json"),
                        "training": cfg.model_dump(mode="json")}
            checkpoint = TrainingCheckpoint(backup_dir, identity, train, callbacks[:-1], history, cfg.epochs)
            callbacks.append(checkpoint)
            initial_epoch = checkpoint.restore(model)
            if checkpoint.finished:
                checkpoint.apply_finished(model)
                return model, history.logs, checkpoint.resumes
        model.fit(train, validation_data=val_data, epochs=cfg.epochs, initial_epoch=initial_epoch, callbacks=callbacks,
                  verbose=cfg.verbose)
        return model, history.logs, checkpoint.resumes if backup_dir is not None else []

    def predict(self, data: dict[str, np.ndarray] | keras.utils.PyDataset, batch_size: int = 512) -> np.ndarray:
        """Point forecast (the median for a quantile model) of many windows at once.

        Args:
            data: inputs ``{"past": (n, lookback, n_past), "future": (n, horizon,
                n_calendar)}`` or a dataset of batches (targets are ignored).
            batch_size: windows per forward pass for array inputs. Default 512.

        Returns:
            float32 ``(n, horizon, n_targets)`` on the scale of the inputs.

        Raises:
            NotFittedError: before :meth:`fit` or :meth:`load`.
        """
        forecast = self._forward(data, batch_size)
        if not self.model_cfg.quantiles:
            return forecast
        return forecast[..., self.model_cfg.quantiles.index(0.5)]

    def predict_quantiles(
        self, data: dict[str, np.ndarray] | keras.utils.PyDataset, batch_size: int = 512
    ) -> np.ndarray:
        """Quantile forecast of many windows at once, levels in the order of ``model_cfg.quantiles``.

        Args:
            data: as for :meth:`predict`.
            batch_size: windows per forward pass for array inputs. Default 512.

        Returns:
            float32 ``(n, horizon, n_targets, n_quantiles)``, non-decreasing along the last axis.

        Raises:
            NotFittedError: before :meth:`fit` or :meth:`load`.
            ValueError: for a point-forecast model (``model_cfg.quantiles`` empty).
        """
        if not self.model_cfg.quantiles:
            raise ValueError(
                "predict_quantiles: this model makes point forecasts (model.quantiles is empty); use predict"
            )
        return self._forward(data, batch_size)

    def save(self, path: str | Path) -> Path:
        """Write the network (``model.keras``) and the configs and history (``forecaster.json``) to a folder.

        Args:
            path: folder, created if missing.

        Returns:
            The folder.

        Raises:
            NotFittedError: before :meth:`fit` or :meth:`load`.
        """
        self._check_fitted("save")
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        self.model_.save(folder / MODEL_FILE)
        state = {
            "model": self.model_cfg.model_dump(mode="json"),
            "training": self.training_cfg.model_dump(mode="json"),
            "seed": self.seed,
            "history": self.history_,
            "resumes": self.resumes_,
        }
        (folder / STATE_FILE).write_text(json.dumps(artefact_payload(ForecasterStateFile, state), indent=2))
        return folder

    @classmethod
    def load(cls, path: str | Path) -> "Forecaster":
        """Load a forecaster written by :meth:`save`, the network in Keras's safe mode.

        Args:
            path: folder holding ``model.keras`` and ``forecaster.json``.

        Returns:
            A fitted :class:`Forecaster`.

        Raises:
            RunError: naming the file (and key), when either file is missing,
                unreadable or does not fit its schema, or the weights are not finite.
        """
        folder = Path(path)
        state = read_artefact(folder / STATE_FILE, ForecasterStateFile)
        try:
            model_cfg, training_cfg = ModelConfig(**state.model), TrainingConfig(**state.training)
        except ValidationError as exc:
            raise RunError(f"{folder / STATE_FILE}: {describe_error(exc)}; restore the file or train the run again") from None
        forecaster = cls(model_cfg, training_cfg, seed=state.seed)
        forecaster.history_ = state.history
        forecaster.resumes_ = state.resumes
        if not (folder / MODEL_FILE).is_file():
            raise RunError(f"{folder / MODEL_FILE}: missing; expected a folder written by Forecaster.save")
        try:
            forecaster.model_ = keras.saving.load_model(folder / MODEL_FILE, safe_mode=True)
        except (zipfile.BadZipFile, OSError, KeyError, TypeError, ValueError) as exc:
            raise RunError(f"{folder / MODEL_FILE}: not a loadable Keras model ({type(exc).__name__}); train the run again") from None
        if not all(np.isfinite(weight).all() for weight in forecaster.model_.get_weights()):
            raise RunError(f"{folder / MODEL_FILE}: the network has NaN or infinite weights (training diverged); train the run again")
        return forecaster

    def _forward(self, data, batch_size: int) -> np.ndarray:
        self._check_fitted("predict")
        if isinstance(data, keras.utils.PyDataset):
            return self.model_.predict(data, verbose=0)
        return self.model_.predict(data, batch_size=batch_size, verbose=0)

    def _check_fitted(self, verb: str) -> None:
        if not hasattr(self, "model_"):
            raise NotFittedError(
                f"Forecaster.{verb}: this forecaster is not fitted; call fit(train_data) or Forecaster.load(path) first"
            )


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
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text())
        if isinstance(record, dict) and {"history", "resumes", "data_state"} <= set(record):
            return record
    except (OSError, ValueError):
        pass
    logger.warning("%s: ignoring the unreadable record of a finished ensemble member; training it again", path)
    return None


def _cosine_schedule(learning_rate: float, epochs: int):
    """Per-epoch cosine decay from ``learning_rate`` towards 0 over ``epochs``; epoch-based, so it survives a resume."""

    def schedule(epoch: int, _current: float) -> float:
        return learning_rate * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))

    return schedule


def _batch_shapes(dataset: keras.utils.PyDataset) -> dict[str, int]:
    """Network sizes read from the first batch: ``n_past``, ``n_targets``, ``lookback``, ``horizon``, ``n_future``."""
    if len(dataset) == 0:
        raise DataError("training data: no windows; lengthen the training split or shorten lookback + horizon")
    batch = dataset[0]
    inputs, targets = batch[0], batch[1]
    if not isinstance(inputs, dict) or "past" not in inputs or np.ndim(inputs["past"]) != 3 or np.ndim(targets) != 3:
        raise DataError(
            "training data: batches must be ({'past': (batch, lookback, n_past), ['future': ...]}, "
            "targets (batch, horizon, n_targets)[, sample_weight])"
        )
    past = np.shape(inputs["past"])
    future = np.shape(inputs["future"]) if "future" in inputs else (0, 0, 0)
    return {
        "n_past": past[2],
        "n_targets": np.shape(targets)[2],
        "lookback": past[1],
        "horizon": np.shape(targets)[1],
        "n_future": future[2],
    }
