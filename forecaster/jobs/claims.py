"""Measure the textbook claims about gated cells and write the report (``forecaster claims``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from forecaster.cells import claims as science
from forecaster.cells.claims import CELL_KINDS, CELL_NAMES, Claim, ForecastResult, RecallCurves
from forecaster.config import ClaimsConfig, ForecasterConfig, config_to_dict
from forecaster.data import read_table
from forecaster.errors import DataError
from forecaster.reports.claims import plot_gradient_norms, plot_gru_vs_lstm, plot_recall
from forecaster.reports.html import HtmlSection, write_index_html
from forecaster.runs import RunFolder

logger = logging.getLogger(__name__)

RATIO_UNITS = (4, 8, 16, 32, 64, 128, 256, 512)
"""Layer widths of the GRU/LSTM parameter-ratio curves."""

CLAIMED_GRU_FEWER = 1 / 3
"""The often quoted share of parameters a GRU saves against an LSTM."""

RecallVariant = tuple[str, bool]
"""A recall model: cell kind and whether an LSTM's forget bias starts at 1."""

RECALL_VARIANTS: tuple[RecallVariant, ...] = (("simple_rnn", True), ("gru", True), ("lstm", True), ("lstm", False))
LSTM_VARIANTS: tuple[RecallVariant, ...] = (("lstm", True), ("lstm", False))


@dataclass(frozen=True)
class Measurements:
    """Everything ``forecaster claims`` measured, before judging.

    Attributes:
        n_features: input columns of the forecasting series.
        forecasts: ``{kind: ForecastResult}`` for every cell.
        seconds_per_epoch: ``{kind: seconds}``, timed in alternation.
        naive_mse: test MSE of the last-value forecast.
        recall: ``{(kind, forget bias 1): RecallCurves}`` for :data:`RECALL_VARIANTS`.
    """

    n_features: int
    forecasts: dict[str, ForecastResult]
    seconds_per_epoch: dict[str, float]
    naive_mse: float
    recall: dict[RecallVariant, RecallCurves]


def run_claims(config: ForecasterConfig) -> tuple[list[Claim], Path]:
    """Measure every claim with the ``claims`` settings and write the run folder.

    Args:
        config: the validated config; ``claims``, ``seed``, ``name`` and ``report`` are used.

    Returns:
        The judged claims, in the order (a) to (d), and the run folder.

    Raises:
        DataError: when ``claims.data_path`` cannot be read, lacks the target
            column, holds missing values or is too short for one training and
            one test window.
    """
    settings = config.claims
    measured = measure(settings, config.seed)
    judged = judge_claims(settings, measured)
    with RunFolder(config.report.output_dir, config.name) as run:
        run.write_yaml("config.yaml", config_to_dict(config))
        run.write_json("metrics.json", summarise(settings, judged, measured))
        sections = page_sections(run, settings, config.seed, judged, measured)
        write_index_html(run, "claims: textbook claims about gated cells, measured", sections)
    return judged, run.final_path


def measure(settings: ClaimsConfig, seed: int) -> Measurements:
    """Train and measure every model the claims need (the slow part).

    Args:
        settings: the ``claims`` section.
        seed: the run's seed; recall models use ``seed`` to ``seed + recall_seeds - 1``.

    Returns:
        The :class:`Measurements`.

    Raises:
        DataError: as :func:`run_claims`.
    """
    keras.utils.set_random_seed(seed)
    values, target_index = load_values(settings.data_path, settings.target_column)
    try:
        windows = science.make_forecast_windows(
            values,
            target_index,
            lookback=settings.lookback,
            horizon=settings.horizon,
            train_fraction=settings.train_fraction,
            max_train_windows=settings.max_train_windows,
            seed=seed,
        )
    except ValueError as exc:
        raise DataError(
            f"{settings.data_path}: {exc} (claims.lookback, claims.horizon, claims.train_fraction)"
        ) from None
    forecasts = {
        kind: science.train_forecaster(
            kind,
            windows,
            units=settings.units,
            epochs=settings.epochs,
            batch_size=settings.batch_size,
            learning_rate=settings.learning_rate,
            seed=seed,
            n_probe=settings.gradient_windows,
        )
        for kind in CELL_KINDS
    }
    seconds = science.time_epochs_in_alternation(
        {kind: result.model for kind, result in forecasts.items()},
        windows.train_inputs,
        windows.train_targets,
        batch_size=settings.batch_size,
        n_rounds=settings.timing_rounds,
    )
    recall = {
        variant: science.measure_recall(
            variant[0],
            settings.recall_lags,
            seeds=range(seed, seed + settings.recall_seeds),
            unit_forget_bias=variant[1],
            units=settings.units,
            n_symbols=settings.recall_symbols,
            n_train=settings.recall_train_sequences,
            n_test=settings.recall_test_sequences,
            epochs=settings.recall_epochs,
            batch_size=settings.batch_size,
            learning_rate=settings.learning_rate,
        )
        for variant in RECALL_VARIANTS
    }
    return Measurements(values.shape[1], forecasts, seconds, science.naive_mse(windows), recall)


def load_values(path: Path, target_column: str) -> tuple[np.ndarray, int]:
    """Return the numeric columns of a data file and the target's position among them.

    Args:
        path: CSV or Parquet file.
        target_column: numeric column to forecast.

    Returns:
        ``(values, target_index)``: float64 ``(rows, numeric columns)`` and the target's column.

    Raises:
        DataError: when the file cannot be read, the target is not a numeric
            column, or a numeric value is missing or infinite.
    """
    numeric = read_table(path).select_dtypes("number")
    if target_column not in numeric.columns:
        raise DataError(
            f"{path}: no numeric column {target_column!r} (numeric columns: {', '.join(numeric.columns) or 'none'}); "
            "set claims.target_column"
        )
    values = numeric.to_numpy(np.float64)
    if not np.isfinite(values).all():
        row, column = np.argwhere(~np.isfinite(values))[0]
        raise DataError(
            f"{path}: column {numeric.columns[column]!r} has a missing or infinite value in data row {row + 1}; "
            "claims needs a complete series: repair it first (forecaster inspect shows where)"
        )
    return values, int(numeric.columns.get_loc(target_column))


def judge_claims(settings: ClaimsConfig, measured: Measurements) -> list[Claim]:
    """Judge claims (a) to (d) from the measurements (see :mod:`forecaster.cells.claims` for the rules)."""
    forecasts, recall = measured.forecasts, measured.recall
    return [
        science.judge_vanishing_gradients(
            {
                "at init": {kind: science.retained_gradient(r.gradient_norms_init) for kind, r in forecasts.items()},
                "trained": {kind: science.retained_gradient(r.gradient_norms_trained) for kind, r in forecasts.items()},
            },
            max_lag=settings.lookback - 1,
        ),
        science.judge_long_memory(
            settings.recall_lags,
            {kind: recall[(kind, True)].accuracy for kind in CELL_KINDS},
            settings.memory_threshold,
        ),
        science.judge_parameter_counts(forecasts["gru"].n_params, forecasts["lstm"].n_params, CLAIMED_GRU_FEWER),
        science.judge_gru_speed_accuracy(
            {kind: measured.seconds_per_epoch[kind] for kind in ("gru", "lstm")},
            {kind: forecasts[kind].test_mse for kind in ("gru", "lstm")},
        ),
        science.judge_forget_bias(settings.recall_lags, recall[("lstm", True)].curves, recall[("lstm", False)].curves),
    ]


def parameter_table(n_features: int, units: int) -> list[dict[str, Any]]:
    """Return one row per layer (SimpleRNN, GRU both ways, LSTM): the formula, its value and Keras's count."""
    rows = []
    for kind, reset_after, formula in (
        ("simple_rnn", True, "U(F+U)+U"),
        ("gru", True, "3[U(F+U)+U]+3U"),
        ("gru", False, "3[U(F+U)+U]"),
        ("lstm", True, "4[U(F+U)+U]"),
    ):
        rows.append(
            {
                "layer": CELL_NAMES[kind] + (f" (reset_after={reset_after})" if kind == "gru" else ""),
                "formula": formula,
                "closed form": science.parameter_count(kind, n_features, units, reset_after=reset_after),
                "Keras count_params()": science.keras_parameter_count(kind, n_features, units, reset_after=reset_after),
            }
        )
    return rows


def summarise(settings: ClaimsConfig, judged: list[Claim], measured: Measurements) -> dict[str, Any]:
    """Return every measurement and verdict as JSON-safe data (``metrics.json``)."""
    forecasts, recall = measured.forecasts, measured.recall
    gru_params, lstm_params = forecasts["gru"].n_params, forecasts["lstm"].n_params
    return {
        "verdicts": {claim.key: claim.verdict for claim in judged},
        "claims": [
            {"key": c.key, "statement": c.statement, "rule": c.rule, "checks": c.checks, "verdict": c.verdict}
            for c in judged
        ],
        "gradients": {
            "measure": "mean over test windows of ||dh_T/dx_{T-k}||_F, index k = lag",
            "at_init": {kind: r.gradient_norms_init for kind, r in forecasts.items()},
            "trained": {kind: r.gradient_norms_trained for kind, r in forecasts.items()},
        },
        "recall": {
            "lags": settings.recall_lags,
            "seeds": settings.recall_seeds,
            "chance": 1 / settings.recall_symbols,
            "threshold": settings.memory_threshold,
            "accuracy": {r.label: r.accuracy for r in recall.values()},
            "accuracy_by_seed": {r.label: r.curves[:, :, -1] for r in recall.values()},
            "mean_accuracy_over_epochs": {r.label: r.mean_over_epochs for r in recall.values()},
            "accuracy_by_epoch_at_longest_lag": {r.label: r.curves[-1].mean(axis=0) for r in recall.values()},
            "memory_span": {
                r.label: science.memory_span(settings.recall_lags, r.accuracy, settings.memory_threshold)
                for r in recall.values()
            },
        },
        "gru_vs_lstm": {
            "n_features": measured.n_features,
            "units": settings.units,
            "parameters": parameter_table(measured.n_features, settings.units),
            "gru_lstm_ratio": gru_params / lstm_params,
            "gru_share_fewer": 1 - gru_params / lstm_params,
            "seconds_per_epoch": measured.seconds_per_epoch,
            "test_mse": {kind: r.test_mse for kind, r in forecasts.items()},
            "naive_test_mse": measured.naive_mse,
        },
    }


def page_sections(
    run: RunFolder, settings: ClaimsConfig, seed: int, judged: list[Claim], measured: Measurements
) -> list[HtmlSection]:
    """Draw the figures into ``run`` and return the page: a verdict table, then one section per claim."""
    gradients, memory, parameters, speed, bias = judged
    forecasts, recall, n_features = measured.forecasts, measured.recall, measured.n_features
    data_name = settings.data_path.name
    lags = settings.recall_lags
    chance = 1 / settings.recall_symbols
    budget = f"{settings.units} units, {settings.recall_epochs} epochs, mean of {settings.recall_seeds} seeds"
    gradient_figure = plot_gradient_norms(
        {
            "at initialisation": {CELL_NAMES[k]: r.gradient_norms_init for k, r in forecasts.items()},
            f"after {settings.epochs} epochs on {data_name}": {
                CELL_NAMES[k]: r.gradient_norms_trained for k, r in forecasts.items()
            },
        },
        run.figure_path("gradient_norms"),
        f"(a) Gradient of the last hidden state with respect to earlier inputs, {settings.units} units, "
        f"{settings.gradient_windows} test windows of {data_name}",
    )
    memory_figure = plot_recall(
        lags,
        {CELL_NAMES[kind]: recall[(kind, True)].curves for kind in CELL_KINDS},
        chance,
        settings.memory_threshold,
        run.figure_path("recall_accuracy"),
        f"(b) Recalling the input k steps back ({settings.recall_symbols} symbols): {budget}",
    )
    bias_figure = plot_recall(
        lags,
        {recall[v].label: recall[v].curves for v in LSTM_VARIANTS},
        chance,
        settings.memory_threshold,
        run.figure_path("forget_bias"),
        f"(d) LSTM forget-gate bias 1 vs 0 on the recall task: {budget}",
    )
    compared_figure = plot_gru_vs_lstm(
        RATIO_UNITS,
        {
            f"reset_after={reset_after}, F={n_features}": [
                science.parameter_count("gru", n_features, u, reset_after)
                / science.parameter_count("lstm", n_features, u)
                for u in RATIO_UNITS
            ]
            for reset_after in (True, False)
        },
        1 - CLAIMED_GRU_FEWER,
        {CELL_NAMES[k]: value for k, value in measured.seconds_per_epoch.items()},
        {CELL_NAMES[k]: r.test_mse for k, r in forecasts.items()},
        measured.naive_mse,
        run.figure_path("gru_vs_lstm"),
        f"(c) GRU against LSTM: weights by width, and {settings.units}-unit models on {data_name} "
        f"({settings.lookback} steps in, {settings.horizon} out, {settings.epochs} epochs)",
    )
    last_lag = settings.lookback - 1
    return [
        HtmlSection(
            "Verdicts",
            text="Each claim is split into checks, each a comparison of measured numbers with a stated threshold: "
            "all checks pass: holds; some: holds partly; none: does not hold here. The verdicts are for these small "
            "models, this data and this training budget (see the rules below and config.yaml).",
            table=[claim.as_row() for claim in judged],
        ),
        _claim_section(
            "(a) Vanishing gradients",
            gradients,
            f"The Frobenius norm of the Jacobian of the last hidden state h_T with respect to the input k steps "
            f"earlier, averaged over {settings.gradient_windows} test windows of {data_name}, for {settings.units}-unit "
            f"Keras layers at initialisation (seed {seed}) and after training on the forecasting task of (c).",
            [
                {
                    "cell": CELL_NAMES[kind],
                    "norm at lag 0, init": float(r.gradient_norms_init[0]),
                    f"lag {last_lag} / lag 0, init": science.retained_gradient(r.gradient_norms_init),
                    "norm at lag 0, trained": float(r.gradient_norms_trained[0]),
                    f"lag {last_lag} / lag 0, trained": science.retained_gradient(r.gradient_norms_trained),
                }
                for kind, r in forecasts.items()
            ],
            gradient_figure,
        ),
        _claim_section(
            "(b) Long-range memory",
            memory,
            f"Recall task: sequences of k + 1 one-hot symbols ({settings.recall_symbols} symbols, chance "
            f"{chance:.3f}); the first step is marked, the answer is its symbol, k steps before the last input. "
            f"Each cell is trained for {settings.recall_epochs} epochs on {settings.recall_train_sequences} sequences "
            f"per lag and scored on {settings.recall_test_sequences} held-out ones, once per seed "
            f"({settings.recall_seeds} seeds); accuracies are means over the seeds.",
            _by_lag_rows(lags, {CELL_NAMES[kind]: recall[(kind, True)] for kind in CELL_KINDS}),
            memory_figure,
        ),
        _claim_section(
            "(c) GRU against LSTM: parameters",
            parameters,
            f"Exact weight counts of the layers used here (F = {n_features} inputs, U = {settings.units} units). "
            "Keras's GRU defaults to reset_after=True, which keeps a separate recurrent bias (3U more weights). "
            "The ratio tends to 3/4, not 2/3, as the width grows: a GRU has a quarter fewer weights.",
            parameter_table(n_features, settings.units),
            compared_figure,
        ),
        _claim_section(
            "(c) GRU against LSTM: time and accuracy",
            speed,
            f"Each cell with a linear head forecasts {settings.target_column} {settings.horizon} steps ahead from "
            f"{settings.lookback} steps of every column of {data_name} (each window relative to its last step); "
            f"the same windows, {settings.epochs} epochs, batch {settings.batch_size}, seed. Time per epoch: the "
            f"median of {settings.timing_rounds} training steps per model, timed in alternation so that machine "
            f"load falls on every model alike, times the steps per epoch. Last-value forecast: test MSE "
            f"{measured.naive_mse:.4f}.",
            [
                {
                    "cell": CELL_NAMES[kind],
                    "weights": r.n_params,
                    "seconds per epoch": measured.seconds_per_epoch[kind],
                    "test MSE": r.test_mse,
                    "MSE / last value": r.test_mse / measured.naive_mse,
                }
                for kind, r in forecasts.items()
            ],
            None,
        ),
        _claim_section(
            "(d) Forget-gate bias 1 vs 0",
            bias,
            "The LSTM of (b), once with the forget-gate bias starting at 1 (Keras's unit_forget_bias=True, the "
            "default) and once at 0, same data, seeds and budget.",
            _by_lag_rows(lags, {recall[v].label: recall[v] for v in LSTM_VARIANTS}),
            bias_figure,
        ),
    ]


def _claim_section(
    heading: str, claim: Claim, method: str, table: list[dict[str, Any]], figure: Path | None
) -> HtmlSection:
    checks = "; ".join(f"{name}: {'yes' if passed else 'no'}" for name, passed in claim.checks.items())
    text = (
        f"Claim: {claim.statement}\n\nMeasured: {method}\n\nRule: {claim.rule}\n\nVerdict: {claim.verdict} ({checks})."
    )
    return HtmlSection(heading, text=text, table=table, figures=[figure] if figure else [])


def _by_lag_rows(lags: list[int], results: dict[str, RecallCurves]) -> list[dict[str, Any]]:
    """One row per lag: each model's final held-out accuracy and its mean over the epochs (both over the seeds)."""
    rows = []
    for k, lag in enumerate(lags):
        row: dict[str, Any] = {"lag": lag}
        for label, result in results.items():
            row[f"{label}: final accuracy"] = float(result.accuracy[k])
            row[f"{label}: mean over epochs"] = float(result.mean_over_epochs[k])
        rows.append(row)
    return rows
