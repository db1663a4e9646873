"""Figures of forecasting runs: forecasts with intervals, accuracy, errors by step, training, residuals.

Every function returns a :class:`~matplotlib.figure.Figure` (see
:mod:`forecaster.reports.style`); the caller saves it with
:func:`~forecaster.reports.style.save_figure`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from forecaster.reports.style import (
    ACTUAL_COLOUR,
    MODEL_COLOUR,
    MUTED_COLOUR,
    SERIES_COLOURS,
    new_figure,
    styled,
)
from forecaster.reports.timeaxis import format_moment, format_x_axis

BASELINE_STYLES = {"naive": ":", "seasonal_naive": "--", "linear": "-."}
"""Line style of each baseline in error-by-step figures (the model is solid)."""


def plot_forecast_examples(
    predictions: pd.DataFrame,
    history: pd.DataFrame,
    column: str,
    n_examples: int = 3,
    lookback: int = 96,
    title: str = "",
    unit: str = "",
) -> Figure:
    """Draw forecasts of one column from a few origins: history, actuals, forecast and interval.

    Args:
        predictions: long predictions table of one series (``origin``,
            ``target_time``, ``column``, ``forecast``, ``lower``, ``upper`` and,
            for a backtest, ``actual``; all NaN ``actual`` for a forecast past
            the data's end).
        history: the series' values indexed by time, in original units.
        column: the target column to draw.
        n_examples: origins drawn, spread evenly over the table's origins. Default 3.
        lookback: history steps shown before each origin. Default 96.
        title: figure title; default names the column.
        unit: the column's unit for the y label. Default ``""`` (data units).

    Returns:
        The figure, one panel per origin.
    """
    rows = predictions[predictions["column"] == column]
    origins = rows["origin"].unique()
    chosen = origins[np.linspace(0, len(origins) - 1, min(n_examples, len(origins))).astype(int)]
    figure = new_figure(2.4 * len(chosen) + 0.6)
    axes = figure.subplots(len(chosen), 1, squeeze=False)[:, 0]
    has_actual = "actual" in rows and rows["actual"].notna().any()
    for axis, origin in zip(axes, chosen):
        styled(axis)
        window = rows[rows["origin"] == origin]
        past = history.loc[:origin, column].iloc[-lookback:]
        axis.plot(past.index, past.to_numpy(), color=MUTED_COLOUR, lw=1, label="history")
        if has_actual:
            axis.plot(window["target_time"], window["actual"], color=ACTUAL_COLOUR, lw=1.2, label="actual")
        axis.plot(window["target_time"], window["forecast"], color=MODEL_COLOUR, lw=1.6, label="forecast")
        axis.fill_between(
            window["target_time"],
            window["lower"],
            window["upper"],
            color=MODEL_COLOUR,
            alpha=0.2,
            lw=0,
            label="interval",
        )
        axis.axvline(origin, color=MUTED_COLOUR, ls="--", lw=0.8)
        axis.set_title(f"from {format_moment(origin)}", loc="left", fontsize=9)
        axis.set_ylabel(_value_label(column, unit))
        format_x_axis(axis, window["target_time"])
    axes[0].legend(ncol=4, loc="upper left")
    figure.suptitle(title or f"{column}: forecasts with intervals")
    return figure


def plot_actual_vs_predicted(predictions: pd.DataFrame, column: str, step: int = 1, unit: str = "") -> Figure:
    """Draw the test forecasts against what happened: over time at one step ahead, and as a scatter.

    Args:
        predictions: backtest predictions table (``target_time``, ``step``,
            ``column``, ``forecast``, ``actual``).
        column: the target column to draw.
        step: the horizon step of the time panel. Default 1.
        unit: the column's unit. Default ``""``.

    Returns:
        The figure: left the actual and the ``step``-ahead forecast over the
        test period, right every forecast (all steps) against its actual, with
        the line of perfect forecasts.
    """
    rows = predictions[(predictions["column"] == column) & predictions["actual"].notna()]
    at_step = rows[rows["step"] == step].sort_values("target_time")
    figure = new_figure(3.6)
    time_axis, scatter_axis = (styled(axis) for axis in figure.subplots(1, 2, width_ratios=[2.2, 1]))
    time_axis.plot(at_step["target_time"], at_step["actual"], color=ACTUAL_COLOUR, lw=1, label="actual")
    time_axis.plot(
        at_step["target_time"], at_step["forecast"], color=MODEL_COLOUR, lw=1, label=f"forecast, step {step}"
    )
    time_axis.set_ylabel(_value_label(column, unit))
    time_axis.set_title(f"Test period, {step} step{'s' if step > 1 else ''} ahead", fontsize=9)
    time_axis.legend(loc="upper left", ncol=2)
    format_x_axis(time_axis, at_step["target_time"])
    scatter_axis.scatter(rows["actual"], rows["forecast"], s=4, alpha=0.35, color=MODEL_COLOUR, lw=0)
    low = float(np.nanmin([rows["actual"].min(), rows["forecast"].min()]))
    high = float(np.nanmax([rows["actual"].max(), rows["forecast"].max()]))
    scatter_axis.plot([low, high], [low, high], color=MUTED_COLOUR, lw=1, ls="--")
    scatter_axis.set_xlabel(f"actual {_unit_suffix(unit)}".strip())
    scatter_axis.set_ylabel(f"forecast {_unit_suffix(unit)}".strip())
    scatter_axis.set_title("Every step: forecast vs actual", fontsize=9)
    figure.suptitle(f"{column}: actual vs predicted on test")
    return figure


def plot_error_by_step(metrics: dict, metric: str = "mae") -> Figure:
    """Draw a per-horizon-step error of the model and every baseline (normalised scale).

    Args:
        metrics: backtest metrics (``model`` and ``baselines``, each with
            ``scaled.per_step.<metric>``).
        metric: which per-step metric to draw. Default ``"mae"``.

    Returns:
        The figure.
    """
    figure = new_figure(3.6, width=8)
    axis = styled(figure.subplots())
    curves = {"model": metrics["model"], **metrics["baselines"]}
    for index, (name, result) in enumerate(curves.items()):
        values = result["scaled"]["per_step"][metric]
        axis.plot(
            np.arange(1, len(values) + 1),
            values,
            lw=2.4 if name == "model" else 1.3,
            ls=BASELINE_STYLES.get(name, "-"),
            color=SERIES_COLOURS[index % len(SERIES_COLOURS)],
            label=name.replace("_", " "),
        )
    axis.set_xlabel("horizon step (steps ahead)")
    axis.set_ylabel(f"{metric.upper()} (normalised units)")
    axis.set_title(f"Test {metric.upper()} by horizon step: model and baselines")
    axis.legend()
    return figure


def plot_training_history(history: dict[str, list[float]]) -> Figure:
    """Draw training and validation loss per epoch (log scale), marking the best validation epoch.

    Args:
        history: Keras history (``loss``, ``val_loss``).

    Returns:
        The figure.
    """
    figure = new_figure(3.4, width=7.5)
    axis = styled(figure.subplots())
    labels = {"loss": "training", "val_loss": "validation"}
    for key, label in labels.items():
        if history.get(key):
            axis.plot(np.arange(1, len(history[key]) + 1), history[key], marker="o", ms=3, label=label)
    if history.get("val_loss"):
        best = int(np.nanargmin(history["val_loss"]))
        axis.scatter(
            [best + 1],
            [history["val_loss"][best]],
            s=60,
            facecolors="none",
            edgecolors=ACTUAL_COLOUR,
            zorder=3,
            label=f"best (epoch {best + 1})",
        )
    axis.set_yscale("log")
    axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    axis.set_xlabel("epoch")
    axis.set_ylabel("loss (normalised units, log scale)")
    axis.set_title("Training and validation loss")
    axis.legend()
    return figure


def plot_residuals(predictions: pd.DataFrame, column: str, max_lag: int = 48, unit: str = "") -> Figure:
    """Draw the test residuals (actual minus forecast): their histogram and their autocorrelation.

    The autocorrelation is computed on the residuals ordered by target time,
    over the non-overlapping forecast windows the predictions table keeps;
    bars outside the band ``±1.96/√n`` suggest structure the model missed.

    Args:
        predictions: backtest predictions table.
        column: the target column.
        max_lag: largest lag drawn, in data steps. Default 48.
        unit: the column's unit. Default ``""``.

    Returns:
        The figure.
    """
    rows = predictions[(predictions["column"] == column) & predictions["actual"].notna()]
    ordered = rows.sort_values(["target_time", "step"]).drop_duplicates("target_time")
    residuals = (ordered["actual"] - ordered["forecast"]).to_numpy(dtype=float)
    figure = new_figure(3.4)
    hist_axis, acf_axis = (styled(axis) for axis in figure.subplots(1, 2))
    every_step = (rows["actual"] - rows["forecast"]).to_numpy(dtype=float)
    hist_axis.hist(
        every_step,
        bins=40 if np.ptp(every_step) > 1e-9 * np.abs(every_step).max() else 1,
        color=MODEL_COLOUR,
        alpha=0.8,
    )
    hist_axis.axvline(0, color=ACTUAL_COLOUR, lw=1)
    hist_axis.set_xlabel(f"residual {_unit_suffix(unit)}".strip())
    hist_axis.set_ylabel("forecasts")
    hist_axis.set_title("Residual distribution (every step)", fontsize=9)
    lags, values = autocorrelation(residuals, max_lag)
    acf_axis.bar(lags, values, width=0.8, color=MODEL_COLOUR)
    band = 1.96 / np.sqrt(max(len(residuals), 1))
    acf_axis.axhspan(-band, band, color=MUTED_COLOUR, alpha=0.2, lw=0)
    acf_axis.set_xlabel("lag (data steps)")
    acf_axis.set_ylabel("autocorrelation")
    acf_axis.set_title("Residual autocorrelation", fontsize=9)
    figure.suptitle(f"{column}: test residuals")
    return figure


def autocorrelation(values: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the sample autocorrelation of ``values`` at lags ``1..max_lag`` (NaN ignored).

    Args:
        values: a 1-D series ``(n,)``.
        max_lag: the largest lag; capped at ``n - 1``.

    Returns:
        ``(lags, acf)``, both ``(min(max_lag, n - 1),)``; ``acf`` is NaN for a constant series.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n_lags = max(0, min(max_lag, len(x) - 1))
    centred = x - x.mean() if len(x) else x
    denominator = float(np.dot(centred, centred))
    lags = np.arange(1, n_lags + 1)
    if denominator == 0:
        return lags, np.full(n_lags, np.nan)
    full = np.correlate(centred, centred, mode="full")[len(x) : len(x) + n_lags]
    return lags, full / denominator


def _value_label(column: str, unit: str) -> str:
    return f"{column} {_unit_suffix(unit)}".strip()


def _unit_suffix(unit: str) -> str:
    return f"({unit})" if unit else "(data units)"
