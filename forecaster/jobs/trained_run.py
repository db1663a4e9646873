"""The trained-run folder: what a forecast needs to reload a model and use it on new data.

A trained run holds ``config.yaml`` (as resolved), ``model/`` (the ``.keras``
network and its configs), ``scaler.json`` (the training-row statistics),
``intervals.json`` (the conformal calibration) and ``schema.json`` (columns,
frequency, series, window shape). Nothing is pickled: the model loads in
Keras's safe mode and everything else is JSON or YAML.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from forecaster.config import ForecasterConfig, load_config
from forecaster.errors import DataError, RunError
from forecaster.evaluation.conformal import ConformalCalibrator, ConformalQuantileCalibrator
from forecaster.models import Forecaster
from forecaster.runs import RunFolder
from forecaster.windows.pipeline import WindowedData
from forecaster.windows.scaling import SeriesScaler

MODEL_DIR = "model"
SCHEMA_FILE = "schema.json"
SCALER_FILE = "scaler.json"
INTERVALS_FILE = "intervals.json"
CONFIG_FILE = "config.yaml"
CALIBRATORS = {cls.__name__: cls for cls in (ConformalCalibrator, ConformalQuantileCalibrator)}


@dataclass
class TrainedRun:
    """A trained forecaster with everything needed to forecast new data.

    Attributes:
        config: the run's resolved config.
        forecaster: the fitted :class:`~forecaster.models.Forecaster`.
        scaler: the scaler fitted on the training rows.
        calibrator: the conformal intervals calibrated on validation windows.
        schema: columns, frequency, series ids and window shape of the training data.
        validation: the scaled ``mse`` and ``mae`` of the model and its
            ``baselines`` on the validation ``windows`` when it was trained in
            this process (not saved with the run; ``metrics.json`` keeps it).
    """

    config: ForecasterConfig
    forecaster: Forecaster
    scaler: SeriesScaler
    calibrator: ConformalCalibrator | ConformalQuantileCalibrator
    schema: dict
    validation: dict | None = None


def describe_schema(windowed: WindowedData) -> dict:
    """Return the data schema a trained run expects of new data (JSON-ready)."""
    spec = windowed.spec
    return {
        "frequency": windowed.collection.frequency,
        "target_columns": list(spec.target_columns),
        "past_covariates": list(spec.past_covariates),
        "future_covariates": list(spec.future_covariates),
        "calendar_features": list(spec.calendar_features),
        "lookback": spec.lookback,
        "horizon": spec.horizon,
        "series_ids": [str(series_id) for series_id in windowed.collection.series_ids],
    }


def save_trained_run(run: RunFolder, trained: TrainedRun) -> None:
    """Write the model, scaler, intervals and schema of ``trained`` into ``run``."""
    assert run.path is not None
    trained.forecaster.save(run.path / MODEL_DIR)
    run.write_json(SCALER_FILE, trained.scaler.statistics())
    run.write_json(INTERVALS_FILE, trained.calibrator.to_dict())
    run.write_json(SCHEMA_FILE, trained.schema)


def load_trained_run(run_dir: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> TrainedRun:
    """Load a run folder written by ``forecaster train``, ``backtest`` or ``run``.

    Args:
        run_dir: the run folder.
        overrides: ``--set`` overrides applied to the run's config (e.g.
            ``report.output_dir``, ``data.fill`` for the new data).

    Returns:
        The :class:`TrainedRun`.

    Raises:
        RunError: naming the folder and the missing or unreadable file.
    """
    folder = Path(run_dir)
    if not folder.is_dir():
        raise RunError(f"{folder}: no such run folder; pass a folder under reports/ written by forecaster train")
    for name in (CONFIG_FILE, SCHEMA_FILE, SCALER_FILE, INTERVALS_FILE, MODEL_DIR):
        if not (folder / name).exists():
            raise RunError(f"{folder}: missing {name}; this is not a trained run (run forecaster train first)")
    try:
        config = load_config(folder / CONFIG_FILE, overrides)
        schema = json.loads((folder / SCHEMA_FILE).read_text())
        scaler = SeriesScaler.from_statistics(json.loads((folder / SCALER_FILE).read_text()))
        intervals = json.loads((folder / INTERVALS_FILE).read_text())
        calibrator = CALIBRATORS[intervals["kind"]].from_dict(intervals)
        forecaster = Forecaster.load(folder / MODEL_DIR)
    except (DataError, ValueError, KeyError, yaml.YAMLError) as exc:
        raise RunError(f"{folder}: cannot load the trained run ({exc})") from None
    return TrainedRun(config, forecaster, scaler, calibrator, schema)


def check_run_fits(trained: TrainedRun, windowed: WindowedData, run_dir: Path) -> None:
    """Refuse to score a trained run on windows of another shape or other columns.

    Raises:
        RunError: naming the first schema key that differs.
    """
    expected = describe_schema(windowed)
    for key in ("lookback", "horizon", "target_columns", "past_covariates", "future_covariates", "calendar_features"):
        if trained.schema.get(key, []) != expected[key]:
            raise RunError(
                f"{run_dir}: the run was trained with {key} {trained.schema.get(key, [])}, but the config asks for "
                f"{expected[key]}; use the run's config or train a new run"
            )


def series_groups(trained: TrainedRun, series_ids: tuple, source: str) -> np.ndarray:
    """Map the series of new data to the scaler fitted for them.

    A global scaler serves any series; a per-series scaler only those it was
    fitted on.

    Raises:
        DataError: for a series the per-series scaler has never seen.
    """
    if trained.scaler.scope == "global":
        return np.zeros(len(series_ids), dtype=np.int64)
    known = {series_id: k for k, series_id in enumerate(trained.schema["series_ids"])}
    unknown = [str(s) for s in series_ids if str(s) not in known]
    if unknown:
        raise DataError(
            f"{source}: series {unknown[:3]} were not in the training data, and the run scales each series "
            "with its own training statistics (scaling.scope: per_series); retrain with them or use scope global"
        )
    return np.array([known[str(s)] for s in series_ids], dtype=np.int64)
