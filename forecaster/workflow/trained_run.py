"""The trained-run folder: what a forecast needs to reload a model and use it on new data.

A trained run holds ``config.yaml`` (as resolved), ``model/`` (the ``.keras``
network and its configs), ``scaler.json`` (the training-row statistics),
``intervals.json`` (the conformal calibration) and ``schema.json`` (columns,
frequency, series, window shape). Nothing is pickled: the model loads in
Keras's safe mode and everything else is JSON or YAML.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from forecaster.artefacts import IntervalsFile, ScalerFile, TrainedSchemaFile, artefact_payload, read_artefact
from forecaster.config import ForecasterConfig, ModelConfig, forecaster_kwargs, load_config, refuse_overrides
from forecaster.errors import ConfigError, DataError, RunError
from forecaster.evaluation.conformal import ConformalCalibrator, ConformalQuantileCalibrator
from forecaster.models import Forecaster
from forecaster.runs import RunFolder, TrainingBackup
from forecaster.windows.pipeline import WindowedData
from forecaster.windows.scaling import SeriesScaler
from forecaster.workflow.detection import DETECTOR_DIR

MODEL_DIR = "model"
SCHEMA_FILE = "schema.json"
SCALER_FILE = "scaler.json"
INTERVALS_FILE = "intervals.json"
CONFIG_FILE = "config.yaml"
CALIBRATORS = {cls.__name__: cls for cls in (ConformalCalibrator, ConformalQuantileCalibrator)}
FIXED_AT_TRAINING = (
    "seed",
    "data.target_columns",
    "data.past_covariates",
    "data.future_covariates",
    "windows",
    "split",
    "scaling",
    "model",
    "training",
    "evaluation.interval_alpha",
)
"""Config keys a trained run fixed: ``--set`` may not change them when the run is reused."""


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
        backup: the locked training backup when it was trained in this
            process; remove it once the run is saved (:func:`save_trained_run`
            does, when its run folder is committed).
    """

    config: ForecasterConfig
    forecaster: Forecaster
    scaler: SeriesScaler
    calibrator: ConformalCalibrator | ConformalQuantileCalibrator
    schema: dict
    validation: dict | None = None
    backup: TrainingBackup | None = None

    def discard_backup(self) -> None:
        """Remove the training backup and release its lock (the training is saved, or will not be)."""
        if self.backup is not None:
            self.backup.remove()
            self.backup = None


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
    """Write the model, scaler, intervals and schema of ``trained`` into ``run``.

    The training backup is removed when ``run`` is committed, not before: a
    job killed while writing the run resumes from it and loses no training.
    """
    assert run.path is not None
    run.on_commit(trained.discard_backup)
    trained.forecaster.save(run.path / MODEL_DIR)
    run.write_json(SCALER_FILE, artefact_payload(ScalerFile, trained.scaler.statistics()))
    run.write_json(INTERVALS_FILE, artefact_payload(IntervalsFile, trained.calibrator.to_dict()))
    run.write_json(SCHEMA_FILE, artefact_payload(TrainedSchemaFile, trained.schema))


def load_trained_run(run_dir: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> TrainedRun:
    """Load a run folder written by ``forecaster train``, ``backtest`` or ``run``.

    Every file is read through its typed schema (:mod:`forecaster.artefacts`)
    and the files are checked against each other and against the network's
    shapes, so a hand-edited or mixed-up folder is refused before it forecasts.

    Args:
        run_dir: the run folder.
        overrides: ``--set`` overrides applied to the run's config (e.g.
            ``report.output_dir``, ``data.fill`` for the new data); keys the
            training fixed (:data:`FIXED_AT_TRAINING`) are refused.

    Returns:
        The :class:`TrainedRun`.

    Raises:
        RunError: naming the file and key that is missing, unreadable, of the
            wrong type or range, or inconsistent with the rest of the run.
        ConfigError: for an override of a key the training fixed, or an invalid override.
    """
    folder = Path(run_dir)
    refuse_overrides(overrides, FIXED_AT_TRAINING, f"fixed when {folder} was trained")
    if not folder.is_dir():
        raise RunError(f"{folder}: no such run folder; pass a folder under reports/ written by forecaster train")
    for name in (CONFIG_FILE, SCHEMA_FILE, SCALER_FILE, INTERVALS_FILE, MODEL_DIR):
        if (folder / name).exists():
            continue
        if (folder / DETECTOR_DIR).is_dir():
            raise RunError(
                f"{folder}: this is a detection run (it holds {DETECTOR_DIR}/ and no {name}); forecasts need a run "
                "folder written by forecaster train or forecaster run"
            )
        raise RunError(f"{folder}: missing {name}; this is not a trained run (run forecaster train first)")
    try:
        config = load_config(folder / CONFIG_FILE, saved_by_run=True)
    except ConfigError as exc:
        raise RunError(f"{exc}; restore the run's config.yaml or train the run again") from None
    if config.data is None:
        raise RunError(
            f"{folder / CONFIG_FILE}: missing section 'data'; restore the run's config.yaml or train the run again"
        )
    if overrides:
        config = load_config(folder / CONFIG_FILE, overrides, saved_by_run=True)
    schema = read_artefact(folder / SCHEMA_FILE, TrainedSchemaFile).model_dump(exclude={"format_version"})
    statistics = read_artefact(folder / SCALER_FILE, ScalerFile)
    scaler = SeriesScaler.from_statistics(statistics.model_dump())
    intervals = read_artefact(folder / INTERVALS_FILE, IntervalsFile)
    calibrator = CALIBRATORS[intervals.kind].from_dict(intervals.model_dump())
    forecaster = Forecaster.load(folder / MODEL_DIR)
    trained = TrainedRun(config, forecaster, scaler, calibrator, schema)
    _check_consistent(folder, trained)
    return trained


def _check_consistent(folder: Path, trained: TrainedRun) -> None:
    """Refuse a run whose files disagree with each other or with the network's shapes."""
    schema, config, scaler = trained.schema, trained.config, trained.scaler
    n_targets, quantiles = len(schema["target_columns"]), list(config.model.quantiles)
    model = trained.forecaster.model_
    fitted = trained.forecaster.get_params()
    network = {key: value for key, value in forecaster_kwargs(config).items() if key in ModelConfig.model_fields}
    inputs = model.input if isinstance(model.input, dict) else {"past": model.input}
    checks = [
        (SCHEMA_FILE, "lookback", schema["lookback"], f"{CONFIG_FILE} windows.lookback", config.windows.lookback),
        (SCHEMA_FILE, "horizon", schema["horizon"], f"{CONFIG_FILE} windows.horizon", config.windows.horizon),
        (
            SCHEMA_FILE,
            "calendar_features",
            schema["calendar_features"],
            f"{CONFIG_FILE} windows.calendar_features",
            list(config.windows.calendar_features),
        ),
        (SCHEMA_FILE, "lookback", schema["lookback"], "the network's input steps", inputs["past"].shape[1]),
        (SCHEMA_FILE, "horizon", schema["horizon"], "the network's output steps", model.output.shape[1]),
        (SCHEMA_FILE, "target_columns", n_targets, "the network's output columns", model.output.shape[2]),
        (
            SCALER_FILE,
            "columns",
            scaler.columns_,
            f"{SCHEMA_FILE} target_columns + past_covariates + future_covariates",
            schema["target_columns"] + schema["past_covariates"] + schema["future_covariates"],
        ),
        (SCALER_FILE, "n_targets", scaler.n_targets_, f"{SCHEMA_FILE} target_columns", n_targets),
        (SCALER_FILE, "method", scaler.method, f"{CONFIG_FILE} scaling.method", config.scaling.method),
        (SCALER_FILE, "scope", scaler.scope, f"{CONFIG_FILE} scaling.scope", config.scaling.scope),
        (
            INTERVALS_FILE,
            "quantile",
            list(trained.calibrator.quantile_.shape),
            f"(horizon, targets) of {SCHEMA_FILE}",
            [schema["horizon"], n_targets],
        ),
        (
            INTERVALS_FILE,
            "kind",
            type(trained.calibrator).__name__,
            f"{CONFIG_FILE} model.quantiles {quantiles}",
            (ConformalQuantileCalibrator if quantiles else ConformalCalibrator).__name__,
        ),
        (
            f"{MODEL_DIR}/forecaster.json",
            "model",
            {key: fitted[key] for key in network},
            f"{CONFIG_FILE} model",
            network,
        ),
        (
            f"{MODEL_DIR}/model.keras",
            "quantile outputs",
            model.output.shape[3] if len(model.output.shape) == 4 else 0,
            f"{CONFIG_FILE} model.quantiles {quantiles}",
            len(quantiles),
        ),
    ]
    if scaler.scope == "per_series":
        checks.append(
            (SCALER_FILE, "center rows", len(scaler.center_), f"{SCHEMA_FILE} series_ids", len(schema["series_ids"]))
        )
    for name, key, found, other, expected in checks:
        if found != expected:
            shown = "differs" if key == "model" else f"is {found}"
            raise RunError(
                f"{folder / name}: '{key}' {shown}, but {other} is {'different' if key == 'model' else expected}; "
                "the run folder was edited or mixed with another run: restore it or train the run again"
            )


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
