"""``forecaster run CONFIG``: the main job on one data file, with its report."""

from __future__ import annotations

import argparse

from forecaster.cli.main import add_config_arguments
from forecaster.config import load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``run`` command."""
    parser = subparsers.add_parser(
        "run",
        help="the main job: load and validate data, window it, and write a report",
        description="Run the main job a config describes and write a run folder under report.output_dir.",
    )
    add_config_arguments(parser)
    parser.set_defaults(handler=run_main_job)


def run_main_job(args: argparse.Namespace) -> int:
    """Run the main job and print its run folder; return 0."""
    config = load_config(args.config, args.overrides)
    from forecaster.jobs.main_job import run_main_job as run_job

    print(f"run folder: {run_job(config, args.config)}")
    return 0
