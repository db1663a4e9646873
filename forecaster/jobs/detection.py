"""``forecaster detect``: train or load an anomaly detector, score every point, write scores and events.

A detection run folder holds ``config.yaml`` (as resolved), ``detector/`` (the
saved detector: network in Keras's safe format, scaling, reference errors),
``schema.json`` (columns and frequency it was trained on), ``scores.parquet``
(one row per point), ``events.csv``, ``metrics.json``, figures and
``index.html``. A later ``forecaster detect --run`` loads the detector from it.
"""

from __future__ import annotations

from pathlib import Path

from forecaster.anomaly.pipeline import detect
from forecaster.config import ForecasterConfig, config_to_dict
from forecaster.data import load_series
from forecaster.reports.anomaly import detection_section, detection_warnings
from forecaster.reports.html import count_noun, write_index_html
from forecaster.runs import RunFolder, TrainingBackup, check_output_dir
from forecaster.workflow.detection import check_detection_data, load_detection_run, write_detection


def detect_job(
    config: ForecasterConfig, source: str, run_dir: Path | None = None, data_path: Path | None = None
) -> Path:
    """Train (or load from ``run_dir``) a detector, score the data and write a detection run folder.

    Training is resumable: its backup lives under ``<output_dir>/.backup/``
    (keyed by the config and the data, locked while training) until the run
    folder is written, so a killed job run again resumes at its last finished epoch.

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
        BackupBusyError: when another process is training the same detector (exit code 75).
        TrainingError: when the loss diverges or the backup cannot be written.
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
    backup = None
    if detector is None:  # a killed detect resumes training from its backup when run again on the same data
        backup = TrainingBackup.keyed(
            config.report.output_dir,
            f"{config.name}-detect",
            config_to_dict(config),
            collection.frame.to_numpy(dtype="float64"),
            collection.offsets,
            collection.filled,
        ).acquire()
    result = detect(config, collection, detector, None if backup is None else backup.path)
    suffix = "-detect" if run_dir is None else "-apply"
    with RunFolder(config.report.output_dir, f"{config.name}{suffix}") as run:
        run.write_yaml("config.yaml", config_to_dict(config))
        write_detection(run, result)
        run.write_json(
            "metrics.json",
            {
                **result.metrics,
                "data_path": str(data_cfg.path),
                "data": repairs.to_dict(),
                "detector_run": str(run_dir) if run_dir is not None else None,
            },
        )
        metrics = result.metrics
        origin = (
            f"the detector of {run_dir}" if run_dir is not None else "a detector trained on the rows declared normal"
        )
        summary = [
            f"{metrics['n_scored']:,} points of {result.collection.n_series} series in {data_cfg.path} scored by {origin} "
            f"({metrics['detector']}, {metrics['mode']} scoring).",
            f"{metrics['n_flagged']:,} points flagged above the {metrics['threshold_method']} threshold, grouped into "
            f"{count_noun(metrics['n_events'], 'event')}; the events table lists them by severity.",
        ]
        filled = sum(repairs.to_dict().get("values_filled", {}).values())
        warnings = [f"{filled:,} missing values were filled before scoring."] if filled else []
        warnings += detection_warnings(result)
        write_index_html(
            run,
            f"{config.name}: anomaly detection",
            detection_section(run, result, config.report.max_plot_points, data_name=data_cfg.path.name),
            summary,
            warnings,
            subtitle=f"forecaster detect on {data_cfg.path}",
        )
    if backup is not None:
        backup.remove()
    return run.final_path
