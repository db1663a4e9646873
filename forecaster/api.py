"""The Python API: forecasting and anomaly detection on pandas DataFrames, in two lines each.

:class:`ForecastPipeline` and :class:`AnomalyPipeline` follow scikit-learn's
estimator conventions: ``__init__`` stores flat keyword hyperparameters
unchanged and does no work, ``fit`` returns ``self``, what is learned ends in
``_``, ``get_params``/``set_params`` make ``sklearn.base.clone`` work. Both run
exactly what the CLI runs: the data is validated and repaired by the same
policies, the hyperparameters become the same config (:meth:`to_config`, and
:meth:`from_config` for a YAML file), and :meth:`save` writes the same run
folder that ``forecaster train`` or ``forecaster detect`` writes. Nothing needs
a data file on disk. Errors are the CLI's one-line exceptions
(:class:`~forecaster.errors.DataError` and
:class:`~forecaster.errors.ConfigError` are ``ValueError``).

>>> import numpy as np, pandas as pd
>>> from forecaster import ForecastPipeline
>>> frame = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=300, freq="h"),
...                       "load": np.sin(np.arange(300) / 24 * 2 * np.pi)})
>>> pipeline = ForecastPipeline(lookback=24, horizon=6, units=4, epochs=1).fit(frame, target_columns=["load"])
>>> pipeline.predict()[["target_time", "step", "forecast", "lower", "upper"]].shape
(6, 5)
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
from sklearn.base import BaseEstimator

from forecaster.config import ForecasterConfig, config_from_dict, config_to_dict, load_config
from forecaster.data import SeriesCollection, validate_series
from forecaster.data.validate import FRAME_SOURCE
from forecaster.errors import DataError, NotFittedError, RunError
from forecaster.runs import RunFolder

logger = logging.getLogger(__name__)

CONFIG_FILE = "config.yaml"


class _ConfigPipeline(BaseEstimator):
    """Flat keyword hyperparameters that map one to one onto dotted config keys, plus ``options`` for the rest.

    Subclasses name their keywords in ``_param_keys`` (keyword -> dotted key);
    ``options`` holds any other dotted key of :class:`~forecaster.config.ForecasterConfig`.
    """

    _param_keys: ClassVar[dict[str, str]] = {}
    _fitted_attribute: ClassVar[str] = ""

    def to_config(self) -> ForecasterConfig:
        """Return the config the CLI would run with these hyperparameters.

        Returns:
            The validated :class:`~forecaster.config.ForecasterConfig`; its
            ``data`` section holds the data policies and, after :meth:`fit`, the
            columns ``fit`` was given (``data.path`` stays ``None`` unless set in ``options``).

        Raises:
            ConfigError: for a hyperparameter or option out of range, naming its config key.
        """
        return self._config({})

    @classmethod
    def from_config(cls, config: str | Path | ForecasterConfig) -> Any:
        """Build a pipeline from a YAML config file or a config object: the CLI's settings, in Python.

        Keys with a keyword of their own become that keyword; every other key
        that differs from the pipeline's defaults goes into ``options``, so
        ``from_config(c).to_config() == c``.

        Args:
            config: path of a YAML config (validated as the CLI validates it) or a
                :class:`~forecaster.config.ForecasterConfig`.

        Returns:
            An unfitted pipeline.

        Raises:
            ConfigError: for a missing or invalid config file.
        """
        if not isinstance(config, ForecasterConfig):
            config = load_config(config)
        defaults = _flatten(config_to_dict(cls().to_config()))
        keyword_of = {key: name for name, key in cls._param_keys.items()}
        params: dict[str, Any] = {}
        options: dict[str, Any] = {}
        given = config_to_dict(config)
        given["data"] = given["data"] or {}
        for key, value in _flatten(given).items():
            if key in keyword_of:
                params[keyword_of[key]] = tuple(value) if isinstance(value, list) else value
            elif key not in defaults or defaults[key] != value:
                options[key] = value
        return cls(**params, options=options or None)

    def _config(self, data_keys: dict[str, Any]) -> ForecasterConfig:
        """The config of the hyperparameters, ``options`` and ``data_keys`` (dotted ``data.*`` keys from ``fit``)."""
        dotted = {key: getattr(self, name) for name, key in self._param_keys.items()}
        dotted.update(self.options or {})
        dotted.update(data_keys)
        raw: dict[str, Any] = {}
        for key, value in dotted.items():
            *sections, leaf = key.split(".")
            node = raw
            for section in sections:
                node = node.setdefault(section, {})
            node[leaf] = list(value) if isinstance(value, tuple) else value
        return config_from_dict(raw, source=type(self).__name__)

    def _fit_config(self, **data_keys: Any) -> ForecasterConfig:
        """The config of a fit: the hyperparameters and the column arguments that were given (not ``None``)."""
        return self._config({f"data.{name}": value for name, value in data_keys.items() if value is not None})

    def _check_fitted(self, verb: str) -> None:
        if not hasattr(self, self._fitted_attribute):
            raise NotFittedError(
                f"{type(self).__name__}.{verb}: this pipeline is not fitted; call fit(df) or "
                f"{type(self).__name__}.load(path) first"
            )


class ForecastPipeline(_ConfigPipeline):
    """Forecast the next ``horizon`` steps of one or many series from a DataFrame.

    Validates and repairs the data by the CLI's policies, splits it in time
    (train, validation for early stopping and interval calibration, test),
    scales it on the training rows, trains a recurrent network and calibrates
    split-conformal intervals, as ``forecaster train`` does.

    Args:
        lookback: input steps per window (``windows.lookback``). Default 96.
        horizon: steps forecast at once (``windows.horizon``). Default 24.
        model: ``lstm``, ``gru`` or ``gated`` (``model.kind``). Default ``"lstm"``.
        units: hidden units per recurrent layer (``model.units``). Default 64.
        layers: stacked recurrent layers (``model.layers``). Default 1.
        dropout: dropout of recurrent layers and head (``model.dropout``). Default 0.
        quantiles: quantile levels, 0.5 included; ``()`` for a point forecast
            (``model.quantiles``). Default ``(0.1, 0.5, 0.9)``.
        calendar_features: known-future features from timestamps, some of
            ``hour``, ``dayofweek``, ``dayofmonth``, ``dayofyear``, ``month``
            (``windows.calendar_features``). Default ``()``.
        epochs: maximum training epochs (``training.epochs``). Default 20.
        batch_size: windows per batch (``training.batch_size``). Default 64.
        learning_rate: Adam's initial rate (``training.learning_rate``). Default 1e-3.
        patience: epochs without validation improvement before stopping (``training.patience``). Default 5.
        scaling: ``standard``, ``minmax``, ``robust`` or ``none`` (``scaling.method``). Default ``"standard"``.
        fill: ``interpolate``, ``ffill``, ``mask`` or ``refuse`` gaps and missing values (``data.fill``).
            Default ``"interpolate"``.
        frequency: the rows' step as a pandas alias (``h``, ``D``); ``None`` infers it (``data.frequency``).
            Default ``None``.
        interval_alpha: miscoverage of the intervals, 0.2 for 80% (``evaluation.interval_alpha``). Default 0.2.
        seed: seed of Python, numpy and Keras (``seed``). Default 42.
        verbose: Keras progress output, 0 silent (``training.verbose``). Default 0.
        options: any other config keys, dotted (``{"model.attention": "dot", "split.train": 0.8}``).
            Default ``None``.

    Attributes:
        run_: the :class:`~forecaster.workflow.trained_run.TrainedRun` (config, network, scaler,
            intervals, schema); exists after :meth:`fit` or :meth:`load`.
        collection_: the validated training series (after :meth:`fit` only).
        repairs_: the data repairs made by :meth:`fit`, as ``metrics.json`` counts them.

    Example:
        >>> import numpy as np, pandas as pd
        >>> times = pd.date_range("2024-01-01", periods=240, freq="h")
        >>> frame = pd.DataFrame({"date": times, "y": np.cos(np.arange(240) / 4)})
        >>> pipeline = ForecastPipeline(lookback=12, horizon=3, units=4, epochs=1, quantiles=())
        >>> forecast = pipeline.fit(frame).predict()
        >>> forecast[["step", "column"]].values.tolist()
        [[1, 'y'], [2, 'y'], [3, 'y']]
        >>> str(forecast["target_time"].iloc[0])
        '2024-01-11 00:00:00'
    """

    _param_keys: ClassVar[dict[str, str]] = {
        "lookback": "windows.lookback",
        "horizon": "windows.horizon",
        "model": "model.kind",
        "units": "model.units",
        "layers": "model.layers",
        "dropout": "model.dropout",
        "quantiles": "model.quantiles",
        "calendar_features": "windows.calendar_features",
        "epochs": "training.epochs",
        "batch_size": "training.batch_size",
        "learning_rate": "training.learning_rate",
        "patience": "training.patience",
        "scaling": "scaling.method",
        "fill": "data.fill",
        "frequency": "data.frequency",
        "interval_alpha": "evaluation.interval_alpha",
        "seed": "seed",
        "verbose": "training.verbose",
    }
    _fitted_attribute: ClassVar[str] = "run_"

    def __init__(
        self,
        lookback: int = 96,
        horizon: int = 24,
        *,
        model: str = "lstm",
        units: int = 64,
        layers: int = 1,
        dropout: float = 0.0,
        quantiles: tuple[float, ...] = (0.1, 0.5, 0.9),
        calendar_features: tuple[str, ...] = (),
        epochs: int = 20,
        batch_size: int = 64,
        learning_rate: float = 1e-3,
        patience: int = 5,
        scaling: str = "standard",
        fill: str = "interpolate",
        frequency: str | None = None,
        interval_alpha: float = 0.2,
        seed: int = 42,
        verbose: int = 0,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.lookback = lookback
        self.horizon = horizon
        self.model = model
        self.units = units
        self.layers = layers
        self.dropout = dropout
        self.quantiles = quantiles
        self.calendar_features = calendar_features
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.patience = patience
        self.scaling = scaling
        self.fill = fill
        self.frequency = frequency
        self.interval_alpha = interval_alpha
        self.seed = seed
        self.verbose = verbose
        self.options = options

    def fit(
        self,
        df: pd.DataFrame,
        time_column: str | None = None,
        target_columns: list[str] | None = None,
        id_column: str | None = None,
        past_covariates: list[str] | None = None,
        future_covariates: list[str] | None = None,
    ) -> "ForecastPipeline":
        """Validate, window and scale ``df``, train the network and calibrate its intervals.

        Column arguments left ``None`` take the config's values (``data.*`` in
        ``options`` or from :meth:`from_config`, else the defaults: time column
        ``date``, every numeric column a target, one series).

        Args:
            df: the series, one row per time step (long format with ``id_column``
                for many series); the time may also be the index, named ``time_column``.
            time_column: column of timestamps (or step numbers). Default ``None``.
            target_columns: columns to forecast. Default ``None``.
            id_column: column naming each series in long format. Default ``None``.
            past_covariates: numeric columns known only up to the forecast origin. Default ``None``.
            future_covariates: numeric columns known ahead of time (holidays, planned
                maintenance, weather forecasts), fed to the network over the horizon
                next to the calendar features; :meth:`predict` then needs their future
                values. Default ``None``.

        Returns:
            ``self``, fitted (``run_``, ``collection_``, ``repairs_``).

        Raises:
            ConfigError: for hyperparameters out of range or that do not fit the data.
            DataError: for data the policies refuse (missing columns, series shorter
                than ``lookback + horizon``, non-numeric values, ...), as the CLI does.
        """
        from forecaster.workflow.forecasting import train
        from forecaster.workflow.windows import rows_for_training, window_collection

        config = self._fit_config(
            time_column=time_column,
            target_columns=target_columns,
            id_column=id_column,
            past_covariates=past_covariates,
            future_covariates=future_covariates,
        )
        min_rows, too_short = rows_for_training(config.windows, keys=("lookback", "horizon"))
        collection, repairs = _validate_frame(df, config, min_rows=min_rows, too_short=too_short)
        windowed = window_collection(config, collection)
        self.run_ = train(config, windowed, resumable=False)  # the model lives in memory: no backup on disk
        self.collection_ = collection
        self.repairs_ = repairs.to_dict()
        return self

    def predict(self, df: pd.DataFrame | None = None, future: pd.DataFrame | None = None) -> pd.DataFrame:
        """Forecast the ``horizon`` steps after the end of every series, in the data's units, with intervals.

        Args:
            df: recent data with the training columns (at least ``lookback`` rows
                per series), validated by the policies of the fit; ``None``
                forecasts past the end of the data of :meth:`fit`. Default ``None``.
            future: with future covariates, their values for the ``horizon`` steps
                after each series' end: one row per series and step with the time
                column, the id column (long format) and every future covariate.
                Default ``None``.

        Returns:
            One row per (series, step, target column): ``series_id, origin,
            target_time, step, column, forecast, lower, upper`` and a ``q<level>``
            column per quantile; the same table ``forecaster forecast`` writes.

        Raises:
            NotFittedError: before :meth:`fit` or :meth:`load`.
            DataError: for data lacking training columns, at another frequency,
                far outside the training scale or with series a per-series scaler never saw,
                future covariates missing for a step of the horizon, or ``future`` given
                to a pipeline fitted without future covariates.
        """
        from forecaster.workflow.forecasting import TRAINED_COLUMNS, check_new_data, forecast_next, rows_for_forecast

        self._check_fitted("predict")
        if future is not None and not self.run_.schema.get("future_covariates"):
            raise DataError(
                "ForecastPipeline.predict: this pipeline was fitted without future covariates "
                "(future_covariates is empty): drop future"
            )
        if df is None:
            if not hasattr(self, "collection_"):
                raise DataError(
                    "ForecastPipeline.predict: a loaded pipeline keeps no training data; pass the recent data as df"
                )
            return forecast_next(self.run_, self.collection_, FRAME_SOURCE, future)
        config = self.run_.config.model_copy(
            update={"data": self.run_.config.data.model_copy(update={"max_rows": None})}
        )
        min_rows, too_short = rows_for_forecast(self.run_)
        collection, _ = _validate_frame(
            df, config, min_rows=min_rows, too_short=too_short, columns_fixed_by=TRAINED_COLUMNS
        )
        check_new_data(self.run_, collection, FRAME_SOURCE)
        return forecast_next(self.run_, collection, FRAME_SOURCE, future)

    def backtest(self, df: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
        """Score the fitted model and the baselines on every test window of ``df``, as ``forecaster backtest --run``.

        ``df`` is split and scaled by the fit's config (its test split is scored).

        Args:
            df: data with the training columns.

        Returns:
            ``(metrics, predictions)``: the backtest metrics (the ``metrics.json``
            of a backtest: ``mse``, ``mae``, per-step and original-unit scores,
            baselines, skill, coverage) and one row per test forecast.

        Raises:
            NotFittedError: before :meth:`fit` or :meth:`load`.
            DataError: for data the policies refuse or too short for a test window.
            RunError: when ``df`` gives windows of other columns than the fit's.
        """
        from forecaster.workflow.forecasting import backtest
        from forecaster.workflow.trained_run import check_run_fits
        from forecaster.workflow.windows import rows_for_training, window_collection

        self._check_fitted("backtest")
        config = self.run_.config
        min_rows, too_short = rows_for_training(config.windows, keys=None)
        collection, _ = _validate_frame(df, config, min_rows=min_rows, too_short=too_short)
        windowed = window_collection(config, collection)
        check_run_fits(self.run_, windowed, Path(FRAME_SOURCE))
        result = backtest(self.run_, windowed)
        return result.metrics, result.predictions

    def save(self, path: str | Path, overwrite: bool = False) -> Path:
        """Write the trained run folder ``forecaster train`` writes, which ``forecaster forecast --run`` loads.

        Args:
            path: the folder to create.
            overwrite: replace an existing folder. Default ``False``.

        Returns:
            The folder.

        Raises:
            NotFittedError: before :meth:`fit` or :meth:`load`.
            RunError: when ``path`` exists and ``overwrite`` is false.
        """
        from forecaster.workflow.trained_run import save_trained_run

        self._check_fitted("save")

        def write(run: RunFolder) -> None:
            run.write_yaml(CONFIG_FILE, config_to_dict(self.run_.config))
            save_trained_run(run, self.run_)

        return _write_folder(Path(path), overwrite, write)

    @classmethod
    def load(cls, path: str | Path) -> "ForecastPipeline":
        """Load a trained run folder written by :meth:`save`, ``forecaster train``, ``backtest`` or ``run``.

        Args:
            path: the run folder.

        Returns:
            A fitted pipeline whose hyperparameters are the run's config; :meth:`predict` needs ``df``.

        Raises:
            RunError: naming the folder and the missing or unreadable file.
        """
        from forecaster.workflow.trained_run import load_trained_run

        run = load_trained_run(path)
        pipeline = cls.from_config(run.config)
        pipeline.run_ = run
        return pipeline


class AnomalyPipeline(_ConfigPipeline):
    """Learn normal behaviour from declared-normal rows of a DataFrame and score every point, as ``forecaster detect``.

    Args:
        detector: ``autoencoder`` or ``residual`` (``anomaly.detector``). Default ``"autoencoder"``.
        model: recurrent layer, ``lstm``, ``gru`` or ``gated`` (``anomaly.kind``). Default ``"lstm"``.
        units: hidden units (``anomaly.units``). Default 16.
        lookback: rows per window (``anomaly.lookback``). Default 32.
        normal: rows declared normal and trained on: the ``first`` ``normal_fraction``
            of each series, ``dates`` (``options``: ``anomaly.normal_start``/``normal_end``)
            or ``all`` (``anomaly.normal``). Default ``"first"``.
        normal_fraction: share of each series declared normal for ``first``
            (``anomaly.normal_fraction``). Default 0.5.
        threshold: ``pot``, ``quantile``, ``std`` or ``dynamic`` (``anomaly.threshold.method``). Default ``"pot"``.
        mode: ``causal`` (fit for streams) or ``centered`` (``anomaly.mode``). Default ``"causal"``.
        epochs: maximum training epochs (``anomaly.training.epochs``). Default 10.
        batch_size: windows per batch (``anomaly.training.batch_size``). Default 64.
        learning_rate: Adam learning rate (``anomaly.training.learning_rate``). Default 3e-3.
        fill: gap and missing-value policy (``data.fill``). Default ``"interpolate"``.
        frequency: the rows' step; ``None`` infers it (``data.frequency``). Default ``None``.
        seed: seed of the training (``seed``). Default 42.
        options: any other config keys, dotted (``{"anomaly.ewma_span": 5}``). Default ``None``.

    Attributes:
        detector_: the fitted detector.
        schema_: ``{"columns", "frequency"}`` the detector was trained on.
        config_: the config of the fit (with the data columns ``fit`` was given).
        result_: the :class:`~forecaster.anomaly.pipeline.DetectionResult` of the fit data
            (after :meth:`fit` only).

    Example:
        >>> import numpy as np, pandas as pd
        >>> values = np.sin(np.arange(400) / 8)
        >>> values[300] = 5.0
        >>> frame = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=400, freq="h"), "x": values})
        >>> pipeline = AnomalyPipeline(lookback=16, units=4, epochs=1).fit(frame)
        >>> scores = pipeline.score(frame)
        >>> len(scores), bool(scores["error"].iloc[300] > scores["error"].iloc[250])
        (400, True)
    """

    _param_keys: ClassVar[dict[str, str]] = {
        "detector": "anomaly.detector",
        "model": "anomaly.kind",
        "units": "anomaly.units",
        "lookback": "anomaly.lookback",
        "normal": "anomaly.normal",
        "normal_fraction": "anomaly.normal_fraction",
        "threshold": "anomaly.threshold.method",
        "mode": "anomaly.mode",
        "epochs": "anomaly.training.epochs",
        "batch_size": "anomaly.training.batch_size",
        "learning_rate": "anomaly.training.learning_rate",
        "fill": "data.fill",
        "frequency": "data.frequency",
        "seed": "seed",
    }
    _fitted_attribute: ClassVar[str] = "detector_"

    def __init__(
        self,
        detector: str = "autoencoder",
        *,
        model: str = "lstm",
        units: int = 16,
        lookback: int = 32,
        normal: str = "first",
        normal_fraction: float = 0.5,
        threshold: str = "pot",
        mode: str = "causal",
        epochs: int = 10,
        batch_size: int = 64,
        learning_rate: float = 3e-3,
        fill: str = "interpolate",
        frequency: str | None = None,
        seed: int = 42,
        options: dict[str, Any] | None = None,
    ) -> None:
        self.detector = detector
        self.model = model
        self.units = units
        self.lookback = lookback
        self.normal = normal
        self.normal_fraction = normal_fraction
        self.threshold = threshold
        self.mode = mode
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.fill = fill
        self.frequency = frequency
        self.seed = seed
        self.options = options

    def fit(
        self,
        df: pd.DataFrame,
        time_column: str | None = None,
        target_columns: list[str] | None = None,
        id_column: str | None = None,
    ) -> "AnomalyPipeline":
        """Train the detector on the rows of ``df`` declared normal (by ``normal``) and calibrate its threshold.

        Args:
            df: the series (long format with ``id_column``); every target column is a feature.
            time_column: column of timestamps; ``None`` takes the config's (``date``). Default ``None``.
            target_columns: feature columns; ``None`` takes every numeric column. Default ``None``.
            id_column: column naming each series; ``None`` for one series. Default ``None``.

        Returns:
            ``self``, fitted (``detector_``, ``schema_``, ``config_``, ``result_``).

        Raises:
            ConfigError: for hyperparameters out of range or a series shorter than one window.
            DataError: for data the policies refuse, or normal rows holding no training window.
        """
        from forecaster.anomaly.pipeline import detect

        config = self._fit_config(time_column=time_column, target_columns=target_columns, id_column=id_column)
        collection, _ = _validate_frame(df, config, min_rows=1)
        self.result_ = detect(config, collection)
        self.detector_ = self.result_.detector
        self.schema_ = {"columns": collection.columns, "frequency": collection.frequency}
        self.config_ = config
        return self

    def score(self, df: pd.DataFrame) -> pd.DataFrame:
        """Score every point of ``df`` with the fitted detector.

        Args:
            df: data with the columns and frequency of the fit.

        Returns:
            One row per point: ``series``, ``time``, ``normal``, ``filled``,
            ``error``, ``threshold``, ``flag``, ``likelihood``, ``log_likelihood``,
            ``source``, ``alarm`` and ``error_<column>`` per feature (the
            ``scores.parquet`` of ``forecaster detect``).

        Raises:
            NotFittedError: before :meth:`fit` or :meth:`load`.
            DataError: for other columns or another frequency than the fit's.
        """
        return self._detect(df, "score").scores

    def events(self, df: pd.DataFrame) -> pd.DataFrame:
        """Group the flagged points of ``df`` into events an operator can act on.

        Args:
            df: data with the columns and frequency of the fit.

        Returns:
            One row per event, most severe first: start, end, peak, severity and
            top features (the ``events.csv`` of ``forecaster detect``).

        Raises:
            NotFittedError: before :meth:`fit` or :meth:`load`.
            DataError: for other columns or another frequency than the fit's.
        """
        return self._detect(df, "events").events

    def _detect(self, df: pd.DataFrame, verb: str):
        from forecaster.anomaly.pipeline import detect
        from forecaster.workflow.detection import check_detection_data

        self._check_fitted(verb)
        collection, _ = _validate_frame(df, self.config_, min_rows=1)
        check_detection_data(self.schema_, collection, FRAME_SOURCE, f"this {type(self).__name__}")
        return detect(self.config_, collection, self.detector_)

    def save(self, path: str | Path, overwrite: bool = False) -> Path:
        """Write the detection run folder ``forecaster detect`` writes, which ``forecaster detect --run`` loads.

        Holds ``config.yaml``, ``detector/``, ``schema.json`` and the fit data's
        ``scores.parquet`` and ``events.csv``.

        Args:
            path: the folder to create.
            overwrite: replace an existing folder. Default ``False``.

        Returns:
            The folder.

        Raises:
            NotFittedError: before :meth:`fit`.
            RunError: when ``path`` exists and ``overwrite`` is false, or the pipeline was loaded, not fitted.
        """
        from forecaster.workflow.detection import write_detection

        self._check_fitted("save")
        if not hasattr(self, "result_"):
            raise RunError("AnomalyPipeline.save: this pipeline was loaded from a run folder, which already holds it")

        def write(run: RunFolder) -> None:
            run.write_yaml(CONFIG_FILE, config_to_dict(self.config_))
            write_detection(run, self.result_)

        return _write_folder(Path(path), overwrite, write)

    @classmethod
    def load(cls, path: str | Path) -> "AnomalyPipeline":
        """Load a detection run folder written by :meth:`save` or ``forecaster detect``.

        Args:
            path: the run folder.

        Returns:
            A fitted pipeline whose hyperparameters are the run's config.

        Raises:
            RunError: naming the folder, when it is not a detection run.
            ConfigError: when its ``config.yaml`` is invalid.
        """
        from forecaster.workflow.detection import load_detection_run

        folder = Path(path)
        if not (folder / CONFIG_FILE).is_file():
            raise RunError(f"{folder}: missing {CONFIG_FILE}; pass a run folder written by forecaster detect")
        config = load_config(folder / CONFIG_FILE, saved_by_run=True)
        pipeline = cls.from_config(config)
        pipeline.detector_, pipeline.schema_ = load_detection_run(folder, config)
        pipeline.config_ = config
        return pipeline


def _validate_frame(
    df: pd.DataFrame,
    config: ForecasterConfig,
    min_rows: int,
    too_short: str | None = None,
    columns_fixed_by: str | None = None,
) -> tuple[SeriesCollection, Any]:
    """Validate and repair an in-memory frame by the config's data policies (a time index becomes the time column).

    Raises:
        DataError: for anything but a DataFrame, or data the policies refuse.
    """
    if not isinstance(df, pd.DataFrame):
        raise DataError(f"{FRAME_SOURCE}: expected a pandas DataFrame, got {type(df).__name__}")
    data_cfg = config.data
    if data_cfg.time_column not in df.columns and df.index.name == data_cfg.time_column:
        df = df.reset_index()
    return validate_series(
        df, data_cfg, source=FRAME_SOURCE, min_rows=min_rows, too_short=too_short, columns_fixed_by=columns_fixed_by
    )


def _write_folder(target: Path, overwrite: bool, write: Callable[[RunFolder], None]) -> Path:
    """Write a run folder at exactly ``target``, all or nothing (staged by :class:`RunFolder`, then renamed)."""
    if target.exists() and not overwrite:
        raise RunError(f"{target}: already exists; choose a new folder or pass overwrite=True")
    with RunFolder(target.parent, target.name) as run:
        write(run)
    if target.exists():
        shutil.rmtree(target)
    os.replace(run.final_path, target)
    logger.info("saved %s", target)
    return target


def _flatten(nested: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"a": {"b": 1}}`` to ``{"a.b": 1}``; lists and other values are leaves."""
    flat: dict[str, Any] = {}
    for key, value in nested.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


__all__ = ["AnomalyPipeline", "ForecastPipeline"]
