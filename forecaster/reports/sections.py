"""Sections of a run page: each draws its figures into the run folder and returns page sections."""

from __future__ import annotations

import pandas as pd

from forecaster.data import RepairReport
from forecaster.evaluation.backtest import BacktestResult
from forecaster.reports.forecasts import plot_error_by_step, plot_forecast_examples, plot_training_history
from forecaster.reports.html import HtmlSection
from forecaster.reports.series import plot_series_overview
from forecaster.runs import RunFolder
from forecaster.windows.pipeline import WindowedData

SPLITS = ("train", "val", "test")


def data_sections(run: RunFolder, windowed: WindowedData, repairs: RepairReport, max_points: int) -> list[HtmlSection]:
    """Describe the data (repairs made) and its windows (splits, counts, overview figure)."""
    summary = windowed.summary()
    collection = windowed.collection
    overview = plot_series_overview(collection, windowed.split_rows, run.figure_path("series_overview"), max_points=max_points)
    return [
        HtmlSection(
            "Data",
            text=f"{len(collection.frame):,} rows in {collection.n_series} series, one every "
            f"'{collection.frequency}'. Every repair made while loading:",
            table=[{"repair": key, "count": str(value)} for key, value in repairs.to_dict().items()],
        ),
        HtmlSection(
            "Windows",
            text=f"lookback {summary['lookback']}, horizon {summary['horizon']}, stride {summary['stride']}; "
            "scalers fitted on training rows only.",
            table=[
                {"split": split, "rows": summary["rows"][split], "windows": summary["windows"][split]}
                for split in SPLITS
            ],
            figures=[overview],
        ),
    ]


def training_section(run: RunFolder, history: dict[str, list[float]]) -> HtmlSection:
    """Describe training: epochs run, best validation loss, loss curves."""
    figure = plot_training_history(history, run.figure_path("training_history"))
    val_loss = history.get("val_loss", [])
    best = f"; best validation loss {min(val_loss):.4g} at epoch {val_loss.index(min(val_loss)) + 1}" if val_loss else ""
    return HtmlSection("Training", text=f"{len(history.get('loss', []))} epochs{best}.", figures=[figure])


def backtest_section(run: RunFolder, result: BacktestResult, windowed: WindowedData) -> HtmlSection:
    """Compare the model with the baselines on every test window, with example forecasts."""
    metrics = result.metrics
    rows = []
    for name, scores in {"model": metrics["model"], **metrics["baselines"]}.items():
        scaled, original = scores["scaled"]["overall"], scores["original"]["overall"]
        rows.append(
            {"forecaster": name, "MSE (normalised)": scaled["mse"], "MAE (normalised)": scaled["mae"],
             "MAE": original["mae"], "sMAPE %": original["smape"], "MASE": original.get("mase", float("nan"))}
        )
    intervals = metrics["intervals"]
    column = windowed.spec.target_columns[-1]
    history = windowed.collection.series(0)
    first_series = result.predictions[result.predictions["series_id"] == windowed.collection.series_ids[0]]
    figures = [
        plot_error_by_step(metrics, run.figure_path("error_by_step")),
        plot_forecast_examples(first_series, history, run.figure_path("forecast_examples"), column, lookback=windowed.spec.lookback),
    ]
    return HtmlSection(
        "Backtest",
        text=f"{metrics['n_test_windows']:,} test windows. Skill against {metrics['skill']['reference']}: "
        f"{metrics['skill']['mse']:.1%} lower MSE. Intervals ({intervals['method']}): nominal coverage "
        f"{intervals['nominal_coverage']:.0%}, reached {intervals['test_coverage']:.1%} on test.",
        table=rows,
        figures=figures,
    )


def forecast_section(run: RunFolder, forecasts: pd.DataFrame, collection, lookback: int) -> HtmlSection:
    """Show the forecast beyond the end of the data: a figure of the first series and the first rows."""
    column = forecasts["column"].iloc[-1]
    first = forecasts[forecasts["series_id"] == forecasts["series_id"].iloc[0]]
    figure = plot_forecast_examples(
        first.assign(actual=float("nan")), collection.series(0), run.figure_path("forecast"), column, n_examples=1,
        lookback=lookback,
    )
    preview = first[first["column"] == column].head(12)
    return HtmlSection(
        "Forecast",
        text=f"The next {forecasts['step'].max()} steps after {forecasts['origin'].iloc[0]} (forecasts.csv has every series and column).",
        table=[
            {"time": str(row.target_time), "forecast": row.forecast, "lower": row.lower, "upper": row.upper}
            for row in preview.itertuples()
        ],
        figures=[figure],
    )
