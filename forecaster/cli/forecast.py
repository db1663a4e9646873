"""``forecaster forecast --run RUN_DIR --data NEW.csv``: batch forecasts from a saved run."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``forecast`` command."""
    parser = subparsers.add_parser(
        "forecast",
        help="forecast the next horizon steps of every series in new data with a trained run",
        description="Load a trained run (its config, model, scaler and intervals), validate the new data with "
        "the run's policies, refuse data whose columns, frequency or scale do not fit, and write "
        "forecasts.csv with timestamps and intervals into a run folder.",
    )
    parser.add_argument("--run", dest="run_dir", type=Path, required=True, help="trained run folder")
    parser.add_argument(
        "--data", dest="data_path", type=Path, required=True, help="CSV or Parquet file with recent history"
    )
    parser.add_argument(
        "--future",
        dest="future_path",
        type=Path,
        default=None,
        help="CSV or Parquet file with the future covariates' values for the horizon (runs trained with data.future_covariates)",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="override a value of the run's config, e.g. --set report.output_dir=out (repeatable)",
    )
    parser.set_defaults(handler=run_forecast)


def run_forecast(args: argparse.Namespace) -> int:
    """Forecast and print where the forecasts were written; return 0."""
    from forecaster.jobs.commands import forecast_job

    run_path = forecast_job(args.run_dir, args.data_path, args.overrides, args.future_path)
    print(f"forecasts: {run_path / 'forecasts.csv'}")
    return 0
