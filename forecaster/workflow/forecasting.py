"""Train, backtest and forecast: the forecasting steps behind the CLI jobs and :class:`~forecaster.api.ForecastPipeline`.

``train`` fits a forecaster into a trained run; ``backtest`` scores it
(freshly trained or loaded) against the baselines on every test window;
``forecast_next`` forecasts the next ``horizon`` steps of every series in new
data. The jobs in :mod:`forecaster.jobs.commands` chain them and write the run folder and its page.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from forecaster.config import ForecasterConfig, config_to_dict, forecaster_kwargs
from forecaster.data import RepairReport, SeriesCollection, load_series
from forecaster.errors import DataError
from forecaster.evaluation.backtest import (
    BacktestResult,
    calibrate_intervals,
    fit_baselines,
    forecast_split,
    interval_bounds,
    run_backtest,
    split_output,
    validation_scores,
)
from forecaster.models import Forecaster
from forecaster.runs import TrainingBackup
from forecaster.windows.calendar import calendar_features, future_index
from forecaster.windows.future import future_covariate_values, scale_future_covariates
from forecaster.windows.pipeline import WindowedData
from forecaster.workflow.trained_run import TrainedRun, describe_schema, series_groups

logger = logging.getLogger(__name__)

TRAINED_COLUMNS = "the run was trained with"
"""Who fixed the configured columns of new data, for the message refusing a missing one (see
:func:`~forecaster.data.validate_series`): a forecast cannot rename them."""

SCALE_LIMIT = 10.0
"""New data whose recent mean lies more than this many training scales from the
training centre is refused: it is almost surely in other units or another signal."""


def fit_forecaster(
    config: ForecasterConfig, windowed: WindowedData, *, resumable: bool = True
) -> tuple[Forecaster, TrainingBackup | None]:
    """Train a forecaster on the training windows, resumably, one process per backup.

    When ``resumable``, a backup of the training state lives under ``<output_dir>/.backup/``,
    keyed by the resolved config and a hash of the windowed values (so data
    from a file and an in-memory frame alike), until training completes: a job
    killed half-way resumes from its last completed epoch when run again with
    the same config on the same data, and starts afresh when either changed.
    The backup is locked while training, and kept (still locked) when it
    ends: the caller removes it once the results are safely written
    (:meth:`~forecaster.runs.TrainingBackup.remove`).

    Args:
        config: the validated config.
        windowed: the windowed data (training and validation datasets).
        resumable: keep the backup; ``False`` trains without one and writes
            nothing to disk (the Python API, whose model lives in memory). Default ``True``.

    Returns:
        The fitted :class:`~forecaster.models.Forecaster` and its locked backup (``None`` unless ``resumable``).

    Raises:
        BackupBusyError: when another process is training the same config into the same folder (exit code 75).
        TrainingError: when the loss diverges or the backup cannot be written.
    """
    forecaster = Forecaster(**forecaster_kwargs(config))
    if not resumable:
        return forecaster.fit(windowed.train, windowed.val), None
    backup = TrainingBackup.keyed(
        config.report.output_dir, config.name, config_to_dict(config), windowed.values, windowed.collection.offsets
    ).acquire()
    forecaster.fit(windowed.train, windowed.val, backup_dir=backup.path)
    return forecaster, backup


def predict_function(forecaster: Forecaster):
    """Return the batched predict function a backtest needs: quantiles for a quantile model, else points."""
    if forecaster.quantiles:
        return forecaster.predict_quantiles
    return forecaster.predict


def train(config: ForecasterConfig, windowed: WindowedData, *, resumable: bool = True) -> TrainedRun:
    """Fit a forecaster and calibrate its intervals on the validation windows.

    Args:
        config: the validated config.
        windowed: the windowed data; needs a validation split.
        resumable: train with a resumable backup under ``<output_dir>/.backup/``
            (see :func:`fit_forecaster`). Default ``True``.

    Returns:
        The :class:`~forecaster.workflow.trained_run.TrainedRun`, ready to save;
        its ``backup`` stays until the run folder holding it is committed.
    """
    forecaster, backup = fit_forecaster(config, windowed, resumable=resumable)
    quantiles = list(config.model.quantiles)
    val = forecast_split(predict_function(forecaster), windowed, "val", quantiles)
    calibrator = calibrate_intervals(val, quantiles, config.evaluation)
    validation = validation_scores(val, fit_baselines(windowed, config.evaluation))
    return TrainedRun(config, forecaster, windowed.scaler, calibrator, describe_schema(windowed), validation, backup)


def backtest(trained: TrainedRun, windowed: WindowedData) -> BacktestResult:
    """Score a trained forecaster and the baselines on every test window, with its calibrated intervals."""
    return run_backtest(
        predict_function(trained.forecaster),
        windowed,
        list(trained.config.model.quantiles),
        trained.config.evaluation,
        calibrator=trained.calibrator,
    )


def load_new_data(trained: TrainedRun, path: Path) -> tuple[SeriesCollection, RepairReport]:
    """Load new data with the trained run's data policies and check it fits the run.

    Args:
        trained: the trained run.
        path: the new data file.

    Returns:
        The validated collection and the report of repairs made.

    Raises:
        DataError: when columns are missing, the frequency differs from the
            run's, or a series is shorter than the lookback.
    """
    data_cfg = trained.config.data.model_copy(update={"path": path, "max_rows": None})
    min_rows, too_short = rows_for_forecast(trained)
    collection, repairs = load_series(
        data_cfg, min_rows=min_rows, too_short=too_short, columns_fixed_by=TRAINED_COLUMNS
    )
    check_new_data(trained, collection, str(path))
    return collection, repairs


def rows_for_forecast(trained: TrainedRun) -> tuple[int, str]:
    """The rows of history each series needs for a forecast, and the end of the message refusing fewer.

    Args:
        trained: the trained run.

    Returns:
        ``(the run's lookback, reason and what to do)``, the ``min_rows`` and
        ``too_short`` of :func:`~forecaster.data.load_series`.
    """
    lookback = trained.schema["lookback"]
    return lookback, f"a forecast needs the run's lookback of {lookback} rows; pass at least {lookback} rows of history"


def check_new_data(trained: TrainedRun, collection: SeriesCollection, source: str) -> None:
    """Refuse new data that lacks a training column or comes at another frequency than the run's.

    Args:
        trained: the trained run.
        collection: the validated new data.
        source: data file (or frame) name, for messages.

    Raises:
        DataError: naming the missing columns or the two frequencies.
    """
    trained_columns = [
        *trained.schema["target_columns"],
        *trained.schema["past_covariates"],
        *trained.schema.get("future_covariates", []),
    ]
    missing = [c for c in trained_columns if c not in collection.columns]
    if missing:
        raise DataError(
            f"{source}: the run was trained on columns {missing} that this data lacks; "
            "forecast with data holding every training column"
        )
    if collection.frequency != trained.schema["frequency"]:
        raise DataError(
            f"{source}: rows are '{collection.frequency}' apart, but the run was trained on "
            f"'{trained.schema['frequency']}' data; resample the data or train a run on this frequency"
        )


def forecast_next(
    trained: TrainedRun, collection: SeriesCollection, source: str, future: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Forecast the ``horizon`` steps after the end of every series, with intervals.

    The last ``lookback`` rows of each series are scaled with the training
    statistics and predicted in one batch, with the known-future inputs of the
    horizon: the run's future covariates (from ``future``), then its calendar features.

    Args:
        trained: the trained run.
        collection: validated new data (see :func:`load_new_data`).
        source: data file name, for messages.
        future: the future covariates' values for the horizon, one row per series
            and step (time column, id column, covariates); needed when the run
            was trained with ``data.future_covariates``. Default ``None``.

    Returns:
        One row per (series, step, target column): ``series_id, origin,
        target_time, step, filled_inputs`` (lookback rows the data layer
        filled), ``column, forecast, lower, upper`` and a ``q<level>`` column
        per quantile, in original units.

    Raises:
        DataError: when the new data's level is far outside the training data's
            (see :data:`SCALE_LIMIT`), a series the run cannot scale, or future
            covariates missing for a step (see :func:`~forecaster.windows.future.future_covariate_values`).
    """
    schema, scaler = trained.schema, trained.scaler
    lookback, horizon = schema["lookback"], schema["horizon"]
    groups = series_groups(trained, collection.series_ids, source)
    values = scaler.transform(collection, series_groups=groups)
    rows = collection.offsets[1:, None] - lookback + np.arange(lookback)
    _check_scale(values[rows], scaler.columns_, source)
    past = np.nan_to_num(values[rows])
    index = collection.frame.index
    calendar = schema["calendar_features"]
    future_times = np.stack(
        [
            future_index(index[end - 1], collection.frequency, horizon, collection.holidays)
            for end in collection.offsets[1:]
        ]
    )
    inputs = {"past": past.astype(np.float32)}
    known = []  # known-future inputs of the horizon, in training order: future covariates, then calendar features
    if future_columns := schema.get("future_covariates", []):
        data_cfg = trained.config.data
        raw = future_covariate_values(
            future,
            future_columns,
            collection.series_ids,
            pd.Index(future_times.ravel()),
            data_cfg.time_column,
            data_cfg.id_column,
            source,
        )
        known.append(scale_future_covariates(raw, scaler, future_columns, groups))
    if calendar:
        inputs["past"] = np.concatenate(
            [inputs["past"], calendar_features(index[rows.ravel()], calendar).reshape(*rows.shape, -1)], axis=2
        )
        known.append(
            calendar_features(pd.DatetimeIndex(future_times.ravel()), calendar).reshape(len(rows), horizon, -1)
        )
    if known:
        inputs["future"] = np.concatenate(known, axis=2)
    quantiles = list(trained.config.model.quantiles)
    point, output = split_output(np.asarray(predict_function(trained.forecaster)(inputs)), quantiles)
    lower, upper = interval_bounds(trained.calibrator, point, output)

    def original(y: np.ndarray) -> np.ndarray:
        return scaler.inverse_transform_targets(y, groups)

    n_series, targets = len(rows), schema["target_columns"]
    n_values = n_series * horizon * len(targets)
    table = {
        "series_id": np.repeat(np.asarray(collection.series_ids, dtype=object), horizon * len(targets)),
        "origin": np.repeat(index[collection.offsets[1:] - 1], horizon * len(targets)),
        "target_time": np.repeat(future_times.ravel(), len(targets)),
        "step": np.tile(np.repeat(np.arange(1, horizon + 1), len(targets)), n_series),
        "filled_inputs": np.repeat(collection.filled[rows].sum(axis=1), horizon * len(targets)),
        "column": np.tile(np.asarray(targets, dtype=object), n_series * horizon),
        "forecast": original(point).reshape(n_values),
        "lower": original(lower).reshape(n_values),
        "upper": original(upper).reshape(n_values),
    }
    if quantiles:
        levels = original(output)
        for k, level in enumerate(quantiles):
            table[f"q{level:g}"] = levels[..., k].reshape(n_values)
    return pd.DataFrame(table)


def _check_scale(recent: np.ndarray, columns: list[str], source: str) -> None:
    """Refuse new data whose recent level is implausibly far from the training data's."""
    with np.errstate(all="ignore"):
        level = np.nanmean(recent, axis=1)
    far = np.abs(level) > SCALE_LIMIT
    if far.any():
        series, column = map(int, np.argwhere(far)[0])
        raise DataError(
            f"{source}: column '{columns[column]}' of series {series} sits {abs(level[series, column]):.0f} "
            f"training scales from its training level over the last {recent.shape[1]} rows; check the file's "
            "units and columns, or retrain on data like it"
        )
