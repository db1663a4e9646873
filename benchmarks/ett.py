"""ETTh1 long-horizon benchmark: the standard protocol for every setting and horizon.

For each ``configs/etth1_<setting>_<horizon>.yaml`` this trains the configured
recurrent forecaster, chooses nothing on test (early stopping reads the
validation split only) and scores every test window with ``forecaster
backtest``'s code path: MSE and MAE on the z-scored values, averaged over
windows, steps and columns. The linear and seasonal-naive baselines are
measured in the same run on the same windows; published figures are printed
beside them for reference.

Usage:
    python benchmarks/ett.py [--data data/ett/ETTh1.csv] [--settings M S]
        [--horizons 96 192 336 720] [--out benchmarks/results/ett.json] [--set KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PUBLISHED_M_MSE = {
    "SegRNN (lookback 720)": {96: 0.351, 192: 0.392, 336: 0.423, 720: 0.466},
    "PatchTST/64 (lookback 512)": {96: 0.370, 192: 0.413, 336: 0.422, 720: 0.447},
    "DLinear (lookback 336)": {96: 0.375, 192: 0.405, 336: 0.439, 720: 0.472},
}
"""Published test MSE on ETTh1, setting M (as quoted in the project's issue 4, from the SegRNN, PatchTST and DLinear papers)."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the benchmark's command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "ett" / "ETTh1.csv")
    parser.add_argument("--settings", nargs="+", default=["M", "S"], choices=["M", "S"])
    parser.add_argument("--horizons", nargs="+", type=int, default=[96, 192, 336, 720])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ett.json")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    return parser.parse_args(argv)


def run_case(config_path: Path, data: Path, overrides: list[str], output_dir: Path) -> dict:
    """Train and backtest one configuration; return its scores, baselines and run time."""
    from forecaster.config import load_config
    from forecaster.jobs.commands import backtest_job

    config = load_config(config_path, [f"data.path={data}", f"report.output_dir={output_dir}", *overrides])
    started = time.perf_counter()
    run = backtest_job(config, str(config_path))
    seconds = time.perf_counter() - started
    metrics = json.loads((run / "metrics.json").read_text())
    baselines = {name: scores["scaled"]["overall"] for name, scores in metrics["baselines"].items()}
    return {
        "lookback": config.windows.lookback,
        "mse": metrics["mse"],
        "mae": metrics["mae"],
        "val_mse": metrics["validation"]["mse"],
        "n_test_windows": metrics["n_test_windows"],
        "epochs": metrics["training"]["epochs"],
        "run_time_s": round(seconds, 1),
        "linear_mse": baselines["linear"]["mse"],
        "seasonal_naive_mse": baselines.get("seasonal_naive", {}).get("mse"),
        "naive_mse": baselines["naive"]["mse"],
        "mse_ratio_to_linear": metrics["mse"] / baselines["linear"]["mse"],
    }


def main(argv: list[str] | None = None) -> int:
    """Run every requested case, print the table and write the JSON."""
    args = parse_args(argv)
    if not args.data.is_file():
        print(f"error: {args.data}: ETTh1 file not found; pass --data PATH", file=sys.stderr)
        return 2
    rows = []
    with tempfile.TemporaryDirectory(prefix="ett-runs-") as runs:
        for setting in args.settings:
            for horizon in args.horizons:
                config_path = ROOT / "configs" / f"etth1_{setting}_{horizon}.yaml"
                result = run_case(config_path, args.data, args.overrides, Path(runs))
                row = {"setting": setting, "horizon": horizon, **result}
                if setting == "M":
                    row["published_mse"] = {name: figures[horizon] for name, figures in PUBLISHED_M_MSE.items()}
                rows.append(row)
                print(_format_row(row), flush=True)
                _write(args.out, args.data, rows)
    print(f"written: {args.out}")
    return 0


def _write(path: Path, data: Path, rows: list[dict]) -> None:
    """Write the results so far, so a long run keeps every finished case."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"data": str(data), "results": rows}, indent=2) + "\n")


def _format_row(row: dict) -> str:
    published = row.get("published_mse", {})
    reference = "  ".join(f"{name.split()[0]} {value:.3f}" for name, value in published.items())
    return (
        f"ETTh1 {row['setting']} H={row['horizon']:<4} L={row['lookback']:<4} mse {row['mse']:.4f} mae {row['mae']:.4f}"
        f" (val mse {row['val_mse']:.4f})"
        f" | linear {row['linear_mse']:.4f} (ratio {row['mse_ratio_to_linear']:.3f})"
        f" | {row['epochs']} epochs, {row['run_time_s']:.0f} s  {reference}"
    )


if __name__ == "__main__":
    sys.exit(main())
