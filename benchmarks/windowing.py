"""Benchmark: shuffled-batch throughput and peak memory of WindowDataset against two baselines.

On a synthetic 1,000,000-row x 8-column float32 series (lookback 96, horizon 96)
it measures, in one run:

- the pipeline's :class:`~forecaster.windows.WindowDataset` (shuffled batches
  from one strided view), and :func:`~forecaster.windows.prepare_windows`
  end to end (split, scale, window) for its memory;
- baseline (a): raw numpy, ``sliding_window_view`` fancy-indexed with a
  shuffled index, no input/target split or NaN handling;
- baseline (b): ``keras.utils.timeseries_dataset_from_array`` with
  ``shuffle=True`` (slow, so only a bounded number of batches is timed).

Throughput is windows per second over a time budget after warm-up batches.
Peak memory comes from ``tracemalloc`` (numpy paths only; TensorFlow's
allocator is invisible to it) over building the dataset and iterating a fixed
number of batches, reported as a multiple of the raw series bytes.

Targets: pipeline >= 0.5x raw numpy throughput, >= 50x the keras utility,
peak memory < 3x the raw series.

Usage::

    python benchmarks/windowing.py [--batch-size 256] [--seconds 3] [--out benchmarks/results/windowing.json]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import tracemalloc
from pathlib import Path

import keras
import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from forecaster.config import ScalingConfig, SplitConfig
from forecaster.data.series import SeriesCollection
from forecaster.windows import WindowDataset, WindowSpec, prepare_windows

N_ROWS, N_COLUMNS, LOOKBACK, HORIZON = 1_000_000, 8, 96, 96
WINDOW = LOOKBACK + HORIZON
WARMUP_BATCHES = 5
MEMORY_BATCHES = 50


def pipeline_batches(values: np.ndarray, batch_size: int):
    """Yield shuffled batches of the pipeline's WindowDataset, epoch after epoch."""
    dataset = WindowDataset(
        values,
        np.arange(len(values) - WINDOW + 1),
        LOOKBACK,
        HORIZON,
        n_targets=N_COLUMNS,
        batch_size=batch_size,
        shuffle=True,
        seed=0,
    )
    while True:
        for index in range(len(dataset)):
            yield dataset[index]
        dataset.on_epoch_end()


def numpy_batches(values: np.ndarray, batch_size: int):
    """Yield shuffled batches fancy-indexed from ``sliding_window_view``: (batch, features, window)."""
    windows = sliding_window_view(values, WINDOW, axis=0)
    rng = np.random.default_rng(0)
    while True:
        order = rng.permutation(len(windows))
        for first in range(0, len(order), batch_size):
            batch = windows[order[first : first + batch_size]]
            yield batch[..., :LOOKBACK], batch[..., LOOKBACK:]


def throughput(batches, batch_size: int, seconds: float) -> float:
    """Windows per second over ``seconds`` of batches, after warm-up."""
    for _ in range(WARMUP_BATCHES):
        next(batches)
    n_batches, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        next(batches)
        n_batches += 1
    return n_batches * batch_size / (time.perf_counter() - start)


def peak_memory(make_batches, values: np.ndarray, batch_size: int) -> int:
    """Peak bytes traced while building the batch source and drawing ``MEMORY_BATCHES`` batches."""
    tracemalloc.start()
    batches = make_batches(values, batch_size)
    for _ in range(MEMORY_BATCHES):
        next(batches)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def prepare_windows_peak(values: np.ndarray, batch_size: int) -> tuple[int, float]:
    """Peak traced bytes and seconds of prepare_windows (fractions split, standard scaling) plus 50 batches."""
    index = pd.date_range("2000-01-01", periods=len(values), freq="h")
    frame = pd.DataFrame(values.astype(np.float64), index=index, columns=[f"x{j}" for j in range(N_COLUMNS)])
    collection = SeriesCollection(frame, ("synthetic",), np.array([0, len(values)]), "h")
    spec = WindowSpec(LOOKBACK, HORIZON, 1, tuple(frame.columns))
    tracemalloc.start()
    start = time.perf_counter()
    data = prepare_windows(collection, spec, SplitConfig(), ScalingConfig(), batch_size=batch_size, seed=0)
    seconds = time.perf_counter() - start
    for index in range(MEMORY_BATCHES):
        data.train[index]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak, seconds


def keras_throughput(values: np.ndarray, batch_size: int, n_batches: int) -> tuple[float, float]:
    """Windows per second of ``timeseries_dataset_from_array`` over ``n_batches`` after one, and its build seconds."""
    start = time.perf_counter()
    dataset = keras.utils.timeseries_dataset_from_array(
        values, None, sequence_length=WINDOW, batch_size=batch_size, shuffle=True, seed=0
    )
    iterator = iter(dataset)
    next(iterator)
    build_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(n_batches):
        next(iterator)
    return n_batches * batch_size / (time.perf_counter() - start), build_seconds


def main() -> None:
    """Run the benchmark, print a table and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=256, help="windows per batch (default 256)")
    parser.add_argument("--seconds", type=float, default=3.0, help="time budget per numpy throughput (default 3)")
    parser.add_argument("--keras-batches", type=int, default=20, help="keras utility batches timed (default 20)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/windowing.json"), help="JSON output")
    args = parser.parse_args()

    values = np.random.default_rng(0).standard_normal((N_ROWS, N_COLUMNS)).astype(np.float32)
    raw_bytes = values.nbytes
    batch_size = args.batch_size

    pipeline_rate = throughput(pipeline_batches(values, batch_size), batch_size, args.seconds)
    numpy_rate = throughput(numpy_batches(values, batch_size), batch_size, args.seconds)
    keras_rate, keras_build_seconds = keras_throughput(values, batch_size, args.keras_batches)
    pipeline_peak = peak_memory(pipeline_batches, values, batch_size)
    numpy_peak = peak_memory(numpy_batches, values, batch_size)
    prepare_peak, prepare_seconds = prepare_windows_peak(values, batch_size)

    results = {
        "setup": {
            "n_rows": N_ROWS,
            "n_columns": N_COLUMNS,
            "lookback": LOOKBACK,
            "horizon": HORIZON,
            "batch_size": batch_size,
            "seconds_per_numpy_measure": args.seconds,
            "keras_batches_timed": args.keras_batches,
            "raw_series_bytes": raw_bytes,
            "numpy": np.__version__,
            "keras": keras.__version__,
            "backend": keras.backend.backend(),
            "machine": platform.machine(),
        },
        "throughput_windows_per_s": {
            "pipeline": pipeline_rate,
            "raw_numpy": numpy_rate,
            "keras_timeseries_dataset": keras_rate,
        },
        "keras_build_and_first_batch_s": keras_build_seconds,
        "peak_memory_bytes": {
            "pipeline_window_dataset": pipeline_peak,
            "raw_numpy": numpy_peak,
            "prepare_windows": prepare_peak,
        },
        "prepare_windows_s": prepare_seconds,
        "ratios": {
            "pipeline_vs_raw_numpy_throughput": pipeline_rate / numpy_rate,
            "pipeline_vs_keras_throughput": pipeline_rate / keras_rate,
            "pipeline_peak_vs_series": pipeline_peak / raw_bytes,
            "raw_numpy_peak_vs_series": numpy_peak / raw_bytes,
            "prepare_windows_peak_vs_series": prepare_peak / raw_bytes,
        },
    }
    ratios = results["ratios"]
    results["targets_met"] = {
        "throughput_vs_raw_numpy_>=_0.5": ratios["pipeline_vs_raw_numpy_throughput"] >= 0.5,
        "throughput_vs_keras_>=_50": ratios["pipeline_vs_keras_throughput"] >= 50,
        "peak_memory_<_3x_series": ratios["pipeline_peak_vs_series"] < 3,
    }

    mib = 2**20
    rows = [
        ("pipeline WindowDataset", pipeline_rate, pipeline_peak),
        ("raw numpy sliding_window_view", numpy_rate, numpy_peak),
        ("keras timeseries_dataset_from_array", keras_rate, None),
        ("prepare_windows (split+scale) + 50 batches", None, prepare_peak),
    ]
    print(
        f"series: {N_ROWS:,} rows x {N_COLUMNS} float32 = {raw_bytes / mib:.1f} MiB; "
        f"lookback {LOOKBACK}, horizon {HORIZON}, batch {batch_size}"
    )
    print(f"{'source':45} {'windows/s':>12} {'peak MiB':>9} {'peak/series':>11}")
    for name, rate, peak in rows:
        rate_text = f"{rate:12,.0f}" if rate is not None else f"{'-':>12}"
        peak_text = f"{peak / mib:9.1f} {peak / raw_bytes:10.2f}x" if peak is not None else f"{'n/a':>9} {'n/a':>11}"
        print(f"{name:45} {rate_text} {peak_text}")
    print(f"pipeline / raw numpy throughput: {ratios['pipeline_vs_raw_numpy_throughput']:.2f}x (target >= 0.5)")
    print(f"pipeline / keras utility throughput: {ratios['pipeline_vs_keras_throughput']:.1f}x (target >= 50)")
    print(f"pipeline peak / series: {ratios['pipeline_peak_vs_series']:.2f}x (target < 3)")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
