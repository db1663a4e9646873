"""Detectors that learn normal behaviour and give every point an error per feature.

Both detectors are fitted on rows declared normal and then score any rows of
the same columns:

- :class:`AutoencoderDetector`: a recurrent encoder-decoder reconstructs each
  window of ``lookback`` rows; a point's error is its absolute reconstruction
  error, from the window that ends at it (``causal``) or averaged over every
  window covering it (``centered``, reads ahead).
- :class:`ResidualDetector`: a :class:`~forecaster.models.Forecaster` predicts
  each point from the ``lookback`` rows before it; a point's error is its
  absolute prediction error (causal by construction).

Values are scaled by the mean and standard deviation of the normal rows, of
all series together or, when fitted with series ids (long-format data), of
each series on its own; a per-series detector refuses a series it has no
scaling for unless :meth:`WindowDetector.fit_unseen_series` fits one. The
last ``val_fraction`` of each series' normal rows is held out when that part
holds at least one full window (otherwise the series trains on all its normal
rows): no validation window overlaps a training window; it drives early
stopping and gives the reference errors that fixed thresholds are fitted on.
"""

from __future__ import annotations

import json
import logging
import zipfile
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator

from forecaster.artefacts import DetectorStateFile, artefact_payload, read_artefact
from forecaster.errors import DataError, NotFittedError, RunError
from forecaster.models import Forecaster, build_autoencoder
from forecaster.models.training import fit_ensemble
from forecaster.windows.dataset import WindowDataset

logger = logging.getLogger(__name__)

STATE_FILE = "detector.json"
REFERENCE_FILE = "reference_errors.npy"
NETWORK_DIR = "network"
NETWORK_KEYS = ("detector", "kind", "gated_cell", "units", "lookback", "ensemble")
"""Arguments fixed when a detector is trained (``detector`` names its class): a saved detector scores only with them."""


class WindowDetector(BaseEstimator):
    """Common fitting, scoring and persistence of the window detectors; use a subclass.

    ``__init__`` only stores the hyperparameters (``get_params`` /
    ``set_params`` and :func:`sklearn.base.clone` work). The training
    arguments (``epochs`` to ``verbose``) are those of
    :func:`~forecaster.models.training.fit_ensemble`, the loop both detectors
    train through; a config file's ``anomaly.training`` section maps onto them.

    Args:
        lookback: rows per window: the autoencoder's window, the residual
            detector's input before the predicted row (>= 2). Default 32.
        units: hidden units of the recurrent layers. Default 16.
        kind: recurrent layer, ``lstm``, ``gru`` or ``gated`` (the hand-written cells). Default ``"lstm"``.
        gated_cell: ``lstm``, ``gru`` or ``peephole`` for ``kind="gated"``. Default ``"lstm"``.
        loss: ``mse``, or ``huber`` to resist anomalies among rows declared
            normal (as when every row is). Default ``"mse"``.
        mode: ``causal`` scores a point from the window that ends at it;
            ``centered`` averages every window covering it (reads ahead). Default ``"causal"``.
        val_fraction: last share of each series' normal rows held out for early
            stopping and the reference errors, in [0, 1). Default 0.2.
        epochs: maximum epochs. Default 10.
        batch_size: windows per batch. Default 64.
        learning_rate: Adam's initial learning rate. Default 3e-3.
        schedule: ``constant``, ``cosine`` or ``plateau``. Default ``"constant"``.
        clipnorm: gradient clipping by norm; ``None`` disables it. Default 1.0.
        l2: L2 penalty on the kernels. Default 0.
        patience: epochs without improvement before early stopping (best weights restored). Default 3.
        max_train_windows: train on at most this many normal windows, a random
            subset drawn once; ``None`` uses all. Default 4096.
        ensemble: networks trained with seeds ``seed, ..., seed + ensemble - 1``
            and averaged into one. Default 1.
        verbose: Keras progress output, 0 silent. Default 0.
        seed: seed of Python, numpy and Keras. Default 42.

    Attributes:
        mean_: float64 ``(n_scalings, n_features)`` mean of the normal rows: one
            row for all series, or one per series in ``series_ids_``; after :meth:`fit`.
        scale_: float64 ``(n_scalings, n_features)`` their standard deviation (1 where constant).
        series_ids_: the series (as strings) of each row of ``mean_`` when scaled
            per series; ``None`` when one scaling serves every series.
        reference_errors_: float32 ``(n_reference, n_features)`` point errors of
            the held-out normal rows (of the training rows when none are held out).
        reference_offsets_: int64 ``(n_segments + 1,)`` boundaries of the
            reference errors' segments (one per series that gave some), so that
            smoothing restarts at each.
        reference_series_: the series (as strings) of each reference segment,
            whose errors fit that series' own threshold; ``None`` when scaled
            for all series together (every series then gets the pooled threshold).
        history_: per-epoch training losses, ``{"loss": [...], "val_loss": [...]}``.
    """

    name = ""

    def __init__(
        self,
        *,
        lookback: int = 32,
        units: int = 16,
        kind: str = "lstm",
        gated_cell: str = "lstm",
        loss: str = "mse",
        mode: str = "causal",
        val_fraction: float = 0.2,
        epochs: int = 10,
        batch_size: int = 64,
        learning_rate: float = 3e-3,
        schedule: str = "constant",
        clipnorm: float | None = 1.0,
        l2: float = 0.0,
        patience: int = 3,
        max_train_windows: int | None = 4096,
        ensemble: int = 1,
        verbose: int = 0,
        seed: int = 42,
    ) -> None:
        self.lookback = lookback
        self.units = units
        self.kind = kind
        self.gated_cell = gated_cell
        self.loss = loss
        self.mode = mode
        self.val_fraction = val_fraction
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.clipnorm = clipnorm
        self.l2 = l2
        self.patience = patience
        self.max_train_windows = max_train_windows
        self.ensemble = ensemble
        self.verbose = verbose
        self.seed = seed

    @property
    def window_length(self) -> int:
        """Rows per window the network reads."""
        return self.lookback

    @property
    def error_steps(self) -> int:
        """Rows at the end of each window that get an error."""
        raise NotImplementedError

    def fit(
        self,
        values: np.ndarray,
        normal: np.ndarray,
        offsets: np.ndarray | None = None,
        series_ids: list | None = None,
        *,
        backup_dir: str | Path | None = None,
    ) -> "WindowDetector":
        """Scale, train on the windows of normal rows, and keep the reference errors.

        Training runs through :func:`~forecaster.models.training.fit_ensemble`:
        with ``backup_dir``, a fit killed half-way and called again with the
        same arguments and data resumes at its last finished epoch and ends as
        an uninterrupted fit would; a backup made for another network, other
        training arguments or other data is discarded with one warning and
        training starts afresh.

        Args:
            values: float ``(n_rows, n_features)`` series stacked in time order; NaN where missing.
            normal: bool ``(n_rows,)`` rows declared normal.
            offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.
            series_ids: one id per series: scale each series by its own normal
                rows; ``None`` scales all series by their normal rows together. Default ``None``.
            backup_dir: folder of the resumable training backup (kept when
                training ends; the caller removes it), reused only by the same
                network, training arguments and data; ``None`` disables it. Default ``None``.

        Returns:
            ``self``, fitted.

        Raises:
            DataError: when the normal rows hold no full training window.
            TrainingError: when the loss diverges, or a checkpoint cannot be written.
        """
        values = _as_2d(values)
        offsets = _bounds(offsets, len(values))
        normal = np.asarray(normal, dtype=bool)
        if series_ids is None:
            self.series_ids_ = None
            self.mean_, self.scale_ = _normal_scaling(values, normal, np.array([0, len(values)]))
        else:
            self.series_ids_ = [str(series) for series in series_ids]
            self.mean_, self.scale_ = _normal_scaling(values, normal, offsets)
        train, val, segments = _normal_windows(normal, offsets, self.window_length, self.val_fraction)
        if train.size == 0:
            raise DataError(
                f"anomaly: the normal rows hold no window of {self.window_length} rows; declare more rows normal "
                "(anomaly.normal, normal_fraction) or lower anomaly.lookback"
            )
        if self.max_train_windows is not None and train.size > self.max_train_windows:
            rng = np.random.default_rng(self.seed)
            train = np.sort(rng.choice(train, self.max_train_windows, replace=False))
        scaled = self._scale(values, offsets, series_ids)
        self.history_ = self._fit_network(scaled, train, val, None if backup_dir is None else Path(backup_dir))
        reference = self._segment_errors(values, offsets, segments, series_ids)
        reference = [part[np.isfinite(part).all(axis=1)] for part in reference]
        self.reference_errors_ = np.concatenate(reference or [np.empty((0, values.shape[1]))]).astype(np.float32)
        self.reference_offsets_ = np.cumsum([0] + [len(part) for part in reference], dtype=np.int64)
        owners = np.searchsorted(offsets, [start for start, _ in segments], side="right") - 1
        self.reference_series_ = None if self.series_ids_ is None else [self.series_ids_[owner] for owner in owners]
        return self

    def point_errors(
        self,
        values: np.ndarray,
        offsets: np.ndarray | None = None,
        mode: str | None = None,
        series_ids: list | None = None,
    ) -> np.ndarray:
        """Return each point's absolute error per feature, on the normal rows' scale.

        Args:
            values: float ``(n_rows, n_features)``, the fitted columns in order.
            offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.
            mode: ``causal`` (the window ending at the point) or ``centered``
                (every window covering it); ``None`` uses the detector's ``mode``.
            series_ids: one id per series, which picks each series' scaling;
                needed by a detector scaled per series, ignored otherwise. Default ``None``.

        Returns:
            float32 ``(n_rows, n_features)``; NaN for points no window scores (the
            first ``window_length - 1`` rows of each series in causal mode) and
            for missing values.

        Raises:
            NotFittedError: before :meth:`fit` or :meth:`load`.
            DataError: when ``values`` has another number of columns than the fitted data,
                or a series has no scaling (see :meth:`fit_unseen_series`).
        """
        self._check_fitted()
        values = _as_2d(values)
        if values.shape[1] != self.mean_.shape[1]:
            raise DataError(f"anomaly: the detector was fitted on {self.mean_.shape[1]} columns, got {values.shape[1]}")
        offsets = _bounds(offsets, len(values))
        scaled = self._scale(values, offsets, series_ids)
        starts = _window_starts(offsets, self.window_length)
        errors = np.full(values.shape, np.nan, dtype=np.float32)
        if starts.size == 0:
            return errors
        window_errors = self._window_errors(scaled, starts)
        lead = self.window_length - self.error_steps
        if (mode or self.mode) == "causal":
            errors[starts + self.window_length - 1] = window_errors[:, -1]
        else:
            rows = (starts[:, None] + lead + np.arange(self.error_steps)).ravel()
            sums = np.zeros(values.shape)
            counts = np.zeros(len(values))
            np.add.at(sums, rows, window_errors.reshape(-1, values.shape[1]))
            np.add.at(counts, rows, 1.0)
            covered = counts > 0
            errors[covered] = sums[covered] / counts[covered, None]
        errors[np.isnan(values)] = np.nan
        return errors

    def _segment_errors(
        self, values: np.ndarray, offsets: np.ndarray, segments: list[tuple[int, int]], series_ids: list | None
    ) -> list[np.ndarray]:
        """Point errors of each ``(start, end)`` row segment on its own, all segments in one batched predict."""
        if not segments:
            return []
        lengths = [end - start for start, end in segments]
        rows = np.concatenate([np.arange(start, end) for start, end in segments])
        owners = np.searchsorted(offsets, [start for start, _ in segments], side="right") - 1
        errors = self.point_errors(
            values[rows],
            np.cumsum([0, *lengths]),
            series_ids=None if series_ids is None else [series_ids[owner] for owner in owners],
        )
        return np.split(errors, np.cumsum(lengths)[:-1])

    def unseen_series(self, series_ids: list) -> list[str]:
        """Return the series of ``series_ids`` (as strings) that this per-series detector has no scaling for.

        Args:
            series_ids: series ids.

        Returns:
            The unknown ones, in order; always empty for a detector with one scaling for all series.

        Raises:
            NotFittedError: before :meth:`fit` or :meth:`load`.
        """
        self._check_fitted()
        if self.series_ids_ is None:
            return []
        known = set(self.series_ids_)
        return [str(series) for series in series_ids if str(series) not in known]

    def fit_unseen_series(
        self, values: np.ndarray, normal: np.ndarray, offsets: np.ndarray | None, series_ids: list
    ) -> list[str]:
        """Fit the scaling of the series this per-series detector does not know, from their normal rows.

        The network and the reference errors are unchanged; only a mean and a
        standard deviation per feature are added for each new series.

        Args:
            values: float ``(n_rows, n_features)`` series stacked in time order.
            normal: bool ``(n_rows,)`` the rows to fit the scaling on (e.g. each series' first rows).
            offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series.
            series_ids: one id per series.

        Returns:
            The ids of the series whose scaling was fitted (empty when all were known).

        Raises:
            NotFittedError: before :meth:`fit` or :meth:`load`.
        """
        unseen = set(self.unseen_series(series_ids))
        if not unseen:
            return []
        values = _as_2d(values)
        offsets = _bounds(offsets, len(values))
        pick = [k for k, series in enumerate(series_ids) if str(series) in unseen]
        rows = np.concatenate([np.arange(offsets[k], offsets[k + 1]) for k in pick])
        mean, scale = _normal_scaling(
            values[rows],
            np.asarray(normal, dtype=bool)[rows],
            np.cumsum([0] + [offsets[k + 1] - offsets[k] for k in pick]),
        )
        fitted = [str(series_ids[k]) for k in pick]
        self.add_series_scaling(fitted, mean, scale)
        return fitted

    def add_series_scaling(self, series_ids: list[str], mean: np.ndarray, scale: np.ndarray) -> None:
        """Add (or replace) the scaling of some series of a per-series detector, e.g. one fitted earlier and stored.

        Args:
            series_ids: the series.
            mean: float ``(len(series_ids), n_features)``.
            scale: float ``(len(series_ids), n_features)``, positive.

        Raises:
            NotFittedError: before :meth:`fit` or :meth:`load`.
            DataError: for a detector with one scaling for all series, or arrays of the wrong shape.
        """
        self._check_fitted()
        mean, scale = np.atleast_2d(mean).astype(np.float64), np.atleast_2d(scale).astype(np.float64)
        if (
            self.series_ids_ is None
            or mean.shape != (len(series_ids), self.mean_.shape[1])
            or scale.shape != mean.shape
        ):
            raise DataError(
                f"anomaly: cannot add the scaling of {len(series_ids)} series with shapes {mean.shape} and {scale.shape} "
                f"to a detector {'with one scaling for all series' if self.series_ids_ is None else f'of {self.mean_.shape[1]} columns'}"
            )
        replaced = {str(series) for series in series_ids}
        keep = [row for row, series in enumerate(self.series_ids_) if series not in replaced]
        self.mean_ = np.concatenate([self.mean_[keep], mean])
        self.scale_ = np.concatenate([self.scale_[keep], scale])
        self.series_ids_ = [*(self.series_ids_[row] for row in keep), *(str(series) for series in series_ids)]

    def save(self, path: str | Path) -> Path:
        """Write the network, scaling, reference errors and keyword arguments to a folder.

        Args:
            path: folder, created if missing.

        Returns:
            The folder.

        Raises:
            NotFittedError: before :meth:`fit`.
        """
        self._check_fitted()
        folder = Path(path)
        folder.mkdir(parents=True, exist_ok=True)
        self._save_network(folder / NETWORK_DIR)
        np.save(folder / REFERENCE_FILE, self.reference_errors_, allow_pickle=False)
        state = {
            "detector": self.name,
            "params": self.get_params(),
            "mean": self.mean_.tolist(),
            "scale": self.scale_.tolist(),
            "series_ids": self.series_ids_,
            "reference_offsets": self.reference_offsets_.tolist(),
            "reference_series": self.reference_series_,
            "history": self.history_,
        }
        (folder / STATE_FILE).write_text(json.dumps(artefact_payload(DetectorStateFile, state), indent=2))
        return folder

    def _scale(self, values: np.ndarray, offsets: np.ndarray, series_ids: list | None) -> np.ndarray:
        """Values on the normal rows' scale, each series by its own scaling when scaled per series."""
        if self.series_ids_ is None:
            return ((values - self.mean_[0]) / self.scale_[0]).astype(np.float32)
        if series_ids is None or len(series_ids) != len(offsets) - 1:
            raise DataError("anomaly: this detector scales each series on its own; pass one series id per series")
        unseen = self.unseen_series(series_ids)
        if unseen:
            shown = ", ".join(repr(series) for series in unseen[:3]) + (
                f" and {len(unseen) - 3} more" if len(unseen) > 3 else ""
            )
            raise DataError(
                f"anomaly: the detector has no scaling for series {shown}; score the series it was trained on, "
                "set anomaly.unseen_series: fit to fit their scaling from their first rows, or train a new detector"
            )
        position = {series: row for row, series in enumerate(self.series_ids_)}
        rows = np.repeat([position[str(series)] for series in series_ids], np.diff(offsets))
        return ((values - self.mean_[rows]) / self.scale_[rows]).astype(np.float32)

    def _check_fitted(self) -> None:
        if not hasattr(self, "mean_"):
            raise NotFittedError(
                f"{type(self).__name__}: not fitted; call fit(values, normal) or load_detector(path) first"
            )

    def _fit_network(self, scaled: np.ndarray, train: np.ndarray, val: np.ndarray, backup_dir: Path | None) -> dict:
        raise NotImplementedError

    def _training(self) -> dict:
        """The keyword arguments of :func:`~forecaster.models.training.fit_ensemble` (the windows were subsampled already)."""
        return {
            "seed": self.seed,
            "epochs": self.epochs,
            "learning_rate": self.learning_rate,
            "schedule": self.schedule,
            "clipnorm": self.clipnorm,
            "patience": self.patience,
            "max_train_windows": None,
            "ensemble": self.ensemble,
            "verbose": self.verbose,
        }

    def _window_errors(self, scaled: np.ndarray, starts: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _save_network(self, folder: Path) -> None:
        raise NotImplementedError

    def _load_network(self, folder: Path) -> None:
        raise NotImplementedError


class AutoencoderDetector(WindowDetector):
    """Recurrent encoder-decoder that reconstructs each window of ``lookback`` rows.

    The encoder (an LSTM, GRU or hand-written gated layer of ``units``) reads
    the window; its last state is repeated over the window and decoded by a
    second recurrent layer and a dense projection back to the features
    (:func:`~forecaster.models.build_autoencoder`). Trained with ``loss``.
    Takes the keyword arguments of :class:`WindowDetector`.

    Attributes:
        model_: the trained :class:`keras.Model`, ``(batch, lookback, n_features)`` to the same shape.

    >>> AutoencoderDetector(lookback=16, units=4).window_length
    16
    """

    name = "autoencoder"

    @property
    def error_steps(self) -> int:
        """Every row of the window is reconstructed."""
        return self.window_length

    def _fit_network(self, scaled: np.ndarray, train: np.ndarray, val: np.ndarray, backup_dir: Path | None) -> dict:
        """Train ``ensemble`` autoencoders (seeds ``seed``, ``seed + 1``, ...) and average them into ``model_``."""
        network = {
            "lookback": self.lookback,
            "units": self.units,
            "kind": self.kind,
            "gated_cell": self.gated_cell,
            "l2": self.l2,
        }
        n_features = scaled.shape[1]
        self.model_, history, _ = fit_ensemble(
            lambda name: build_autoencoder(n_features, **network, name=name),
            keras.losses.Huber() if self.loss == "huber" else self.loss,
            ReconstructionDataset(scaled, train, self.window_length, self.batch_size, shuffle=True, seed=self.seed),
            ReconstructionDataset(scaled, val, self.window_length, self.batch_size) if val.size else None,
            **self._training(),
            identity={
                "detector": self.name,
                **network,
                "loss": self.loss,
                "n_features": n_features,
                "n_train": int(train.size),
                "n_val": int(val.size),
            },
            backup_dir=backup_dir,
            name="autoencoder",
            ensemble_name="autoencoder_ensemble",
        )
        return history

    def _window_errors(self, scaled: np.ndarray, starts: np.ndarray) -> np.ndarray:
        windows = _windows(scaled, starts, self.window_length)
        reconstruction = self.model_.predict(windows, batch_size=1024, verbose=0)
        return np.abs(reconstruction - windows)

    def _save_network(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.model_.save(folder / "model.keras")

    def _load_network(self, folder: Path) -> None:
        self.model_ = keras.saving.load_model(folder / "model.keras", safe_mode=True)


class ReconstructionDataset(WindowDataset):
    """Batches ``(windows, windows)`` for an autoencoder: :class:`~forecaster.windows.dataset.WindowDataset`'s
    windows, shuffling and checkpointed random state, each whole window served as input and target.

    A window of ``length`` rows is the parent's ``lookback + horizon`` (``length - 1`` and 1). Missing
    values are served as 0 (the normal rows' mean).

    Args:
        scaled: float32 ``(n_rows, n_features)``.
        starts: int ``(n_windows,)`` first rows of the windows, each window inside one series.
        length: rows per window (>= 2).
        batch_size: windows per batch; the last batch keeps the remainder.
        shuffle: serve the windows in a new random order each epoch. Default ``False``.
        seed: seed of the shuffling generator. Default ``None``.
    """

    def __init__(
        self,
        scaled: np.ndarray,
        starts: np.ndarray,
        length: int,
        batch_size: int,
        shuffle: bool = False,
        seed: int | None = None,
    ) -> None:
        super().__init__(
            scaled, starts, length - 1, 1, n_targets=scaled.shape[1], batch_size=batch_size, shuffle=shuffle, seed=seed
        )

    def _batch(self, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        windows = np.nan_to_num(self.windows[starts])
        return windows, windows


class ResidualDetector(WindowDetector):
    """A one-step :class:`~forecaster.models.Forecaster` whose prediction errors score the points.

    The forecaster (recurrent encoder of ``kind`` and ``units``, point
    forecast, instance normalisation by the last value) predicts each row from
    the ``lookback`` rows before it, trained with ``loss``. Takes the keyword
    arguments of :class:`WindowDetector`.

    Attributes:
        forecaster_: the fitted :class:`~forecaster.models.Forecaster`.

    >>> ResidualDetector(lookback=16).window_length
    17
    """

    name = "residual"

    @property
    def window_length(self) -> int:
        """``lookback`` input rows and the predicted row."""
        return self.lookback + 1

    @property
    def error_steps(self) -> int:
        """Only the predicted row gets an error."""
        return 1

    def _fit_network(self, scaled: np.ndarray, train: np.ndarray, val: np.ndarray, backup_dir: Path | None) -> dict:
        self.forecaster_ = Forecaster(
            kind=self.kind,
            gated_cell=self.gated_cell,
            units=self.units,
            quantiles=(),
            instance_norm=True,
            instance_norm_method="last",
            loss=self.loss,
            l2=self.l2,
            **self._training(),
        )
        train_data = self._dataset(scaled, train, shuffle=True)
        self.forecaster_.fit(train_data, self._dataset(scaled, val) if val.size else None, backup_dir=backup_dir)
        return self.forecaster_.history_

    def _window_errors(self, scaled: np.ndarray, starts: np.ndarray) -> np.ndarray:
        forecast = self.forecaster_.predict(self._dataset(scaled, starts, batch_size=1024))
        actual = scaled[starts + self.lookback][:, None, :]
        return np.abs(forecast - np.nan_to_num(actual))

    def _dataset(
        self, scaled: np.ndarray, starts: np.ndarray, shuffle: bool = False, batch_size: int | None = None
    ) -> WindowDataset:
        return WindowDataset(
            scaled,
            starts,
            self.lookback,
            1,
            n_targets=scaled.shape[1],
            batch_size=batch_size or self.batch_size,
            shuffle=shuffle,
            seed=self.seed,
        )

    def _save_network(self, folder: Path) -> None:
        self.forecaster_.save(folder)

    def _load_network(self, folder: Path) -> None:
        self.forecaster_ = Forecaster.load(folder)


DETECTORS: dict[str, type[WindowDetector]] = {cls.name: cls for cls in (AutoencoderDetector, ResidualDetector)}


def make_detector(detector: str = "autoencoder", **params) -> WindowDetector:
    """Return the unfitted detector ``detector`` names.

    Args:
        detector: ``autoencoder`` (:class:`AutoencoderDetector`) or ``residual``
            (:class:`ResidualDetector`). Default ``"autoencoder"``.
        **params: the detector's keyword arguments (see :class:`WindowDetector`).

    Returns:
        An :class:`AutoencoderDetector` or a :class:`ResidualDetector`.

    Raises:
        ValueError: for an unknown ``detector``.
        TypeError: for an unknown keyword argument.

    >>> make_detector("residual", lookback=8, seed=1).get_params()["lookback"]
    8
    """
    if detector not in DETECTORS:
        raise ValueError(f"make_detector: detector must be one of {sorted(DETECTORS)}, got {detector!r}")
    return DETECTORS[detector](**params)


def load_detector(path: str | Path, **params) -> WindowDetector:
    """Load a detector written by :meth:`WindowDetector.save`, the network in Keras's safe mode.

    Args:
        path: the folder.
        **params: keyword arguments that replace the saved ones for scoring
            (``mode``, say; ``detector`` may be given too); those of
            :data:`NETWORK_KEYS` must equal the saved ones.

    Returns:
        The fitted detector.

    Raises:
        RunError: naming the folder, when it is not a saved detector or ``params``
            change the detector, its window or its network.
    """
    folder = Path(path)
    if not (folder / STATE_FILE).is_file() or not (folder / REFERENCE_FILE).is_file():
        raise RunError(
            f"{folder}: missing {STATE_FILE} or {REFERENCE_FILE}; expected a detector saved by forecaster detect"
        )
    state = read_artefact(folder / STATE_FILE, DetectorStateFile)
    saved = {"detector": state.detector, **state.params}
    for key in NETWORK_KEYS:
        if key in params and params[key] != saved.get(key):
            raise RunError(
                f"{folder}: the detector was trained with {key}={saved.get(key)!r}, the settings ask for "
                f"{params[key]!r}; use the run's value or train a new detector"
            )
    try:
        detector = make_detector(**{**saved, **params})
    except (TypeError, ValueError) as exc:
        raise RunError(
            f"{folder / STATE_FILE}: key 'params': {exc}; train the detector again with forecaster detect"
        ) from None
    detector.mean_ = np.atleast_2d(np.asarray(state.mean, dtype=np.float64))
    detector.scale_ = np.atleast_2d(np.asarray(state.scale, dtype=np.float64))
    detector.series_ids_ = state.series_ids
    detector.history_ = state.history
    reference_offsets = state.reference_offsets
    try:
        detector.reference_errors_ = np.load(folder / REFERENCE_FILE, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise RunError(
            f"{folder / REFERENCE_FILE}: not a saved numpy array ({type(exc).__name__}: {exc}); "
            "train the detector again with forecaster detect"
        ) from None
    n_reference = len(detector.reference_errors_)
    detector.reference_offsets_ = np.asarray(
        [0, n_reference] if reference_offsets is None else reference_offsets, dtype=np.int64
    )
    offsets = detector.reference_offsets_
    if (
        offsets.ndim != 1
        or offsets.size < 2
        or offsets[0] != 0
        or offsets[-1] != n_reference
        or (np.diff(offsets) < 0).any()
    ):
        raise RunError(
            f"{folder / STATE_FILE}: 'reference_offsets' must rise from 0 to the {n_reference} rows of "
            f"{REFERENCE_FILE}; train the detector again with forecaster detect"
        )
    detector.reference_series_ = state.reference_series
    if detector.reference_series_ is not None and len(detector.reference_series_) != offsets.size - 1:
        raise RunError(
            f"{folder / STATE_FILE}: 'reference_series' names {len(detector.reference_series_)} series for "
            f"{offsets.size - 1} reference segments; train the detector again with forecaster detect"
        )
    try:
        detector._load_network(folder / NETWORK_DIR)
    except (DataError, OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise RunError(
            f"{folder / NETWORK_DIR}: cannot load the network ({type(exc).__name__}: {exc}); "
            "train the detector again with forecaster detect"
        ) from None
    return detector


def online_point_errors(values: np.ndarray, n_initial: int, growth: float = 2.0, **params) -> np.ndarray:
    """Score one series as a stream, refitting the detector on every row seen so far as the stream grows.

    A detector fitted on rows ``[0, n_initial)`` scores rows up to ``growth *
    n_initial``; there a new detector is fitted on all rows before it and
    scores up to the next checkpoint, and so on (checkpoints ``n_initial *
    growth ** k``). Each row is scored causally by a detector fitted only on
    earlier rows, so the scores follow drift without reading ahead.

    Args:
        values: float ``(n_rows, n_features)`` (or ``(n_rows,)``) one series in time order.
        n_initial: rows of the first fit (e.g. a probationary period).
        growth: ratio between consecutive checkpoints (> 1); ``inf`` never refits. Default 2.
        **params: :func:`make_detector`'s arguments (``detector`` and the
            detector's keyword arguments; ``mode`` is ignored: scoring is causal).

    Returns:
        float32 ``(n_rows, n_features)`` causal point errors; NaN before the
        first full window.

    Raises:
        ValueError: for ``growth <= 1`` or ``n_initial < 1``.
        DataError: when the first ``n_initial`` rows hold no training window.
    """
    if growth <= 1 or n_initial < 1:
        raise ValueError(f"online_point_errors: growth must be > 1 and n_initial >= 1, got {growth} and {n_initial}")
    values = _as_2d(values)
    n_rows = len(values)
    errors = np.full(values.shape, np.nan, dtype=np.float32)
    fitted_rows = min(n_initial, n_rows)
    scored_rows = 0
    while scored_rows < n_rows:
        detector = make_detector(**params).fit(values[:fitted_rows], np.ones(fitted_rows, dtype=bool))
        end = n_rows if not np.isfinite(growth) else min(n_rows, max(int(fitted_rows * growth), fitted_rows + 1))
        context = max(0, scored_rows - detector.window_length + 1)
        block = detector.point_errors(values[context:end], mode="causal")
        errors[scored_rows:end] = block[scored_rows - context :]
        scored_rows = fitted_rows = end
    return errors


def _as_2d(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64)
    return values[:, None] if values.ndim == 1 else values


def _normal_scaling(values: np.ndarray, normal: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation (1 where constant or unknown) of each series' normal rows, ``(n_series, n_features)`` each."""
    groups = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
    frame = pd.DataFrame(np.where(normal[:, None], values, np.nan))
    grouped = frame.groupby(groups)
    mean = grouped.mean().reindex(range(len(offsets) - 1)).to_numpy()
    std = grouped.std(ddof=0).reindex(range(len(offsets) - 1)).to_numpy()
    return np.nan_to_num(mean), np.where(np.nan_to_num(std) > 1e-12, std, 1.0)


def _bounds(offsets: np.ndarray | None, n_rows: int) -> np.ndarray:
    return np.array([0, n_rows], dtype=np.int64) if offsets is None else np.asarray(offsets, dtype=np.int64)


def _window_starts(offsets: np.ndarray, length: int) -> np.ndarray:
    """First rows of every window of ``length`` rows that lies inside one series."""
    starts = [np.arange(start, end - length + 1) for start, end in zip(offsets[:-1], offsets[1:])]
    return np.concatenate(starts).astype(np.int64) if starts else np.empty(0, dtype=np.int64)


def _windows(scaled: np.ndarray, starts: np.ndarray, length: int) -> np.ndarray:
    """Copy the windows at ``starts``, ``(n, length, n_features)``, missing values as 0 (the normal mean)."""
    view = sliding_window_view(scaled, length, axis=0).transpose(0, 2, 1)
    return np.nan_to_num(view[starts])


def _normal_windows(
    normal: np.ndarray, offsets: np.ndarray, length: int, val_fraction: float
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """Split the windows made only of normal rows into training and later, non-overlapping validation windows.

    A series holds out the last ``val_fraction`` of its normal rows only when
    they contain at least one full window; otherwise those rows would give no
    validation window and be lost to training, so the series trains on all of
    its normal rows.

    Returns:
        ``(train_starts, val_starts, reference_segments)``; the segments are the
        ``(start, end)`` row ranges of each series' held-out normal rows, or,
        when no series holds any out, from the first to the last normal row of
        each series that has one.
    """
    normal = np.asarray(normal, dtype=bool)
    counts = np.concatenate([[0], np.cumsum(normal)])
    starts = _window_starts(offsets, length)
    full = starts[counts[starts + length] - counts[starts] == length]
    series = np.searchsorted(offsets, full, side="right") - 1
    normal_rows = [start + np.flatnonzero(normal[start:end]) for start, end in zip(offsets[:-1], offsets[1:])]
    cuts = np.asarray(offsets[1:], dtype=np.int64).copy()
    held_out = []
    for k, rows in enumerate(normal_rows):
        n_held = int(round(val_fraction * rows.size))
        if n_held and (full[series == k] >= rows[-n_held]).any():
            cuts[k] = rows[-n_held]
            held_out.append((int(cuts[k]), int(rows[-1]) + 1))
    train = full[full + length <= cuts[series]]
    val = full[full >= cuts[series]]
    if held_out:
        return train, val, held_out
    return train, val, [(int(rows[0]), int(rows[-1]) + 1) for rows in normal_rows if rows.size]
