"""``forecaster claims``: measure textbook claims about gated cells and write the report."""

from __future__ import annotations

import argparse
import logging
from typing import Any

from forecaster.cli.main import add_config_arguments
from forecaster.config import load_config


def register(subparsers: Any) -> None:
    """Add the ``claims`` command to the CLI."""
    parser = subparsers.add_parser(
        "claims",
        help="measure textbook claims about SimpleRNN, GRU and LSTM cells and judge each",
        description=(
            "Measure vanishing gradients, long-range memory, GRU against LSTM (parameters, time, accuracy) and "
            "the LSTM forget-gate bias on the series of claims.data_path and on a synthetic recall task; print "
            "each claim's verdict (holds, holds partly, does not hold here) and write a run folder with the "
            "numbers, figures and index.html."
        ),
    )
    add_config_arguments(parser)
    parser.set_defaults(handler=run_claims_command)


def run_claims_command(args: argparse.Namespace) -> int:
    """Measure every claim, print the verdicts and the run folder.

    Returns:
        0 (a claim that does not hold is a finding, not a failure).
    """
    from forecaster.jobs.claims import run_claims

    # Every claim trains a dozen small models, so TensorFlow warns of retracing; that is expected here.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    judged, run_path = run_claims(load_config(args.config, args.overrides))
    width = max(len(claim.key) for claim in judged)
    for claim in judged:
        print(f"{claim.key.ljust(width)}  {claim.verdict}")
    print(f"report: {run_path}")
    return 0
