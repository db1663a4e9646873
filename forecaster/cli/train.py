"""``forecaster train CONFIG``: train a forecaster and save a reloadable run."""

from __future__ import annotations

import argparse

from forecaster.cli.main import add_config_arguments
from forecaster.config import load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``train`` command."""
    parser = subparsers.add_parser(
        "train",
        help="train a forecaster and save it (model, scaler, schema, intervals) in a run folder",
        description="Train the configured forecaster with early stopping on the validation split, calibrate "
        "conformal intervals on it and save a run folder that 'forecaster forecast --run' loads. A training "
        "job killed half-way resumes from its last completed epoch when run again with the same config.",
    )
    add_config_arguments(parser)
    parser.set_defaults(handler=run_train)


def run_train(args: argparse.Namespace) -> int:
    """Train and print the run folder; return 0."""
    config = load_config(args.config, args.overrides)
    from forecaster.jobs.commands import train_job

    print(f"trained run: {train_job(config, args.config)}")
    return 0
