"""Check the hand-written cells against Keras's LSTM and GRU and write the report."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import keras

from forecaster.cells import GatedGRU, GatedLSTM
from forecaster.cells.check import (
    CheckResult,
    feature_cases,
    load_real_windows,
    random_cases,
    real_data_cases,
    run_case,
)
from forecaster.config import ForecasterConfig, config_to_dict
from forecaster.reports.gates import plot_gate_heatmaps
from forecaster.reports.html import HtmlSection, count_noun, write_index_html
from forecaster.runs import RunFolder

logger = logging.getLogger(__name__)

N_REAL_WINDOWS = 4
"""Windows of the real series checked at once (the batch of the real-data cases)."""


def check_cells(config: ForecasterConfig) -> tuple[list[CheckResult], Path]:
    """Run every check case and write the run folder (table, metrics, gate heat maps, page).

    Args:
        config: the validated config; ``cell_check`` and ``seed`` are used.

    Returns:
        The results of every case and the run folder.

    Raises:
        DataError: when the real-data file cannot be used.
    """
    keras.utils.set_random_seed(config.seed)
    settings = config.cell_check
    windows = load_real_windows(settings.data_path, N_REAL_WINDOWS, settings.time_steps)
    cases = (
        feature_cases(seed=config.seed)
        + random_cases(settings.n_random_cases, config.seed)
        + real_data_cases(windows, settings.units, config.seed)
    )
    results = []
    for case in cases:
        logger.debug("checking %s", case.name)
        results.append(run_case(case))
    rows = [result.as_row() for result in results]
    n_failed = sum(not result.passed for result in results)
    with RunFolder(config.report.output_dir, config.name) as run:
        run.write_json("checks.json", rows)
        run.write_yaml("config.yaml", config_to_dict(config))
        run.write_json("metrics.json", summarise(results))
        figures = []
        for label, layer in (
            ("lstm", GatedLSTM(settings.units, return_sequences=True)),
            (
                "peephole_lstm",
                GatedLSTM(settings.units, return_sequences=True, peephole=True, peephole_initializer="glorot_uniform"),
            ),
            ("gru", GatedGRU(settings.units, return_sequences=True)),
        ):
            trace = layer.trace(windows[:1])
            figures.append(
                plot_gate_heatmaps(
                    trace,
                    run.figure_path(f"gates_{label}"),
                    f"{label} gates on {settings.data_path.name} (untrained weights, seed {config.seed})",
                )
            )
        write_index_html(
            run,
            "check-cell: hand-written cells vs Keras",
            [
                HtmlSection(
                    "Equivalence checks",
                    text=f"{len(results) - n_failed} of {len(results)} cases pass. Outputs and states: max abs "
                    "difference from Keras; gradients: max difference relative to Keras's largest gradient "
                    "(peephole LSTM: analytic vs finite differences, float64); reference: float64 layer vs numpy "
                    "reference; keras_deviation: Keras's own known error, reported only.",
                    table=rows,
                ),
                HtmlSection("Gate traces", text="Every gate over time for the first real window.", figures=figures),
            ],
            summary=[
                f"{len(results) - n_failed} of {len(results)} cases pass: the hand-written LSTM, peephole LSTM and "
                "GRU cells give Keras's outputs, states and gradients within the stated tolerances."
            ],
            warnings=[
                f"{count_noun(n_failed, 'case')} {'fails' if n_failed == 1 else 'fail'}: see the FAIL rows of the table."
            ]
            if n_failed
            else [],
            subtitle=f"forecaster check-cell on {settings.data_path}",
        )
    return results, run.final_path


def summarise(results: list[CheckResult]) -> dict[str, Any]:
    """Return counts and the largest difference of each kind over ``results``."""
    metrics: dict[str, Any] = {"n_cases": len(results), "n_failed": sum(not r.passed for r in results)}
    for column in ("outputs", "states", "gradients", "reference", "keras_deviation"):
        values = [getattr(r, column) for r in results if getattr(r, column) is not None]
        metrics[f"max_{column}"] = max(values, default=None)
    return metrics
