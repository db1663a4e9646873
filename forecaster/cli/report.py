"""``forecaster report RUN_DIR``: rebuild a run's page from what the run saved, without retraining."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` command."""
    parser = subparsers.add_parser(
        "report",
        help="rebuild a run folder's index.html from its saved results (no retraining)",
        description="Render index.html of a run folder again from the page data the run saved (page.json), "
        "with the current page template; every figure it names must still be in the folder.",
    )
    parser.add_argument("run_dir", metavar="RUN_DIR", type=Path, help="a run folder written by any forecaster command")
    parser.set_defaults(handler=run_report, needs_backend=False)


def run_report(args: argparse.Namespace) -> int:
    """Rebuild the page, print its path and return 0."""
    from forecaster.reports.html import rebuild_index_html

    print(f"page: {rebuild_index_html(args.run_dir)}")
    return 0
