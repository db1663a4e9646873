"""The job behind each forecasting command, each writing one run folder.

``run_main_job`` is ``forecaster run``: train, backtest against the baselines,
forecast past the end of the data and scan it for anomalies. ``train_job``, ``backtest_job`` and
``forecast_job`` are the single steps.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from forecaster.anomaly.pipeline import detect
from forecaster.config import ForecasterConfig, config_to_dict
from forecaster.data import RepairReport, read_table
from forecaster.errors import DataError
from forecaster.reports.anomaly import detection_section, detection_warnings
from forecaster.reports.gates import gate_section
from forecaster.reports.html import HtmlSection, count_noun, write_index_html
from forecaster.reports.sections import (
    backtest_sections,
    data_sections,
    forecast_section,
    forecasting_summary,
    losing_warnings,
    training_section,
    validation_section,
)
from forecaster.reports.timeaxis import frequency_text
from forecaster.runs import RunFolder, check_output_dir
from forecaster.windows.pipeline import WindowedData
from forecaster.workflow.detection import write_detection
from forecaster.workflow.forecasting import backtest, forecast_next, load_new_data, train
from forecaster.workflow.trained_run import TrainedRun, check_run_fits, load_trained_run, save_trained_run
from forecaster.workflow.windows import load_windows

logger = logging.getLogger(__name__)

ANOMALY_DIR = "anomaly"
PREDICTIONS_FILE = "predictions.parquet"
FORECASTS_FILE = "forecasts.csv"


def run_main_job(config: ForecasterConfig, source: str) -> Path:
    """Train, backtest, forecast and detect anomalies on the configured data; write one run folder.

    Args:
        config: the validated config.
        source: config file name, for messages.

    Returns:
        The run folder: config, metrics, trained run, predictions, forecasts,
        the anomaly scan (``anomaly/``: detector, scores, events), figures and
        ``index.html``.
    """
    check_output_dir(config.report.output_dir)
    repairs, windowed = load_windows(config, source)
    detection = detect(config, windowed.collection)
    logger.info("anomaly scan: %d events", len(detection.events))
    trained = train(config, windowed)
    result = backtest(trained, windowed)
    unknown_future = list(windowed.spec.future_covariates)
    forecasts = None if unknown_future else forecast_next(trained, windowed.collection, str(config.data.path))
    skill = result.metrics["skill"]
    logger.info(
        "test MSE %.4f (normalised), %.1f%% lower than %s",
        result.metrics["mse"],
        100 * skill["mse"],
        skill["reference"],
    )
    with RunFolder(config.report.output_dir, config.name) as run:
        sections = _write_training(run, config, trained, windowed, repairs)
        metrics = _metrics(windowed, repairs, trained, result.metrics)
        run.write_json("metrics.json", {**metrics, "anomaly": detection.metrics})
        result.predictions.to_parquet(run.path / PREDICTIONS_FILE, index=False)
        if forecasts is not None:
            forecasts.to_csv(run.path / FORECASTS_FILE, index=False)
        write_detection(run, detection, ANOMALY_DIR)
        gates = gate_section(run, trained.forecaster, windowed)
        sections += [
            *backtest_sections(run, metrics, result.predictions, windowed),
            *(
                [forecast_section(run, forecasts, windowed.collection, windowed.spec.lookback)]
                if forecasts is not None
                else []
            ),
            *([gates] if gates is not None else []),
            *detection_section(run, detection, config.report.max_plot_points, data_name=config.data.path.name),
        ]
        summary, warnings = forecasting_summary(metrics, _describe(config, windowed))
        warnings += detection_warnings(detection)
        if unknown_future:
            warnings.append(
                f"No forecast past the end of the data: the future covariates {', '.join(unknown_future)} are not "
                "known there. Forecast with `forecaster forecast --run <this folder> --data DATA --future FILE`."
            )
        summary.append(
            f"Anomaly scan: {count_noun(detection.metrics['n_events'], 'event')} over {detection.metrics['n_scored']:,} "
            "scored points (section Anomaly detection)."
        )
        write_index_html(
            run,
            f"{config.name}: forecast and anomaly scan",
            sections,
            summary,
            warnings,
            subtitle=f"forecaster run on {config.data.path}",
        )
    return run.final_path


def train_job(config: ForecasterConfig, source: str) -> Path:
    """Train a forecaster and save it as a trained run that ``forecaster forecast`` can load."""
    check_output_dir(config.report.output_dir)
    repairs, windowed = load_windows(config, source)
    trained = train(config, windowed)
    with RunFolder(config.report.output_dir, config.name) as run:
        sections = _write_training(run, config, trained, windowed, repairs)
        metrics = _metrics(windowed, repairs, trained)
        run.write_json("metrics.json", metrics)
        sections += [section for section in [validation_section(metrics)] if section]
        summary, warnings = forecasting_summary(metrics, _describe(config, windowed))
        summary.append(
            "Saved as a trained run: forecast with `forecaster forecast --run <this folder> --data NEW.csv`."
        )
        write_index_html(
            run,
            f"{config.name}: trained forecaster",
            sections,
            summary,
            warnings,
            subtitle=f"forecaster train on {config.data.path}",
        )
    return run.final_path


def backtest_job(config: ForecasterConfig, source: str, run_dir: Path | None = None) -> Path:
    """Score a forecaster and the baselines on every test window; write metrics and predictions.

    Args:
        config: the validated config (its data, windows and split define the test windows).
        source: config file name, for messages.
        run_dir: a trained run to score instead of training a new model.

    Returns:
        The run folder; its ``metrics.json`` has the model's test ``mse`` and
        ``mae`` (normalised scale) at the top level.
    """
    check_output_dir(config.report.output_dir)
    repairs, windowed = load_windows(config, source, windows_fixed=run_dir is not None)
    if run_dir is None:
        trained = train(config, windowed)
    else:
        trained = load_trained_run(run_dir)
        check_run_fits(trained, windowed, run_dir)
    result = backtest(trained, windowed)
    with RunFolder(config.report.output_dir, f"{config.name}-backtest") as run:
        if run_dir is None:
            sections = _write_training(run, config, trained, windowed, repairs)
        else:
            run.write_yaml("config.yaml", config_to_dict(config))
            sections = data_sections(run, windowed, repairs, config.report.max_plot_points)
        metrics = _metrics(windowed, repairs, trained, result.metrics)
        run.write_json("metrics.json", metrics)
        result.predictions.to_parquet(run.path / PREDICTIONS_FILE, index=False)
        sections += backtest_sections(run, metrics, result.predictions, windowed)
        summary, warnings = forecasting_summary(metrics, _describe(config, windowed))
        origin = f"the trained run {run_dir}" if run_dir is not None else "a model trained by this run"
        write_index_html(
            run,
            f"{config.name}: backtest",
            sections,
            summary,
            warnings,
            subtitle=f"forecaster backtest of {origin} on {config.data.path}",
        )
    return run.final_path


def forecast_job(
    run_dir: Path, data_path: Path, overrides: list[str] | tuple[str, ...] = (), future_path: Path | None = None
) -> Path:
    """Forecast the next horizon steps of every series in ``data_path`` with a trained run.

    Args:
        run_dir: the trained run.
        data_path: the new data, validated with the run's data policies.
        overrides: ``--set`` overrides of the run's config (e.g. ``report.output_dir``).
        future_path: CSV or Parquet file of the future covariates' values for the
            horizon (time column, id column, covariates), for a run trained with
            ``data.future_covariates``. Default ``None``.

    Returns:
        The forecast run folder, with ``forecasts.csv``.

    Raises:
        RunError: when ``run_dir`` is not a trained run.
        DataError: when the new data does not fit the run (columns, frequency, scale, series), a
            future covariate has no value for a step of the horizon, or ``future_path`` is given
            for a run trained without future covariates.
    """
    trained = load_trained_run(run_dir, overrides)
    if future_path is not None and not trained.schema.get("future_covariates"):
        raise DataError(
            f"{run_dir} was trained without future covariates (data.future_covariates is empty): drop --future"
        )
    check_output_dir(trained.config.report.output_dir)
    collection, repairs = load_new_data(trained, data_path)
    future = None if future_path is None else read_table(future_path, **trained.config.data.csv.model_dump())
    forecasts = forecast_next(trained, collection, str(data_path), future)
    config = trained.config
    with RunFolder(config.report.output_dir, f"{config.name}-forecast") as run:
        run.write_yaml("config.yaml", config_to_dict(config))
        run.write_json(
            "metrics.json",
            {
                "trained_run": str(run_dir),
                "data_path": str(data_path),
                "data": repairs.to_dict(),
                "n_forecasts": len(forecasts),
            },
        )
        forecasts.to_csv(run.path / FORECASTS_FILE, index=False)
        n_series = forecasts["series_id"].nunique()
        summary = [
            f"Forecasts of {', '.join(trained.schema['target_columns'])} for the next {count_noun(trained.schema['horizon'], 'step')} "
            f"of {n_series} series, by the trained run {Path(run_dir).name}.",
            f"Intervals aim to cover {1 - trained.config.evaluation.interval_alpha:.0%} of outcomes, as calibrated "
            "by the trained run (its page says how well they covered on test).",
        ]
        filled = sum(repairs.to_dict().get("values_filled", {}).values())
        warnings = [f"{filled:,} missing input values were filled before forecasting."] if filled else []
        warnings += [f"The trained run: {sentence}" for sentence in _trained_run_warnings(Path(run_dir))]
        write_index_html(
            run,
            f"Forecast with {Path(run_dir).name}",
            [forecast_section(run, forecasts, collection, trained.schema["lookback"])],
            summary,
            warnings,
            subtitle=f"forecaster forecast on {data_path}",
        )
    return run.final_path


def _trained_run_warnings(run_dir: Path) -> list[str]:
    """The trained run's own warnings that its model loses to a baseline, read from its ``metrics.json``.

    A forecast page carries them, so a reader of the forecasts sees what the
    run's page said; a run without readable metrics gives none.
    """
    try:
        return losing_warnings(json.loads((run_dir / "metrics.json").read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return []


def _write_training(
    run: RunFolder, config: ForecasterConfig, trained: TrainedRun, windowed: WindowedData, repairs: RepairReport
) -> list[HtmlSection]:
    run.write_yaml("config.yaml", config_to_dict(config))
    save_trained_run(run, trained)
    return [
        *data_sections(run, windowed, repairs, config.report.max_plot_points),
        training_section(run, trained.forecaster.history_),
    ]


def _describe(config: ForecasterConfig, windowed: WindowedData) -> str:
    """One sentence naming the model and the task, for the top of a page."""
    model, spec = config.model, windowed.spec
    network = f"{model.kind.upper()} network ({model.encoder} encoder, {model.units} units, {count_noun(model.layers, 'layer')}"
    network += f", an ensemble of {config.training.ensemble})" if config.training.ensemble > 1 else ")"
    return (
        f"{network} forecasting {', '.join(spec.target_columns)} {count_noun(spec.horizon, 'step')} ahead from the "
        f"last {count_noun(spec.lookback, 'step')} of {count_noun(len(spec.feature_names), 'input')}, on {config.data.path} "
        f"({windowed.collection.n_series} series, one row {frequency_text(windowed.collection.frequency)})."
    )


def _metrics(
    windowed: WindowedData, repairs: RepairReport, trained: TrainedRun, backtest_metrics: dict | None = None
) -> dict:
    history = trained.forecaster.history_
    metrics = dict(backtest_metrics or {})
    if trained.validation is not None:
        metrics["validation"] = trained.validation
    metrics.update(
        {
            "data": repairs.to_dict(),
            "windows": windowed.summary(),
            "training": {
                "epochs": len(history.get("loss", [])),
                "best_val_loss": min(history["val_loss"]) if history.get("val_loss") else None,
                "history": history,
                "resumes": trained.forecaster.resumes_,
            },
        }
    )
    return metrics
