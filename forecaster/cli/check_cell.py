"""``forecaster check-cell``: prove the hand-written cells equal Keras's LSTM and GRU and write the report."""

from __future__ import annotations

import argparse
import logging
from typing import Any

import keras

from forecaster.cells import GatedGRU, GatedLSTM
from forecaster.cells.check import CheckResult, feature_cases, load_real_windows, random_cases, real_data_cases, run_case
from forecaster.cli.main import add_config_arguments
from forecaster.config import config_to_dict, load_config
from forecaster.reports.gates import plot_gate_heatmaps
from forecaster.reports.html import HtmlSection, write_index_html
from forecaster.runs import RunFolder

logger = logging.getLogger(__name__)

N_REAL_WINDOWS = 4
"""Windows of the real series checked at once (the batch of the real-data cases)."""

TABLE_COLUMNS = ("case", "shape", "outputs", "states", "gradients", "reference", "keras_deviation", "tolerance", "result")


def register(subparsers: Any) -> None:
    """Add the ``check-cell`` command to the CLI."""
    parser = subparsers.add_parser(
        "check-cell",
        help="check the hand-written LSTM/GRU cells against Keras and a float64 reference",
        description=(
            "Run the equivalence checks of GatedLSTM, GatedGRU and the peephole LSTM on random shapes, "
            "every layer option and the real series of cell_check.data_path; print the table and write it "
            "with gate heat maps into a run folder. Exit code 1 if any case fails."
        ),
    )
    add_config_arguments(parser, config_required=False)
    parser.set_defaults(handler=run_check_cell)


def run_check_cell(args: argparse.Namespace) -> int:
    """Run every check case, print the table, write the run folder.

    Args:
        args: parsed arguments with ``config`` and ``overrides``.

    Returns:
        0 when every case passes, 1 otherwise.

    Raises:
        ConfigError: for an invalid config.
        DataError: when the real-data file cannot be used.
    """
    config = load_config(args.config, args.overrides)
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
    print(format_table(rows))
    n_failed = sum(not result.passed for result in results)

    with RunFolder(config.report.output_dir, config.name) as run:
        run.write_json("checks.json", rows)
        run.write_yaml("config.yaml", config_to_dict(config))
        run.write_json("metrics.json", summarise(results))
        figures = []
        for label, layer in (
            ("lstm", GatedLSTM(settings.units, return_sequences=True)),
            ("peephole_lstm", GatedLSTM(settings.units, return_sequences=True, peephole=True, peephole_initializer="glorot_uniform")),
            ("gru", GatedGRU(settings.units, return_sequences=True)),
        ):
            trace = layer.trace(windows[:1])
            figures.append(plot_gate_heatmaps(trace, run.figure_path(f"gates_{label}"), f"{label} gates on {settings.data_path.name} (untrained weights, seed {config.seed})"))
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
        )
    print(f"{len(results) - n_failed}/{len(results)} cases pass; report: {run.final_path}")
    return 1 if n_failed else 0


def summarise(results: list[CheckResult]) -> dict[str, Any]:
    """Return counts and the largest difference of each kind over ``results``."""
    metrics: dict[str, Any] = {"n_cases": len(results), "n_failed": sum(not r.passed for r in results)}
    for column in ("outputs", "states", "gradients", "reference", "keras_deviation"):
        values = [getattr(r, column) for r in results if getattr(r, column) is not None]
        metrics[f"max_{column}"] = max(values, default=None)
    return metrics


def format_table(rows: list[dict[str, Any]]) -> str:
    """Return ``rows`` as a plain text table with aligned columns (``n/a`` for missing values)."""
    cells = [[_format_value(row.get(column)) for column in TABLE_COLUMNS] for row in rows]
    widths = [max(len(column), *(len(line[k]) for line in cells)) for k, column in enumerate(TABLE_COLUMNS)]
    lines = ["  ".join(column.ljust(width) for column, width in zip(TABLE_COLUMNS, widths))]
    lines += ["  ".join(value.ljust(width) for value, width in zip(line, widths)) for line in cells]
    return "\n".join(lines)


def _format_value(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.2e}"
    return str(value)
