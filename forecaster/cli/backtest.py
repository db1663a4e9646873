"""``forecaster backtest CONFIG``: score a forecaster and the baselines on every test window."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from forecaster.cli.main import add_config_arguments
from forecaster.config import load_config


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``backtest`` command."""
    parser = subparsers.add_parser(
        "backtest",
        help="score a forecaster against naive, seasonal-naive and linear baselines on every test window",
        description="Train the configured forecaster (or load one with --run) and predict every window of "
        "the test split in large batches; write metrics.json (test mse/mae on the normalised scale at the "
        "top level), predictions.parquet and figures into a run folder.",
    )
    add_config_arguments(parser)
    parser.add_argument(
        "--run", dest="run_dir", type=Path, default=None, help="score this trained run instead of training"
    )
    parser.set_defaults(handler=run_backtest)


def run_backtest(args: argparse.Namespace) -> int:
    """Backtest, print the headline metrics and the run folder; return 0."""
    config = load_config(args.config, args.overrides)
    from forecaster.jobs.commands import backtest_job

    run_path = backtest_job(config, args.config, args.run_dir)
    metrics = json.loads((run_path / "metrics.json").read_text())
    print(
        f"test mse {metrics['mse']:.4f}  mae {metrics['mae']:.4f} (normalised) over {metrics['n_test_windows']} windows"
    )
    for name, scores in metrics["baselines"].items():
        print(
            f"  {name:<15} mse {scores['scaled']['overall']['mse']:.4f}  mae {scores['scaled']['overall']['mae']:.4f}"
        )
    print(f"run folder: {run_path}")
    return 0
