"""``forecaster scan CONFIG --run DETECTION_RUN``: score what is new in many series into a store."""

from __future__ import annotations

import argparse
from pathlib import Path

from forecaster.cli.main import add_config_arguments
from forecaster.config import load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``scan`` command."""
    parser = subparsers.add_parser(
        "scan",
        help="score the rows after each series' watermark with a saved detector, into a store (for schedulers)",
        description="Score every series' rows after its watermark with the detector of a detection run, turn "
        "anomalous points into events (anomaly.events, as forecaster detect does), and commit scores, events "
        "and the new watermark of each series in one transaction into the store (store.url). Exit codes: 0 done, "
        "1 with --exit-code when events were opened, extended or closed, 2 bad config or data, 75 store busy. A run "
        "folder is written when the scan opened, updated or removed events or skipped a series (--report).",
    )
    add_config_arguments(parser)
    parser.add_argument(
        "--run", dest="run_dir", type=Path, required=True, help="detection run folder (forecaster detect)"
    )
    source = parser.add_mutually_exclusive_group()  # one source of rows: --data would silently win
    source.add_argument(
        "--data",
        dest="data_path",
        type=Path,
        default=None,
        help="file (one series, or long format with data.id_column) or folder of files, instead of data.path",
    )
    source.add_argument(
        "--data-query",
        default=None,
        metavar="SQL",
        help="scan the rows of this SQL query on data.url (time, id and value columns named as in data)",
    )
    parser.add_argument("--store", dest="store_url", default=None, help="store URL instead of store.url")
    parser.add_argument(
        "--report",
        choices=("always", "changes", "never"),
        default="changes",
        help="write a run folder always, only when the scan opened, updated or removed events or skipped a series "
        "(default: changes), or never; the store records every scan either way",
    )
    parser.add_argument(
        "--exit-code", action="store_true", help="exit 1 when the scan opened, extended or closed events"
    )
    parser.add_argument(
        "--rescore-from",
        default=None,
        metavar="TIMESTAMP",
        help="re-score from this time on (or from a series' first row after its last scan, if earlier), replacing "
        "its scores and events (data must reach back far enough); each event is matched with the stored event it "
        "overlaps most and keeps its id, raising no alert again unless it ends later or changed state; stored events "
        "no longer found are removed and counted",
    )
    parser.set_defaults(handler=run_scan)


def run_scan(args: argparse.Namespace) -> int:
    """Scan, print the one-line summary; return 0, or 1 with ``--exit-code`` when events opened, grew or closed."""
    config = load_config(args.config, args.overrides)
    from forecaster.jobs.scan import scan_job
    from forecaster.reports.html import count_noun
    from forecaster.reports.scan import rescored_from, series_counts, skipped_series

    summary, run_folder = scan_job(
        config,
        args.config,
        args.run_dir,
        args.data_path,
        args.store_url,
        args.rescore_from,
        progress=True,
        data_query=args.data_query,
        report=args.report,
    )
    counts = summary.to_dict()
    skipped = skipped_series(summary.skipped)
    fitted = f", scaling fitted for {len(summary.scaling_fitted)} series" if summary.scaling_fitted else ""
    pooled = f", pooled threshold for {len(summary.threshold_pooled)} series" if summary.threshold_pooled else ""
    filled = f", {summary.rows_filled} rows filled (scored as missing)" if summary.rows_filled else ""
    removed = (
        f", {count_noun(summary.removed_events, 'removed event')} (no longer found by the re-score, or merged into another)"
        if summary.removed_events
        else ""
    )
    print(
        f"scan {summary.scan_id}: {series_counts(counts)}, {summary.rows_scored} rows scored{rescored_from(counts)}, "
        f"{count_noun(summary.new_events, 'new event')}, {count_noun(summary.updated_events, 'updated event')}"
        f"{removed}, {count_noun(summary.late_rows, 'late row')}{filled}{', skipped: ' + skipped if skipped else ''}{fitted}"
        f"{pooled}; " + (f"run folder {run_folder}" if run_folder is not None else "no run folder")
    )
    return 1 if args.exit_code and summary.new_events + summary.updated_events else 0
