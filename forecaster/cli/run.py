"""``forecaster run CONFIG``: the main job (train, backtest, forecast, anomaly scan) with its report."""

from __future__ import annotations

import argparse

from forecaster.cli.main import add_config_arguments, print_page_notes
from forecaster.config import load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` command."""
    parser = subparsers.add_parser(
        "run",
        help="the main job: train a forecaster, backtest it, forecast ahead, scan for anomalies, report",
        description="Validate and window the configured data, train a forecaster, score it against naive, "
        "seasonal-naive and linear baselines on every test window, forecast past the end of the data, scan it "
        "for anomalies and write one run folder under report.output_dir.",
    )
    add_config_arguments(parser)
    parser.set_defaults(handler=run_main_command)


def run_main_command(args: argparse.Namespace) -> int:
    """Run the main job, print what its page says to read first and the run folder; return 0."""
    config = load_config(args.config, args.overrides)
    from forecaster.jobs.commands import run_main_job

    run_path = run_main_job(config, args.config)
    print_page_notes(run_path)
    print(f"run folder: {run_path}")
    return 0
