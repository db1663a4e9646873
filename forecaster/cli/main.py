"""The ``forecaster`` command line: parses arguments and dispatches to commands.

Each command lives in its own module under ``forecaster.cli`` and exposes
``register(subparsers)``, which adds its parser and sets ``handler`` to a
function taking the parsed arguments and returning an exit code. Command
modules stay light: a handler imports its job from ``forecaster.jobs`` only
when it runs, after the Keras backend has been imported quietly. Errors a user
can fix (:class:`~forecaster.errors.ForecasterError`) are printed as one line on
stderr with exit code 2; with ``--debug`` the traceback comes first and the exit
code stays the same.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from pathlib import Path

from forecaster import __version__
from forecaster.errors import ForecasterError

COMMAND_MODULES = (
    "inspect",
    "run",
    "train",
    "backtest",
    "forecast",
    "detect",
    "scan",
    "events",
    "check_cell",
    "claims",
    "report",
    "compare",
)


class OneLineErrorParser(argparse.ArgumentParser):
    """An argument parser whose usage errors are one line on stderr (exit 2), like every other error of the CLI.

    argparse prints the whole usage block before the error; here the line
    names the command and points at its ``--help`` instead. Sub-command
    parsers are of this class too (argparse creates them with the parent's class).
    """

    def error(self, message: str):
        """Print ``error: <command>: <message>; see <command> --help`` and exit with code 2."""
        self.exit(2, f"error: {self.prog}: {message}; see {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
    """Return the top-level parser with every command registered."""
    import importlib

    parser = OneLineErrorParser(
        prog="forecaster",
        description="Time-series forecasting and anomaly detection with Keras recurrent networks.",
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks and debug logging")
    parser.add_argument("--version", action="version", version=f"forecaster {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(f"forecaster.cli.{name}").register(subparsers)
    return parser


def add_config_arguments(parser: argparse.ArgumentParser, config_required: bool = True) -> None:
    """Add the ``CONFIG`` argument and repeatable ``--set dotted.key=value`` to a command parser."""
    if config_required:
        parser.add_argument("config", metavar="CONFIG", help="YAML config file (see configs/)")
    else:
        parser.add_argument("--config", metavar="CONFIG", default=None, help="YAML config file (optional)")
    parser.add_argument(
        "--set",
        dest="overrides",
        metavar="KEY=VALUE",
        action="append",
        default=[],
        help="override a config value, e.g. --set windows.lookback=48 (repeatable)",
    )


def print_page_notes(run_path: Path) -> None:
    """Print what a run's page says to read first (its warnings), one ``note:`` line each."""
    from forecaster.reports.html import PAGE_DATA_FILE

    for warning in json.loads((run_path / PAGE_DATA_FILE).read_text())["warnings"]:
        print(f"note: {warning}")


def import_backend_quietly() -> None:
    """Import Keras with the process's native stderr silenced.

    TensorFlow's C++ logger writes start-up lines straight to file descriptor 2
    whatever the Python log level, which would break the promise of one clear
    line per error. Python-level errors raised by the import still surface.
    Its level is set to 3 (fatal only): it also logs at error level, while
    training, notices such as oneDNN's ``E0000 ... supports DT_INT32 only on
    platforms with AVX-512`` that are not errors of the run; a real failure
    reaches the user as a Python exception.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            import keras  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def discard_stdout() -> None:
    """Point stdout at ``os.devnull`` once its reader has gone (``forecaster events | head -1``).

    The command then stops quietly, as Unix tools do: what is still buffered is
    flushed at exit into nothing instead of raising a second ``BrokenPipeError``
    ("Exception ignored ..."), as the Python documentation's note on SIGPIPE
    recommends (https://docs.python.org/3/library/signal.html#note-on-sigpipe).
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


INTERNAL_ERROR = 70
"""Exit code of a bug (EX_SOFTWARE): never 1, which ``--exit-code`` and ``check-cell`` give a meaning."""


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code.

    0 success, or the reader of stdout stopped early (a pipe into ``head``); 1 a
    check failed (``check-cell``) or, with ``scan --exit-code``, events opened,
    extended or closed; 2 a one-line error the user can fix; 70 a bug (the traceback
    is printed: please report it); 75 a scan store busy; 130 interrupted.
    ``--debug`` prints the traceback of every error and keeps its exit code.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "needs_backend", True) and not args.debug:
        import_backend_quietly()
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s" if args.debug else "%(message)s",
    )
    try:
        code = int(args.handler(args) or 0)
        sys.stdout.flush()  # a reader gone before a buffered print reached it shows here, not at exit
        return code
    except BrokenPipeError:
        discard_stdout()
        return 0
    except ForecasterError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        return getattr(exc, "exit_code", 2)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception:
        traceback.print_exc()
        print(f"error: an internal error in forecaster {__version__} (above); please report it", file=sys.stderr)
        return INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
