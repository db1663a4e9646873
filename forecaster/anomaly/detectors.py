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
from pydantic import ValidationError

from forecaster.artefacts import DetectorStateFile, artefact_payload, describe_error, read_artefact
from forecaster.config import AnomalyConfig, ModelConfig, TrainingConfig
from forecaster.errors import DataError, NotFittedError, RunError
from forecaster.models import Forecaster, average_networks, build_autoencoder, merge_histories
from forecaster.windows.dataset import WindowDataset

logger = logging.getLogger(__name__)

STATE_FILE = "detector.json"
REFERENCE_FILE = "reference_errors.npy"
NETWORK_DIR = "network"
NETWORK_KEYS = ("detector", "kind", "gated_cell", "units", "lookback", "ensemble")
"""``anomaly`` keys fixed when a detector is trained: a saved detector scores only with the same values."""


class WindowDetector:
    """Common fitting, scoring and persistence of the window detectors; use a subclass.

    Args:
        config: the ``anomaly`` section (network size, training, normal rows, mode).
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

    def __init__(self, config: AnomalyConfig, seed: int = 42) -> None:
        self.config = config
        self.seed = seed

    @property
    def window_length(self) -> int:
        """Rows per window the network reads."""
        return self.config.lookback

    @property
    def error_steps(self) -> int:
        """Rows at the end of each window that get an error."""
        raise NotImplementedError

    def fit(
        self, values: np.ndarray, normal: np.ndarray, offsets: np.ndarray | None = None, series_ids: list | None = None
    ) -> "WindowDetector":
        """Scale, train on the windows of normal rows, and keep the reference errors.

        Args:
            values: float ``(n_rows, n_features)`` series stacked in time order; NaN where missing.
            normal: bool ``(n_rows,)`` rows declared normal.
            offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.
            series_ids: one id per series: scale each series by its own normal
                rows; ``None`` scales all series by their normal rows together. Default ``None``.

        Returns:
            ``self``, fitted.

        Raises:
            DataError: when the normal rows hold no full training window.
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
        train, val, segments = _normal_windows(normal, offsets, self.window_length, self.config.val_fraction)
        if train.size == 0:
            raise DataError(
                f"anomaly: the normal rows hold no window of {self.window_length} rows; declare more rows normal "
                "(anomaly.normal, normal_fraction) or lower anomaly.lookback"
            )
        if self.config.max_train_windows is not None and train.size > self.config.max_train_windows:
            rng = np.random.default_rng(self.seed)
            train = np.sort(rng.choice(train, self.config.max_train_windows, replace=False))
        scaled = self._scale(values, offsets, series_ids)
        self.history_ = self._fit_network(scaled, train, val)
        reference = self._segment_errors(values, offsets, segments, series_ids)
        reference = [part[np.isfinite(part).all(axis=1)] for part in reference]
        self.reference_errors_ = np.concatenate(reference or [np.empty((0, values.shape[1]))]).astype(np.float32)
        self.reference_offsets_ = np.cumsum([0] + [len(part) for part in reference], dtype=np.int64)
        owners = np.searchsorted(offsets, [start for start, _ in segments], side="right") - 1
        self.reference_series_ = None if self.series_ids_ is None else [self.series_ids_[owner] for owner in owners]
        return self

    def point_errors(
        self, values: np.ndarray, offsets: np.ndarray | None = None, mode: str | None = None, series_ids: list | None = None
    ) -> np.ndarray:
        """Return each point's absolute error per feature, on the normal rows' scale.

        Args:
            values: float ``(n_rows, n_features)``, the fitted columns in order.
            offsets: int ``(n_series + 1,)`` row boundaries; ``None`` for one series. Default ``None``.
            mode: ``causal`` (the window ending at the point) or ``centered``
                (every window covering it); ``None`` uses ``config.mode``.
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
        if (mode or self.config.mode) == "causal":
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
        errors = self.point_errors(values[rows], np.cumsum([0, *lengths]),
                                   series_ids=None if series_ids is None else [series_ids[owner] for owner in owners])
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

    def fit_unseen_series(self, values: np.ndarray, normal: np.ndarray, offsets: np.ndarray | None, series_ids: list) -> list[str]:
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
        mean, scale = _normal_scaling(values[rows], np.asarray(normal, dtype=bool)[rows],
                                      np.cumsum([0] + [offsets[k + 1] - offsets[k] for k in pick]))
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
        if self.series_ids_ is None or mean.shape != (len(series_ids), self.mean_.shape[1]) or scale.shape != mean.shape:
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
        """Write the network, scaling, reference errors and config to a folder.

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
            "config": self.config.model_dump(mode="json"),
            "seed": self.seed,
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
            shown = ", ".join(repr(series) for series in unseen[:3]) + (f" and {len(unseen) - 3} more" if len(unseen) > 3 else "")
            raise DataError(
                f"anomaly: the detector has no scaling for series {shown}; score the series it was trained on, "
                "set anomaly.unseen_series: fit to fit their scaling from their first rows, or train a new detector"
            )
        position = {series: row for row, series in enumerate(self.series_ids_)}
        rows = np.repeat([position[str(series)] for series in series_ids], np.diff(offsets))
        return ((values - self.mean_[rows]) / self.scale_[rows]).astype(np.float32)

    def _check_fitted(self) -> None:
        if not hasattr(self, "mean_"):
            raise NotFittedError(f"{type(self).__name__}: not fitted; call fit(values, normal) or load_detector(path) first")

    def _fit_network(self, scaled: np.ndarray, train: np.ndarray, val: np.ndarray) -> dict:
        raise NotImplementedError

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
    second recurrent layer and a dense projection back to the features.
    Trained with the mean squared error (Huber when every row is declared
    normal, to resist the anomalies among them).

    Args:
        config: the ``anomaly`` section.
        seed: seed of Python, numpy and Keras. Default 42.

    Attributes:
        model_: the trained :class:`keras.Model`, ``(batch, lookback, n_features)`` to the same shape.
    """

    name = "autoencoder"

    @property
    def error_steps(self) -> int:
        """Every row of the window is reconstructed."""
        return self.window_length

    def _fit_network(self, scaled: np.ndarray, train: np.ndarray, val: np.ndarray) -> dict:
        """Train ``config.ensemble`` autoencoders (seeds ``seed``, ``seed + 1``, ...); average them into ``model_``."""
        cfg = self.config
        x_train = _windows(scaled, train, self.window_length)
        validation = None
        if val.size:
            x_val = _windows(scaled, val, self.window_length)
            validation = (x_val, x_val)
        members, histories = [], []
        for member in range(cfg.ensemble):
            keras.utils.set_random_seed(self.seed + member)
            model = build_autoencoder(cfg, scaled.shape[1], name="autoencoder" if cfg.ensemble == 1 else f"member_{member}")
            model.compile(
                optimizer=keras.optimizers.Adam(cfg.learning_rate, clipnorm=1.0),
                loss=keras.losses.Huber() if cfg.normal == "all" else "mse",
            )
            stop = keras.callbacks.EarlyStopping(
                monitor="val_loss" if validation else "loss", patience=cfg.patience, restore_best_weights=True
            )
            history = model.fit(
                x_train, x_train, validation_data=validation, epochs=cfg.epochs, batch_size=cfg.batch_size,
                callbacks=[stop], shuffle=True, verbose=0,
            )
            members.append(model)
            histories.append({key: [float(v) for v in values] for key, values in history.history.items()})
        self.model_ = members[0] if cfg.ensemble == 1 else average_networks(members, name="autoencoder_ensemble")
        return merge_histories(histories)

    def _window_errors(self, scaled: np.ndarray, starts: np.ndarray) -> np.ndarray:
        windows = _windows(scaled, starts, self.window_length)
        reconstruction = self.model_.predict(windows, batch_size=1024, verbose=0)
        return np.abs(reconstruction - windows)

    def _save_network(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.model_.save(folder / "model.keras")

    def _load_network(self, folder: Path) -> None:
        self.model_ = keras.saving.load_model(folder / "model.keras", safe_mode=True)


class ResidualDetector(WindowDetector):
    """A one-step :class:`~forecaster.models.Forecaster` whose prediction errors score the points.

    The forecaster (recurrent encoder of ``kind`` and ``units``, point
    forecast, instance normalisation by the last value) predicts each row from
    the ``lookback`` rows before it. Trained with the mean squared error
    (Huber when every row is declared normal).

    Args:
        config: the ``anomaly`` section.
        seed: seed of Python, numpy and Keras. Default 42.

    Attributes:
        forecaster_: the fitted :class:`~forecaster.models.Forecaster`.
    """

    name = "residual"

    @property
    def window_length(self) -> int:
        """``lookback`` input rows and the predicted row."""
        return self.config.lookback + 1

    @property
    def error_steps(self) -> int:
        """Only the predicted row gets an error."""
        return 1

    def _fit_network(self, scaled: np.ndarray, train: np.ndarray, val: np.ndarray) -> dict:
        cfg = self.config
        model_cfg = ModelConfig(
            kind=cfg.kind, gated_cell=cfg.gated_cell, units=cfg.units, quantiles=[], instance_norm=True,
            instance_norm_method="last", loss="huber" if cfg.normal == "all" else "mse",
        )
        training_cfg = TrainingConfig(
            epochs=cfg.epochs, batch_size=cfg.batch_size, learning_rate=cfg.learning_rate, schedule="constant",
            patience=cfg.patience, ensemble=cfg.ensemble, verbose=0,
        )
        self.forecaster_ = Forecaster(model_cfg, training_cfg, seed=self.seed)
        train_data = self._dataset(scaled, train, shuffle=True)
        self.forecaster_.fit(train_data, self._dataset(scaled, val) if val.size else None)
        return self.forecaster_.history_

    def _window_errors(self, scaled: np.ndarray, starts: np.ndarray) -> np.ndarray:
        forecast = self.forecaster_.predict(self._dataset(scaled, starts, batch_size=1024))
        actual = scaled[starts + self.config.lookback][:, None, :]
        return np.abs(forecast - np.nan_to_num(actual))

    def _dataset(self, scaled: np.ndarray, starts: np.ndarray, shuffle: bool = False, batch_size: int | None = None) -> WindowDataset:
        return WindowDataset(
            scaled, starts, self.config.lookback, 1, n_targets=scaled.shape[1],
            batch_size=batch_size or self.config.batch_size, shuffle=shuffle, seed=self.seed,
        )

    def _save_network(self, folder: Path) -> None:
        self.forecaster_.save(folder)

    def _load_network(self, folder: Path) -> None:
        self.forecaster_ = Forecaster.load(folder)


DETECTORS: dict[str, type[WindowDetector]] = {cls.name: cls for cls in (AutoencoderDetector, ResidualDetector)}


def make_detector(config: AnomalyConfig, seed: int = 42) -> WindowDetector:
    """Return the unfitted detector ``config.detector`` names.

    Args:
        config: the ``anomaly`` section.
        seed: seed of Python, numpy and Keras. Default 42.

    Returns:
        An :class:`AutoencoderDetector` or a :class:`ResidualDetector`.
    """
    return DETECTORS[config.detector](config, seed)


def load_detector(path: str | Path, config: AnomalyConfig | None = None) -> WindowDetector:
    """Load a detector written by :meth:`WindowDetector.save`, the network in Keras's safe mode.

    Args:
        path: the folder.
        config: settings that replace the saved ones for scoring (mode,
            smoothing, thresholds); the network-shaping keys must match the saved
            ones. ``None`` keeps the saved config. Default ``None``.

    Returns:
        The fitted detector.

    Raises:
        RunError: naming the folder, when it is not a saved detector or ``config``
            changes the detector, its window or its network.
    """
    folder = Path(path)
    if not (folder / STATE_FILE).is_file() or not (folder / REFERENCE_FILE).is_file():
        raise RunError(f"{folder}: missing {STATE_FILE} or {REFERENCE_FILE}; expected a detector saved by forecaster detect")
    state = read_artefact(folder / STATE_FILE, DetectorStateFile)
    try:
        saved = AnomalyConfig(**state.config)
    except ValidationError as exc:
        raise RunError(f"{folder / STATE_FILE}: config: {describe_error(exc)}; train the detector again with forecaster detect") from None
    detector = DETECTORS[state.detector](config or saved, seed=state.seed)
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
    if offsets.ndim != 1 or offsets.size < 2 or offsets[0] != 0 or offsets[-1] != n_reference or (np.diff(offsets) < 0).any():
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
    if config is not None:
        for key in NETWORK_KEYS:
            if getattr(config, key) != getattr(saved, key):
                raise RunError(
                    f"{folder}: the detector was trained with anomaly.{key} {getattr(saved, key)!r}, the config asks "
                    f"for {getattr(config, key)!r}; use the run's value or train a new detector"
                )
    try:
        detector._load_network(folder / NETWORK_DIR)
    except (DataError, OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile) as exc:
        raise RunError(
            f"{folder / NETWORK_DIR}: cannot load the network ({type(exc).__name__}: {exc}); "
            "train the detector again with forecaster detect"
        ) from None
    return detector


def online_point_errors(
    config: AnomalyConfig, values: np.ndarray, n_initial: int, growth: float = 2.0, seed: int = 42
) -> np.ndarray:
    """Score one series as a stream, refitting the detector on every row seen so far as the stream grows.

    A detector fitted on rows ``[0, n_initial)`` scores rows up to ``growth *
    n_initial``; there a new detector is fitted on all rows before it and
    scores up to the next checkpoint, and so on (checkpoints ``n_initial *
    growth ** k``). Each row is scored causally by a detector fitted only on
    earlier rows, so the scores follow drift without reading ahead.

    Args:
        config: the ``anomaly`` section (``mode`` is ignored: scoring is causal).
        values: float ``(n_rows, n_features)`` (or ``(n_rows,)``) one series in time order.
        n_initial: rows of the first fit (e.g. a probationary period).
        growth: ratio between consecutive checkpoints (> 1); ``inf`` never refits. Default 2.
        seed: training seed. Default 42.

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
        detector = make_detector(config, seed).fit(values[:fitted_rows], np.ones(fitted_rows, dtype=bool))
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
