"""``forecaster compare RUN_DIR...``: the metrics of several runs side by side."""

from __future__ import annotations

import argparse
from pathlib import Path

from forecaster.cli.main import add_config_arguments
from forecaster.config import load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``compare`` command."""
    parser = subparsers.add_parser(
        "compare",
        help="put the metrics of several runs side by side (table and error-by-step figure)",
        description="Read metrics.json and config.yaml of each run folder and write a comparison run folder "
        "under report.output_dir: a table of validation and test scores against the baselines, and the "
        "test error of every run by horizon step.",
    )
    parser.add_argument("run_dirs", metavar="RUN_DIR", type=Path, nargs="+", help="run folders to compare")
    add_config_arguments(parser, config_required=False)
    parser.set_defaults(handler=run_compare, needs_backend=False)


def run_compare(args: argparse.Namespace) -> int:
    """Compare the runs; print why their scores are not comparable (when they are not), the table and the run folder; return 0."""
    import pandas as pd

    from forecaster.jobs.compare import compare_runs
    from forecaster.reports.html import format_cell

    rows, warning, run_path = compare_runs(load_config(args.config, args.overrides), args.run_dirs)
    if warning:
        print(warning)
    print(pd.DataFrame(rows).map(format_cell).to_string(index=False))
    print(f"comparison: {run_path / 'index.html'}")
    return 0
