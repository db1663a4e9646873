"""``forecaster detect CONFIG``: train or apply an anomaly detector; write scores and events."""

from __future__ import annotations

import argparse
from pathlib import Path

from forecaster.cli.main import add_config_arguments, print_page_notes
from forecaster.config import AnomalyConfig, load_config, refuse_overrides


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``detect`` command."""
    parser = subparsers.add_parser(
        "detect",
        help="train (or load) an anomaly detector, score every point and write scores and events",
        description="Train the detector of the config's 'anomaly' section on the rows declared normal (or load "
        "one with --run), score every point of the data (or of --data), threshold the errors, merge flagged "
        "points into events and write scores.parquet, events.csv, metrics.json, figures and index.html into "
        "a run folder that a later --run can load.",
    )
    add_config_arguments(parser)
    parser.add_argument(
        "--run", dest="run_dir", type=Path, default=None, help="detection run folder to apply instead of training"
    )
    parser.add_argument(
        "--data", dest="data_path", type=Path, default=None, help="CSV or Parquet file to score instead of data.path"
    )
    parser.set_defaults(handler=run_detect)


def run_detect(args: argparse.Namespace) -> int:
    """Detect and print the run folder; return 0."""
    if args.run_dir is not None:
        from forecaster.anomaly.detectors import NETWORK_KEYS

        fixed = tuple(
            f"anomaly.{key}" if key in AnomalyConfig.model_fields else f"anomaly.training.{key}" for key in NETWORK_KEYS
        )
        refuse_overrides(args.overrides, fixed, f"fixed when {args.run_dir} was trained")
    config = load_config(args.config, args.overrides)
    from forecaster.jobs.detection import detect_job

    run_path = detect_job(config, args.config, args.run_dir, args.data_path)
    print_page_notes(run_path)
    print(f"detection run: {run_path}")
    return 0
