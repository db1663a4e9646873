"""``forecaster inspect DATA``: print and save a profile of a data file."""

from __future__ import annotations

import argparse
import logging

from forecaster.cli.main import add_config_arguments
from forecaster.config import config_to_dict, load_config
from forecaster.data import format_profile, profile_table, read_table
from forecaster.reports.html import HtmlSection, write_index_html
from forecaster.runs import RunFolder

logger = logging.getLogger(__name__)


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
    parser.set_defaults(handler=run_inspect)


def run_inspect(args: argparse.Namespace) -> int:
    """Profile ``args.data`` and write the profile into a run folder."""
    config = load_config(args.config, [*args.overrides, f"data.path={args.data}"])
    data = config.require_data(args.config or "defaults")
    raw = read_table(data.path, data.format)
    profile = profile_table(raw, str(data.path), data.time_column, data.id_column)
    print(format_profile(profile))
    with RunFolder(config.report.output_dir, f"inspect-{data.path.stem}") as run:
        run.write_json("profile.json", profile)
        run.write_yaml("config.yaml", config_to_dict(config))
        columns = [{"column": name, **info} for name, info in profile["columns"].items()]
        summary = [{k: v for k, v in profile.items() if k != "columns"}]
        write_index_html(
            run,
            f"Data profile: {data.path.name}",
            [HtmlSection("Summary", table=summary), HtmlSection("Columns", table=columns)],
        )
    print(f"\nprofile written to {run.final_path / 'profile.json'}")
    return 0

