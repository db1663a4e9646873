"""Scheduled-scan throughput: a saved small detector scans 200 series x 10,000 new points into a store.

Measured in the same run, on the same points:

- ``bare``: the detector's batched predict over every window (one
  ``point_errors`` call on all series, the least any scan must do), timed
  once before and once after the scan and averaged, so a load that drifts
  during the run (a shared machine) weighs on both sides of the ratio;
- ``scan``: ``forecaster scan`` end to end (the job: reading and validating
  every series, batched predicts per group, error signals, likelihood and
  alarms, events, one transaction per series with bulk inserts into the
  store, the run folder and its page).

The overhead ratio is ``scan / bare`` (target at most 1.5). Run from the
project root:

    python benchmarks/scan.py [--series 200] [--points 10000] [--store URL] [--out benchmarks/results/scan.json]

Without ``--store`` the scan goes into a new SQLite file in a temporary
folder; pass a PostgreSQL URL (``postgresql+psycopg://...``, an empty
database) to measure a server.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from forecaster.anomaly.pipeline import detect  # noqa: E402
from forecaster.config import load_config  # noqa: E402
from forecaster.data.series import SeriesCollection  # noqa: E402
from forecaster.jobs.scan import scan_job  # noqa: E402
from forecaster.runs import RunFolder  # noqa: E402
from forecaster.workflow.detection import write_detection  # noqa: E402

TRAIN_ROWS = 600
SETTINGS = [
    "name=bench",
    "data.path=unused.parquet",
    "data.id_column=id",
    "data.time_column=date",
    "anomaly.units=16",
    "anomaly.lookback=32",
    "anomaly.training.epochs=2",
    "anomaly.training.max_train_windows=8192",
    "anomaly.normal=all",
    "anomaly.threshold.method=pot",
    "anomaly.ewma_span=4",
    "anomaly.likelihood_history=2000",
    "anomaly.likelihood_window=8",
    "anomaly.seasonal_periods=[1D]",
    "anomaly.alarm_quiet_rows=100",
    "scan.group_size=64",
]


def make_series(n_series: int, n_rows: int, seed: int = 0) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """``n_series`` hourly sine series on scales from 0.1 to 5,000 with noise and a few spikes, ``(n_series, n_rows)``."""
    rng = np.random.default_rng(seed)
    times = pd.date_range("2023-01-01", periods=n_rows, freq="h")
    scale = np.geomspace(0.1, 5000, n_series)[:, None]
    phase = rng.uniform(0, 2 * np.pi, (n_series, 1))
    values = scale * (
        2 + np.sin(2 * np.pi * np.arange(n_rows) / 24 + phase) + 0.1 * rng.normal(size=(n_series, n_rows))
    )
    spikes = rng.integers(TRAIN_ROWS, n_rows, size=(n_series, 3))
    np.put_along_axis(values, spikes, np.take_along_axis(values, spikes, axis=1) + 3 * scale, axis=1)
    return times, values


def long_frame(times: pd.DatetimeIndex, values: np.ndarray, ids: list[str]) -> pd.DataFrame:
    return pd.DataFrame({"date": np.tile(times, len(ids)), "id": np.repeat(ids, len(times)), "value": values.ravel()})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=200, help="series (default 200)")
    parser.add_argument("--points", type=int, default=10_000, help="new points per series scanned (default 10000)")
    parser.add_argument("--store", default=None, help="store URL (default: a new SQLite file in a temporary folder)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/scan.json"), help="JSON output")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    ids = [f"metric_{k:03d}" for k in range(args.series)]
    times, values = make_series(args.series, TRAIN_ROWS + args.points)
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        config = load_config(None, [*SETTINGS, f"report.output_dir={folder / 'reports'}"])
        train = SeriesCollection(
            pd.DataFrame(
                {"value": values[:, :TRAIN_ROWS].ravel()},
                index=pd.DatetimeIndex(np.tile(times[:TRAIN_ROWS], args.series), name="date"),
            ),
            tuple(ids),
            np.arange(args.series + 1) * TRAIN_ROWS,
            "h",
        )
        started = time.perf_counter()
        result = detect(config, train)
        train_seconds = time.perf_counter() - started
        with RunFolder(folder / "reports", "bench-detect") as run:
            write_detection(run, result)
        new = long_frame(times[TRAIN_ROWS:], values[:, TRAIN_ROWS:], ids)
        new.to_parquet(folder / "new.parquet", index=False)
        n_points = len(new)

        new_values = values[:, TRAIN_ROWS:].reshape(-1, 1)
        offsets = np.arange(args.series + 1) * args.points

        def bare() -> float:
            started = time.perf_counter()
            result.detector.point_errors(new_values, offsets, mode="causal", series_ids=ids)
            return time.perf_counter() - started

        bare_before = bare()
        url = args.store or f"sqlite:///{folder / 'scans.db'}"
        started = time.perf_counter()
        summary, _ = scan_job(config, "benchmark", run.final_path, folder / "new.parquet", url)
        scan_seconds = time.perf_counter() - started
        bare_after = bare()
        bare_seconds = (bare_before + bare_after) / 2
        store_bytes = (folder / "scans.db").stat().st_size if args.store is None else None

    results = {
        "series": args.series,
        "points_per_series": args.points,
        "points_scored": summary.rows_scored,
        "new_events": summary.new_events,
        "store": "sqlite (temporary file)" if args.store is None else args.store.split("://")[0],
        "detector": {
            "kind": config.anomaly.kind,
            "units": config.anomaly.units,
            "lookback": config.anomaly.lookback,
            "train_seconds": round(train_seconds, 2),
        },
        "bare_predict_seconds": round(bare_seconds, 2),
        "bare_predict_seconds_before_and_after": [round(bare_before, 2), round(bare_after, 2)],
        "scan_seconds": round(scan_seconds, 2),
        "overhead_ratio": round(scan_seconds / bare_seconds, 3),
        "points_per_second_scan": round(summary.rows_scored / scan_seconds),
        "points_per_second_bare": round(n_points / bare_seconds),
        "store_bytes": store_bytes,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "keras_backend": keras.backend.backend(),
            "load_average_1_5_15_min": [round(load, 2) for load in os.getloadavg()],
        },
    }
    print(
        f"{summary.rows_scored:,} points of {args.series} series: scan {scan_seconds:.1f} s "
        f"({results['points_per_second_scan']:,} points/s), bare batched predict {bare_seconds:.1f} s "
        f"({results['points_per_second_bare']:,} points/s): overhead ratio {results['overhead_ratio']:.2f}; "
        f"load average {results['machine']['load_average_1_5_15_min']}"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
