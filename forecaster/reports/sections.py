"""Sections of a forecasting run's page: each draws its figures into the run folder and returns page sections.

The page tells the run's story in the order an analyst reads it: the data
and what was repaired, the windows, training, how good the model is against
the baselines (with the words said plainly when a baseline wins), and the
forecast past the end of the data.
"""

from __future__ import annotations

import pandas as pd

from forecaster.data import RepairReport
from forecaster.data.series import SeriesCollection
from forecaster.evaluation.backtest import losing_baselines
from forecaster.reports.forecasts import (
    plot_actual_vs_predicted,
    plot_error_by_step,
    plot_forecast_examples,
    plot_residuals,
    plot_training_history,
)
from forecaster.reports.html import HtmlSection, count_noun, mapping_rows
from forecaster.reports.series import plot_series_overview
from forecaster.reports.style import save_figure
from forecaster.reports.timeaxis import frequency_text
from forecaster.runs import RunFolder
from forecaster.windows.pipeline import WindowedData

SPLITS = ("train", "val", "test")
SPLIT_NAMES = {"train": "training", "val": "validation", "test": "test"}
MAX_FORECAST_ROWS = 12


def data_sections(run: RunFolder, windowed: WindowedData, repairs: RepairReport, max_points: int) -> list[HtmlSection]:
    """Describe the data (span, frequency, every repair made) and its windows (splits, counts, overview figure)."""
    summary = windowed.summary()
    collection = windowed.collection
    targets = windowed.spec.target_columns
    overview = save_figure(
        plot_series_overview(
            collection,
            windowed.split_rows,
            max_points=max_points,
            columns=[*targets, *(c for c in collection.columns if c not in targets)],
        ),
        run.figure_path("series_overview"),
    )
    index = collection.frame.index
    return [
        HtmlSection(
            "Data",
            text=f"{len(collection.frame):,} rows in {collection.n_series} series, one "
            f"{frequency_text(collection.frequency)}, from {index.min()} to {index.max()}. Every check and repair made while "
            "loading, with its count (zero means the data needed none):",
            table=mapping_rows(_collapse_zero_counts(repairs.to_dict()), "check or repair", "count"),
        ),
        HtmlSection(
            "Windows",
            text=f"Each forecast sees the last {summary['lookback']} steps (lookback) of {len(summary['feature_names'])} "
            f"inputs and predicts the next {summary['horizon']} steps (horizon) of {', '.join(targets)}; a new window "
            f"starts every {count_noun(summary['stride'], 'step') if summary['stride'] != 1 else 'step'}. Scalers are fitted on training rows only. The figure shows "
            "the target first, then the covariates, with the splits shaded.",
            table=[
                {"split": SPLIT_NAMES[split], "rows": summary["rows"][split], "windows": summary["windows"][split]}
                for split in SPLITS
            ],
            figures=[overview],
        ),
    ]


def training_section(run: RunFolder, history: dict[str, list[float]]) -> HtmlSection:
    """Describe training: epochs run, best validation loss, loss curves."""
    figure = save_figure(plot_training_history(history), run.figure_path("training_history"))
    val_loss = history.get("val_loss", [])
    best = (
        (
            f"; the weights of epoch {val_loss.index(min(val_loss)) + 1}, with the lowest validation loss "
            f"({min(val_loss):.4g}), were kept"
        )
        if val_loss
        else ""
    )
    return HtmlSection("Training", text=f"{len(history.get('loss', []))} epochs{best}.", figures=[figure])


def accuracy_table(metrics: dict) -> list[dict]:
    """Return one row per forecaster (model first, then baselines): test and validation errors, skill, coverage."""
    validation = metrics.get("validation") or {}
    reference = metrics["baselines"].get(metrics["skill"]["reference"], {}).get("scaled", {}).get("overall", {})
    rows = []
    for name, scores in {"model": metrics["model"], **metrics["baselines"]}.items():
        scaled, original = scores["scaled"]["overall"], scores["original"]["overall"]
        val = validation if name == "model" else validation.get("baselines", {}).get(name, {})
        skill = 1 - scaled["mse"] / reference["mse"] if reference.get("mse") else None
        rows.append(
            {
                "forecaster": name.replace("_", " "),
                "test MSE (normalised)": scaled["mse"],
                "test MAE (normalised)": scaled["mae"],
                "validation MSE (normalised)": val.get("mse"),
                "test MAE (data units)": original["mae"],
                "test sMAPE (%)": original["smape"],
                "test MASE": original.get("mase"),
                "MSE skill vs seasonal naive (%)": None if skill is None else 100 * skill,
            }
        )
    return rows


def validation_section(metrics: dict) -> HtmlSection | None:
    """Compare the model with the baselines on the validation windows, the split configurations are chosen on.

    Returns:
        The section, or ``None`` when the metrics hold no validation scores
        (a backtest of a saved run).
    """
    validation = metrics.get("validation")
    if not validation or not validation.get("baselines"):
        return None
    scores = {"model": validation, **validation["baselines"]}
    best = min(scores, key=lambda name: scores[name]["mse"])
    return HtmlSection(
        "Validation against the baselines",
        text=f"The {validation['windows']:,} validation windows (never trained on; early stopping and interval calibration "
        f"use them). Lowest MSE: {best.replace('_', ' ')}. Normalised scale.",
        table=[
            {
                "forecaster": name.replace("_", " "),
                "validation MSE (normalised)": value["mse"],
                "validation MAE (normalised)": value["mae"],
                "MSE relative to the model": value["mse"] / validation["mse"] if validation["mse"] else None,
            }
            for name, value in scores.items()
        ],
    )


def backtest_sections(
    run: RunFolder, metrics: dict, predictions: pd.DataFrame, windowed: WindowedData
) -> list[HtmlSection]:
    """Compare the model with the baselines on every test window; figures of forecasts, errors and residuals.

    Args:
        run: the open run folder.
        metrics: the backtest metrics (``metrics.json``).
        predictions: the backtest's predictions table, original units.
        windowed: the windowed data (history for the example figures).

    Returns:
        The ``Accuracy`` and ``Test forecasts`` sections.
    """
    intervals = metrics["intervals"]
    column = windowed.spec.target_columns[0]
    first_id = windowed.collection.series_ids[0]
    first_series = predictions[predictions["series_id"] == first_id]
    history = windowed.collection.series(0)
    figures = [
        save_figure(plot_error_by_step(metrics), run.figure_path("error_by_step"), svg=True),
        save_figure(plot_actual_vs_predicted(first_series, column), run.figure_path("actual_vs_predicted")),
        save_figure(
            plot_forecast_examples(
                first_series,
                history,
                column,
                lookback=windowed.spec.lookback,
                title=f"{column}: test forecasts from three origins, with {intervals['nominal_coverage']:.0%} intervals",
            ),
            run.figure_path("forecast_examples"),
        ),
        save_figure(
            plot_residuals(first_series, column, max_lag=2 * windowed.spec.horizon), run.figure_path("residuals")
        ),
    ]
    accuracy = HtmlSection(
        "Accuracy against the baselines",
        text=f"Every one of the {metrics['n_test_windows']:,} test windows, scored for the model and for three baselines "
        "(naive: the last value; seasonal naive: the value one season ago; linear: a ridge regression on the same "
        "lookback). MSE and MAE are on the normalised scale (training mean 0, scale 1) used in the literature; skill is "
        f"how much lower the MSE is than seasonal naive's. Intervals ({intervals['method']}) aim to cover "
        f"{intervals['nominal_coverage']:.0%} of actual values and covered {intervals['test_coverage']:.1%} on test.",
        table=accuracy_table(metrics),
        figures=figures[:1],
    )
    examples = HtmlSection(
        "Test forecasts",
        text=f"Forecasts of {column}{_of_series(windowed.collection, first_id)} against what happened: every forecast "
        "against its actual, "
        "three example origins with their intervals, and the residuals. Their histogram should be centred on zero. "
        "Their autocorrelation is taken along time over whole forecast windows, so short lags are high by nature "
        "(neighbouring steps of one forecast share its error); a bump at the seasonal lag, outside the grey band, is "
        "structure the model missed.",
        figures=figures[1:],
    )
    return [accuracy, examples]


def forecast_section(
    run: RunFolder, forecasts: pd.DataFrame, collection: SeriesCollection, lookback: int
) -> HtmlSection:
    """Show the forecast beyond the end of the data: a figure of the first series and its first rows."""
    column = forecasts["column"].iloc[0]
    first = forecasts[forecasts["series_id"] == forecasts["series_id"].iloc[0]]
    figure = save_figure(
        plot_forecast_examples(
            first,
            collection.series(0),
            column,
            n_examples=1,
            lookback=lookback,
            title=f"{column}: forecast past the end of the data",
        ),
        run.figure_path("forecast"),
    )
    preview = first[first["column"] == column].head(MAX_FORECAST_ROWS)
    return HtmlSection(
        "Forecast",
        text=f"The next {forecasts['step'].max()} steps after {forecasts['origin'].iloc[0]} for {collection.n_series} "
        f"series; forecasts.csv has every series and column, these are the first {len(preview)} of {column}.",
        table=[
            {
                "time": row.target_time,
                "step": row.step,
                "forecast": row.forecast,
                "interval low": row.lower,
                "interval high": row.upper,
            }
            for row in preview.itertuples()
        ],
        figures=[figure],
    )


def forecasting_summary(metrics: dict, description: str) -> tuple[list[str], list[str]]:
    """Return the summary and the warnings at the top of a forecasting page.

    Args:
        metrics: the run's metrics (``metrics.json``), with or without a backtest.
        description: one sentence naming the model and the task.

    Returns:
        ``(summary, warnings)``: sentences; a warning for every split where a
        baseline beats the model, and for inputs the pipeline filled.
    """
    summary, warnings = [description], losing_warnings(metrics)
    if "model" in metrics:
        skill, intervals = metrics["skill"], metrics["intervals"]
        summary.append(
            f"Test, {metrics['n_test_windows']:,} windows: MSE {metrics['mse']:.4g} (normalised), "
            f"{skill['mse']:.1%} below {skill['reference'].replace('_', ' ')}; intervals covered "
            f"{intervals['test_coverage']:.1%} of actual values (nominal {intervals['nominal_coverage']:.0%})."
        )
    if metrics.get("validation", {}).get("baselines") and not losing_baselines(metrics, "validation"):
        summary.append(f"Validation: the model beats every baseline (MSE {metrics['validation']['mse']:.4g}).")
    filled = sum((metrics.get("data", {}).get("values_filled") or {}).values())
    if filled:
        warnings.append(
            f"{filled:,} missing input values were filled ({metrics['data'].get('fill', 'by the fill policy')}); "
            "forecasts that rely on them are less certain than their intervals say."
        )
    return summary, warnings


def _collapse_zero_counts(report: dict) -> dict:
    """Replace each per-column count mapping whose counts are all zero by one zero: one row, not one per column."""
    return {
        key: 0 if isinstance(value, dict) and value and not any(value.values()) else value
        for key, value in report.items()
    }


def _of_series(collection: SeriesCollection, series_id) -> str:
    """`` of series <id>`` when the collection holds several series, else nothing."""
    return f" of series {series_id!s}" if collection.n_series > 1 else ""


def losing_warnings(metrics: dict) -> list[str]:
    """One warning for each split (test, then validation) on which a baseline beats the model.

    Args:
        metrics: a trained run's metrics (``metrics.json``); splits it has no
            baseline scores for give no warning.

    Returns:
        Sentences naming the baselines, their MSE and the model's, and what to do.
    """
    warnings = _losing_sentences(metrics, "test") if "model" in metrics else []
    if metrics.get("validation", {}).get("baselines"):
        warnings += _losing_sentences(metrics, "validation")
    return warnings


def _losing_sentences(metrics: dict, split: str) -> list[str]:
    losing = losing_baselines(metrics, split)
    if not losing:
        return []
    model = metrics["mse"] if split == "test" else metrics["validation"]["mse"]
    names = [name.replace("_", " ") for name in losing]
    scores = ", ".join(f"{name} {_baseline_mse(metrics, split, key):.4g}" for name, key in zip(names, losing))
    which = f"the {names[0]} baseline" if len(names) == 1 else f"{len(names)} baselines ({', '.join(names)})"
    return [
        f"On the {SPLIT_NAMES.get(split, split)} windows the model loses to {which}: its MSE is {model:.4g} "
        f"against {scores}. Prefer the {names[0]} forecasts, or retrain, before relying on this model."
    ]


def _baseline_mse(metrics: dict, split: str, name: str) -> float:
    if split == "test":
        return metrics["baselines"][name]["scaled"]["overall"]["mse"]
    return metrics["validation"]["baselines"][name]["mse"]
