"""``forecaster events``: list the events scans stored, for analysts (table) and alerting scripts (csv, json)."""

from __future__ import annotations

import argparse
import json

from forecaster.cli.main import add_config_arguments
from forecaster.config import load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``events`` command."""
    parser = subparsers.add_parser(
        "events",
        help="list the anomaly events stored by forecaster scan, with filters, as a table, CSV or JSON",
        description="List the events in the scan store (store.url or --store), by start time. --format json "
        "prints one JSON array of objects (series, start, end, peak, severity, state, ...).",
    )
    add_config_arguments(parser, config_required=False)
    parser.add_argument("--store", dest="store_url", default=None, help="store URL instead of store.url")
    parser.add_argument("--series", default=None, help="only this series")
    parser.add_argument("--since", default=None, metavar="TIMESTAMP", help="only events ending at or after this time")
    parser.add_argument("--state", choices=["open", "closed"], default=None, help="only open or closed events")
    parser.add_argument(
        "--min-severity", type=float, default=None, metavar="X", help="only events at least this severe"
    )
    parser.add_argument(
        "--since-scan", action="store_true", help="only the events the last scan opened, extended or closed"
    )
    parser.add_argument("--format", choices=["table", "csv", "json"], default="table", help="output format (table)")
    parser.set_defaults(handler=run_events, needs_backend=False)


def run_events(args: argparse.Namespace) -> int:
    """Print the events in the chosen format; return 0."""
    from sqlalchemy.engine import make_url

    from forecaster.jobs.events import list_events
    from forecaster.store.store import EVENT_COLUMNS

    config = load_config(args.config, args.overrides)
    frame = list_events(config, args.store_url, args.series, args.since, args.state, args.min_severity, args.since_scan)
    frame = frame[["id", *EVENT_COLUMNS, "first_scan", "last_scan"]]  # as stored, with the scans that touched it
    if args.format == "json":
        # pandas writes NaN as null and times as ISO strings; json lays the array out (pandas' indent
        # prints "[", a blank line and "]" for no events, and no space after a key's colon)
        print(json.dumps(json.loads(frame.to_json(orient="records", date_format="iso")), indent=2))
    elif args.format == "csv":
        print(frame.to_csv(index=False), end="")
    elif frame.empty:  # say which store: one read without the scan's --config is the default one
        print(f"no events in {make_url(args.store_url or config.store.url).render_as_string(hide_password=True)}")
    else:
        print(frame.to_string(index=False))
    return 0
