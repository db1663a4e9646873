"""``forecaster detect``: train or load an anomaly detector, score every point, write scores and events.

A detection run folder holds ``config.yaml`` (as resolved), ``detector/`` (the
saved detector: network in Keras's safe format, scaling, reference errors),
``schema.json`` (columns and frequency it was trained on), ``scores.parquet``
(one row per point), ``events.csv``, ``metrics.json``, figures and
``index.html``. A later ``forecaster detect --run`` loads the detector from it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path


from forecaster.anomaly.detectors import WindowDetector, load_detector
from forecaster.anomaly.pipeline import DetectionResult, detect
from forecaster.artefacts import DetectionSchemaFile, artefact_payload, read_artefact
from forecaster.config import ForecasterConfig, config_to_dict
from forecaster.data import SeriesCollection, load_series
from forecaster.data.calendar import normalise_frequency
from forecaster.errors import DataError, RunError
from forecaster.reports.anomaly import detection_section
from forecaster.reports.html import write_index_html
from forecaster.runs import RunFolder, check_output_dir

logger = logging.getLogger(__name__)

DETECTOR_DIR = "detector"
SCHEMA_FILE = "schema.json"
SCORES_FILE = "scores.parquet"
EVENTS_FILE = "events.csv"


def detect_job(config: ForecasterConfig, source: str, run_dir: Path | None = None, data_path: Path | None = None) -> Path:
    """Train (or load from ``run_dir``) a detector, score the data and write a detection run folder.

    Args:
        config: the validated config; its ``data`` section says how to read the
            data and its ``anomaly`` section how to detect.
        source: config file name, for messages.
        run_dir: a detection run whose detector is applied instead of training one. Default ``None``.
        data_path: data to score instead of ``data.path``. Default ``None``.

    Returns:
        The run folder.

    Raises:
        ConfigError: when the config has no ``data`` section or ``anomaly`` does not fit the data.
        DataError: for data the policies cannot repair, or columns or a frequency the loaded detector was
            not trained on.
        RunError: when ``run_dir`` is not a detection run or was trained with another network.
    """
    data_cfg = config.require_data(source)
    check_output_dir(config.report.output_dir)
    if data_path is not None:
        data_cfg = data_cfg.model_copy(update={"path": Path(data_path)})
    detector = schema = None
    if run_dir is not None:
        detector, schema = load_detection_run(run_dir, config)
    collection, repairs = load_series(data_cfg)
    if schema is not None:
        check_detection_data(schema, collection, str(data_cfg.path), str(run_dir))
    result = detect(config, collection, detector)
    suffix = "-detect" if run_dir is None else "-apply"
    with RunFolder(config.report.output_dir, f"{config.name}{suffix}") as run:
        run.write_yaml("config.yaml", config_to_dict(config))
        write_detection(run, result)
        run.write_json("metrics.json", {**result.metrics, "data_path": str(data_cfg.path), "data": repairs.to_dict(),
                                        "detector_run": str(run_dir) if run_dir is not None else None})
        metrics = result.metrics
        origin = f"the detector of {run_dir}" if run_dir is not None else "a detector trained on the rows declared normal"
        summary = [
            f"{metrics['n_scored']:,} points of {result.collection.n_series} series in {data_cfg.path} scored by {origin} "
            f"({metrics['detector']}, {metrics['mode']} scoring).",
            f"{metrics['n_flagged']:,} points flagged above the {metrics['threshold_method']} threshold, grouped into "
            f"{metrics['n_events']} event(s); the events table lists them by severity.",
        ]
        filled = sum(repairs.to_dict().get("values_filled", {}).values())
        warnings = [f"{filled:,} missing values were filled before scoring."] if filled else []
        write_index_html(run, f"{config.name}: anomaly detection", detection_section(run, result, config.report.max_plot_points, data_name=data_cfg.path.name),
                         summary, warnings, subtitle=f"forecaster detect on {data_cfg.path}")
    return run.final_path


def check_detection_data(schema: dict, collection: SeriesCollection, source: str, origin: str) -> None:
    """Refuse data whose columns or frequency differ from those a detector was trained on.

    Args:
        schema: the detector's ``schema.json`` (``columns``, ``frequency``).
        collection: the validated data to score.
        source: data file (or frame) name, for messages.
        origin: where the detector comes from (its run folder), for messages.

    Raises:
        DataError: naming both column lists or both frequencies.
    """
    if schema["columns"] != collection.columns:
        raise DataError(
            f"{source}: columns {collection.columns} do not match the columns {schema['columns']} the detector "
            f"in {origin} was trained on; select them with data.target_columns or train a new detector"
        )
    if normalise_frequency(collection.frequency) != normalise_frequency(schema["frequency"]):
        raise DataError(
            f"{source}: rows are {collection.frequency!r} apart, but the detector in {origin} was trained on "
            f"{schema['frequency']!r} data; score data sampled every {schema['frequency']!r} or train a new detector on this data"
        )


def write_detection(run: RunFolder, result: DetectionResult, folder: str = "") -> Path:
    """Write the detector, ``schema.json``, ``scores.parquet`` and ``events.csv`` of a detection.

    Args:
        run: the open run folder.
        result: the detection result.
        folder: sub-folder of the run to write into (``""``: the run folder
            itself; the main job uses ``"anomaly"``). Default ``""``.

    Returns:
        The folder written, which ``forecaster detect --run`` accepts.
    """
    assert run.path is not None
    target = run.path / folder
    target.mkdir(parents=True, exist_ok=True)
    result.detector.save(target / DETECTOR_DIR)
    schema = {"columns": result.collection.columns, "frequency": result.collection.frequency}
    (target / SCHEMA_FILE).write_text(json.dumps(artefact_payload(DetectionSchemaFile, schema), indent=2) + "\n")
    result.scores.assign(series=result.scores["series"].astype(str)).to_parquet(target / SCORES_FILE, index=False)
    result.events.to_csv(target / EVENTS_FILE, index=False)
    return target


def load_detection_run(run_dir: str | Path, config: ForecasterConfig) -> tuple[WindowDetector, dict]:
    """Load the detector and schema of a detection run, with the scoring settings of ``config``.

    Args:
        run_dir: the detection run folder.
        config: the config whose ``anomaly`` section scores (its network keys must match the run's).

    Returns:
        ``(detector, schema)``; ``schema`` has the trained ``columns`` and ``frequency``.

    Raises:
        RunError: naming the folder, when it is not a detection run, or the file and key of its
            ``schema.json`` or detector files that do not fit their schema or ``config``.
    """
    folder = Path(run_dir)
    if not (folder / SCHEMA_FILE).is_file() or not (folder / DETECTOR_DIR).is_dir():
        raise RunError(f"{folder}: missing {SCHEMA_FILE} or {DETECTOR_DIR}/; pass a run folder written by forecaster detect")
    schema = read_artefact(folder / SCHEMA_FILE, DetectionSchemaFile).model_dump(exclude={"format_version"})
    return load_detector(folder / DETECTOR_DIR, config.anomaly), schema
