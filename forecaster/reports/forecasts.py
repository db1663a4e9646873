"""Figures of forecasting runs: example forecasts, error by horizon step, training curves."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402


def plot_forecast_examples(
    predictions: pd.DataFrame, history: pd.DataFrame, path: Path, column: str, n_examples: int = 3, lookback: int = 96
) -> Path:
    """Draw a few test forecasts of one column against what happened, with their intervals.

    Args:
        predictions: the backtest's long predictions table (``origin``,
            ``target_time``, ``column``, ``forecast``, ``lower``, ``upper``, ``actual``).
        history: the series' values indexed by time (one series), in original units.
        path: PNG file to write.
        column: which target column to draw.
        n_examples: origins drawn, spread evenly over the test split.
        lookback: history steps shown before each origin.

    Returns:
        ``path``.
    """
    rows = predictions[predictions["column"] == column]
    origins = rows["origin"].unique()
    chosen = origins[np.linspace(0, len(origins) - 1, min(n_examples, len(origins))).astype(int)]
    fig, axes = plt.subplots(len(chosen), 1, figsize=(10, 2.6 * len(chosen)), squeeze=False)
    for ax, origin in zip(axes[:, 0], chosen):
        window = rows[rows["origin"] == origin]
        past = history.loc[:origin, column].iloc[-lookback:]
        ax.plot(past.index, past.to_numpy(), color="#555", lw=1, label="history")
        ax.plot(window["target_time"], window["actual"], color="#222", lw=1.2, label="actual")
        ax.plot(window["target_time"], window["forecast"], color="#1f77b4", lw=1.5, label="forecast")
        ax.fill_between(window["target_time"], window["lower"], window["upper"], color="#1f77b4", alpha=0.2, label="interval")
        ax.axvline(origin, color="#999", ls="--", lw=0.8)
        ax.set_title(f"{column}: forecast from {origin}", fontsize=9)
        ax.tick_params(labelsize=7)
    axes[0, 0].legend(fontsize=7, ncol=4, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_error_by_step(metrics: dict, path: Path, metric: str = "mae") -> Path:
    """Draw a per-horizon-step error of the model and every baseline (normalised scale).

    Args:
        metrics: the backtest metrics (``model`` and ``baselines`` with ``scaled.per_step``).
        path: PNG file to write.
        metric: which per-step metric to draw.

    Returns:
        ``path``.
    """
    fig, ax = plt.subplots(figsize=(8, 3.5))
    curves = {"model": metrics["model"], **metrics["baselines"]}
    for name, result in curves.items():
        values = result["scaled"]["per_step"][metric]
        ax.plot(np.arange(1, len(values) + 1), values, lw=2.2 if name == "model" else 1.2, label=name)
    ax.set_xlabel("horizon step")
    ax.set_ylabel(f"{metric.upper()} (normalised)")
    ax.set_title(f"Test {metric.upper()} by horizon step")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def plot_training_history(history: dict[str, list[float]], path: Path) -> Path:
    """Draw training and validation loss per epoch (log scale).

    Args:
        history: Keras history (``loss``, ``val_loss`` and optionally ``learning_rate``).
        path: PNG file to write.

    Returns:
        ``path``.
    """
    fig, ax = plt.subplots(figsize=(7, 3.2))
    for key in ("loss", "val_loss"):
        if key in history:
            ax.plot(np.arange(1, len(history[key]) + 1), history[key], marker="o", ms=3, label=key)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_title("Training history")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
