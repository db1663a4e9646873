"""The user-facing forecaster: builds, trains, predicts with, saves and loads a network."""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path

import keras
import numpy as np
from sklearn.base import BaseEstimator

from forecaster.artefacts import ForecasterStateFile, artefact_payload, read_artefact
from forecaster.errors import DataError, NotFittedError, RunError
from forecaster.models.build import build_model
from forecaster.models.losses import make_loss
from forecaster.models.training import fit_ensemble

logger = logging.getLogger(__name__)

MODEL_FILE = "model.keras"
STATE_FILE = "forecaster.json"


NETWORK_PARAMS = (
    "kind",
    "gated_cell",
    "encoder",
    "segment_length",
    "units",
    "layers",
    "dropout",
    "recurrent_dropout",
    "residual",
    "bidirectional",
    "instance_norm",
    "instance_norm_method",
    "channel_independent",
    "attention",
    "decoder",
    "use_future_covariates",
    "linear_skip",
    "quantiles",
    "l2",
)
"""Keyword arguments of :class:`Forecaster` that shape the network (passed on to :func:`~forecaster.models.build.build_model`)."""


class Forecaster(BaseEstimator):
    """Scikit-learn-like facade over the network of :func:`~forecaster.models.build.build_model`.

    ``__init__`` only stores the hyperparameters (``get_params`` /
    ``set_params`` and :func:`sklearn.base.clone` work); :meth:`fit` builds and
    trains the network from the shapes of the first training batch. Batches are
    ``(inputs, targets)`` or ``(inputs, targets, sample_weight)`` with
    ``inputs = {"past": (batch, lookback, n_past)}`` plus ``"future": (batch,
    horizon, n_calendar)`` when calendar features exist, ``targets`` ``(batch,
    horizon, n_targets)`` and ``sample_weight`` ``(batch, horizon)``.

    The network's arguments (``kind`` to ``quantiles``, and ``l2``) are those of
    :func:`~forecaster.models.build.build_model`; the training arguments
    (``epochs`` to ``verbose``) those of
    :func:`~forecaster.models.training.fit_ensemble`, which trains it. A config
    file's ``model`` and ``training`` sections map onto them one to one (but
    ``training.batch_size``, which sizes the batches of the datasets).

    Args:
        kind: ``lstm``, ``gru`` or ``gated``. Default ``"lstm"``.
        gated_cell: ``lstm``, ``gru`` or ``peephole`` for ``kind="gated"``. Default ``"lstm"``.
        encoder: ``recurrent`` or ``segment``. Default ``"recurrent"``.
        segment_length: steps per segment and per output block. Default 24.
        units: hidden units per recurrent layer. Default 64.
        layers: stacked recurrent layers. Default 1.
        dropout: input dropout, in [0, 1). Default 0.
        recurrent_dropout: recurrent-state dropout, in [0, 1). Default 0.
        residual: residual connections between stacked layers. Default ``False``.
        bidirectional: bidirectional encoder. Default ``False``.
        instance_norm: per-window normalisation of the targets (RevIN). Default ``True``.
        instance_norm_method: ``mean_std`` or ``last``. Default ``"mean_std"``.
        channel_independent: one univariate model per target column, shared weights. Default ``False``.
        attention: ``none``, ``dot`` or ``additive``. Default ``"none"``.
        decoder: ``dense`` or ``gru``. Default ``"dense"``.
        use_future_covariates: feed ``inputs["future"]`` to the head. Default ``True``.
        linear_skip: add a linear forecast from the lookback (LSTNet's highway). Default ``False``.
        quantiles: quantile levels, increasing and holding 0.5, trained with the
            pinball loss; empty for a point forecast trained with ``loss``. Default ``(0.1, 0.5, 0.9)``.
        loss: ``mse``, ``mae`` or ``huber``, the loss of a point forecast. Default ``"mse"``.
        epochs: maximum epochs. Default 20.
        learning_rate: Adam's initial learning rate. Default 1e-3.
        schedule: ``constant``, ``cosine`` or ``plateau``. Default ``"plateau"``.
        clipnorm: gradient clipping by norm; ``None`` disables it. Default 1.0.
        l2: L2 penalty on every kernel. Default 0.
        patience: epochs without improvement before early stopping (best weights restored). Default 5.
        max_train_windows: windows per epoch (a random subset); ``None`` uses all. Default ``None``.
        ensemble: networks trained with seeds ``seed, ..., seed + ensemble - 1``
            and averaged into one. Default 1.
        verbose: Keras progress output, 0 silent, 1 a bar, 2 a line per epoch. Default 2.
        seed: seed of Python, numpy and Keras (``keras.utils.set_random_seed``). Default 42.

    Attributes:
        model_: the trained :class:`keras.Model`; exists after :meth:`fit` or :meth:`load`.
        history_: per-epoch training logs, ``{"loss": [...], "val_loss": [...], "learning_rate": [...]}``,
            every epoch of a resumed job included.
        resumes_: one ``{"network", "completed_epochs"}`` per time training
            resumed from a backup (the epochs already trained then).

    >>> Forecaster(units=8, quantiles=(), epochs=1).get_params()["units"]
    8
    """

    def __init__(
        self,
        *,
        kind: str = "lstm",
        gated_cell: str = "lstm",
        encoder: str = "recurrent",
        segment_length: int = 24,
        units: int = 64,
        layers: int = 1,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        residual: bool = False,
        bidirectional: bool = False,
        instance_norm: bool = True,
        instance_norm_method: str = "mean_std",
        channel_independent: bool = False,
        attention: str = "none",
        decoder: str = "dense",
        use_future_covariates: bool = True,
        linear_skip: bool = False,
        quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
        loss: str = "mse",
        epochs: int = 20,
        learning_rate: float = 1e-3,
        schedule: str = "plateau",
        clipnorm: float | None = 1.0,
        l2: float = 0.0,
        patience: int = 5,
        max_train_windows: int | None = None,
        ensemble: int = 1,
        verbose: int = 2,
        seed: int = 42,
    ) -> None:
        self.kind = kind
        self.gated_cell = gated_cell
        self.encoder = encoder
        self.segment_length = segment_length
        self.units = units
        self.layers = layers
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
        self.residual = residual
        self.bidirectional = bidirectional
        self.instance_norm = instance_norm
        self.instance_norm_method = instance_norm_method
        self.channel_independent = channel_independent
        self.attention = attention
        self.decoder = decoder
        self.use_future_covariates = use_future_covariates
        self.linear_skip = linear_skip
        self.quantiles = quantiles
        self.loss = loss
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.clipnorm = clipnorm
        self.l2 = l2
        self.patience = patience
        self.max_train_windows = max_train_windows
        self.ensemble = ensemble
        self.verbose = verbose
        self.seed = seed

    def fit(
        self,
        train_data: keras.utils.PyDataset,
        val_data: keras.utils.PyDataset | None = None,
        *,
        backup_dir: str | Path | None = None,
        checkpoint_path: str | Path | None = None,
    ) -> "Forecaster":
        """Build the network and train it through :func:`~forecaster.models.training.fit_ensemble`.

        Adam with the schedule, clipping, L2 and early stopping (restoring the
        best weights) of the constructor's arguments; a loss or validation loss
        that turns NaN or infinite stops training with a
        :class:`~forecaster.errors.TrainingError`. With ``backup_dir``, an exact
        checkpoint is written after every epoch and a killed fit called again
        with the same arguments, data and ``backup_dir`` resumes where it
        stopped, ending as an uninterrupted fit would; a backup made for another
        network, other training arguments or other data is discarded with one
        warning and training starts afresh (see
        :func:`~forecaster.models.training.fit_ensemble`). With ``ensemble = k > 1``, ``k`` networks are
        trained with seeds ``seed, ..., seed + k - 1`` and joined into one model
        that averages their forecasts (a deep ensemble).

        Args:
            train_data: training batches (a :class:`keras.utils.PyDataset`, e.g.
                :class:`~forecaster.windows.dataset.WindowDataset` with shuffling).
            val_data: validation batches, or ``None``. Default ``None``.
            backup_dir: folder of the resumable backup (kept when training ends;
                the caller removes it), reused only by the same network, training
                arguments and data; ``None`` disables it. Default ``None``.
            checkpoint_path: ``.keras`` file that keeps the best network seen (of the
                member in training, for an ensemble); ``None`` disables it. Default ``None``.

        Returns:
            ``self``, with ``model_``, ``history_`` (an ensemble's history
            lists every member's epochs in turn, with a ``member`` entry per
            epoch) and ``resumes_`` (one ``{"network", "completed_epochs"}`` per
            resume from ``backup_dir``, empty for a fit that was never interrupted).

        Raises:
            DataError: for an empty ``train_data`` or batches that break the format above.
            ConfigError: for arguments that do not fit the batch shapes (see ``build_model``).
            ValueError: naming the argument, for an unknown ``schedule`` or a count below 1.
            TrainingError: when the loss diverges, or a checkpoint cannot be written.
        """
        shapes = _batch_shapes(train_data)
        network = {name: getattr(self, name) for name in NETWORK_PARAMS}
        self.model_, self.history_, self.resumes_ = fit_ensemble(
            lambda name: build_model(**shapes, **network, name=name),
            make_loss(self.loss, list(self.quantiles)),
            train_data,
            val_data,
            seed=self.seed,
            epochs=self.epochs,
            learning_rate=self.learning_rate,
            schedule=self.schedule,
            clipnorm=self.clipnorm,
            patience=self.patience,
            max_train_windows=self.max_train_windows,
            ensemble=self.ensemble,
            verbose=self.verbose,
            identity=json.loads(
                json.dumps({**network, "loss": self.loss, **shapes})
            ),  # JSON, as a checkpoint reads it back
            backup_dir=backup_dir,
            checkpoint_path=checkpoint_path,
            name="forecaster_network",
            ensemble_name="forecaster_ensemble",
        )
        return self

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
        if not self.quantiles:
            return forecast
        return forecast[..., list(self.quantiles).index(0.5)]

    def predict_quantiles(
        self, data: dict[str, np.ndarray] | keras.utils.PyDataset, batch_size: int = 512
    ) -> np.ndarray:
        """Quantile forecast of many windows at once, levels in the order of ``quantiles``.

        Args:
            data: as for :meth:`predict`.
            batch_size: windows per forward pass for array inputs. Default 512.

        Returns:
            float32 ``(n, horizon, n_targets, n_quantiles)``, non-decreasing along the last axis.

        Raises:
            NotFittedError: before :meth:`fit` or :meth:`load`.
            ValueError: for a point-forecast model (``quantiles`` empty).
        """
        if not self.quantiles:
            raise ValueError("predict_quantiles: this model makes point forecasts (quantiles is empty); use predict")
        return self._forward(data, batch_size)

    def save(self, path: str | Path) -> Path:
        """Write the network (``model.keras``) and the keyword arguments and history (``forecaster.json``) to a folder.

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
            "params": self.get_params(),
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
        params = {**state.params, "quantiles": tuple(state.params.get("quantiles", ()))}
        try:
            forecaster = cls(**params)
        except TypeError as exc:
            raise RunError(
                f"{folder / STATE_FILE}: key 'params': {exc}; restore the file or train the run again"
            ) from None
        forecaster.history_ = state.history
        forecaster.resumes_ = state.resumes
        if not (folder / MODEL_FILE).is_file():
            raise RunError(f"{folder / MODEL_FILE}: missing; expected a folder written by Forecaster.save")
        try:
            forecaster.model_ = keras.saving.load_model(folder / MODEL_FILE, safe_mode=True)
        except (zipfile.BadZipFile, OSError, KeyError, TypeError, ValueError) as exc:
            raise RunError(
                f"{folder / MODEL_FILE}: not a loadable Keras model ({type(exc).__name__}); train the run again"
            ) from None
        if not all(np.isfinite(weight).all() for weight in forecaster.model_.get_weights()):
            raise RunError(
                f"{folder / MODEL_FILE}: the network has NaN or infinite weights (training diverged); train the run again"
            )
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
