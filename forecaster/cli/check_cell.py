"""``forecaster check-cell``: prove the hand-written cells equal Keras's LSTM and GRU and write the report."""

from __future__ import annotations

import argparse
from typing import Any

from forecaster.cli.main import add_config_arguments
from forecaster.config import load_config

TABLE_COLUMNS = (
    "case",
    "shape",
    "outputs",
    "states",
    "gradients",
    "reference",
    "keras_deviation",
    "tolerance",
    "result",
)


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
    """Run every check case, print the table and the run folder.

    Returns:
        0 when every case passes, 1 otherwise.
    """
    from forecaster.jobs.check_cell import check_cells

    defaults = ["name=check-cell"] if args.config is None else []
    results, run_path = check_cells(load_config(args.config, [*defaults, *args.overrides]))
    print(format_table([result.as_row() for result in results]))
    n_passed = sum(result.passed for result in results)
    print(f"{n_passed}/{len(results)} cases pass; report: {run_path}")
    return 0 if n_passed == len(results) else 1


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
