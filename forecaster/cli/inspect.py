"""``forecaster inspect DATA``: print and save a profile of a data file."""

from __future__ import annotations

import argparse

from forecaster.cli.main import add_config_arguments
from forecaster.config import load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``inspect`` command."""
    parser = subparsers.add_parser(
        "inspect",
        help="profile a CSV/Parquet file: rows, span, frequency, gaps, duplicates, missing values",
        description="Profile a data file for an analyst; prints a table and writes profile.json "
        "into a run folder under report.output_dir.",
    )
    parser.add_argument("data", metavar="DATA", help="CSV or Parquet file")
    add_config_arguments(parser, config_required=False)
    parser.set_defaults(handler=run_inspect, needs_backend=False)


def run_inspect(args: argparse.Namespace) -> int:
    """Profile ``args.data``, print the table and where the profile was written; return 0."""
    from forecaster.data import format_profile
    from forecaster.jobs.inspect import inspect_data

    config = load_config(args.config, [*args.overrides, f"data.path={args.data}"])
    profile, run_path = inspect_data(config, args.config or "defaults")
    print(format_profile(profile))
    print(f"\nprofile written to {run_path / 'profile.json'}")
    return 0
