"""The detection-run artefacts: the saved detector, its schema, scores and events, and checks on new data.

A detection run folder holds ``detector/`` (the saved detector: network in
Keras's safe format, scaling, reference errors), ``schema.json`` (columns and
frequency it was trained on), ``scores.parquet`` (one row per point) and
``events.csv``. Both ``forecaster detect`` and :class:`~forecaster.api.AnomalyPipeline`
write and load them through these functions.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from forecaster.anomaly.detectors import WindowDetector, load_detector
from forecaster.anomaly.pipeline import DetectionResult
from forecaster.artefacts import DetectionSchemaFile, artefact_payload, read_artefact
from forecaster.config import ForecasterConfig, detector_kwargs
from forecaster.data import SeriesCollection
from forecaster.data.calendar import normalise_frequency
from forecaster.errors import DataError, RunError
from forecaster.runs import RunFolder

DETECTOR_DIR = "detector"
SCHEMA_FILE = "schema.json"
SCORES_FILE = "scores.parquet"
EVENTS_FILE = "events.csv"


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
    if not folder.is_dir():
        link = f" (a link to {os.readlink(folder)}, which does not exist)" if folder.is_symlink() else ""
        raise RunError(f"{folder}: no such run folder{link}; pass a run folder written by forecaster detect")
    if not (folder / SCHEMA_FILE).is_file() or not (folder / DETECTOR_DIR).is_dir():
        nested = folder / "anomaly"  # forecaster run keeps its detector there
        hint = (
            f"; this is a forecaster run folder, whose detector is in {nested}: pass that"
            if (nested / SCHEMA_FILE).is_file()
            else "; pass a run folder written by forecaster detect"
        )
        raise RunError(f"{folder}: missing {SCHEMA_FILE} or {DETECTOR_DIR}/{hint}")
    schema = read_artefact(folder / SCHEMA_FILE, DetectionSchemaFile).model_dump(exclude={"format_version"})
    return load_detector(folder / DETECTOR_DIR, **detector_kwargs(config.anomaly, config.seed)), schema
