"""Benchmark: the anomaly detector on the Numenta Anomaly Benchmark (NAB), under NAB's rules.

Every ``DATA_DIR/<category>/<file>.csv`` (columns ``timestamp,value``) is one
stream. A detector is fitted on the file's probationary rows only (the first
``min(floor(0.15 n), 750)`` rows, which NAB's scorer leaves unscored) and
scores the following rows causally (the window that ends at each row); when
the stream has grown ``--refit-growth`` times, a new detector is fitted on
every row seen so far and scores on, so each row's score comes from a detector
fitted on earlier rows only. The detector's error and the seasonal-profile
errors of the config's ``seasonal_periods`` (each point against the same clock
time in earlier days or weeks) become log anomaly likelihoods against the
file's own recent errors; the most surprising one is the score, and the
``alarm_quiet_rows`` scores after an alarm are silenced (the product's
:func:`~forecaster.anomaly.pipeline.alarm_scores`). The results go to
``RESULTS_DIR/<category>/<detector>_<file>.csv`` with
``timestamp,value,anomaly_score,label``; labels fill only the ``label``
column. No statistic of the whole file is used and one configuration
(``--config``, its ``anomaly`` section) serves every file.

In the same run a baseline without a network is scored the same way, with the
absolute change from the previous value in place of the network's error
(detector name ``<detector>-baseline``), so the ratio between the two is what
the network adds.

Both are scored with NAB's scorer (``../shared/tools/nab_score.py``, all three
profiles, the corpus-wide threshold sweep). At the standard profile's threshold
it also reports point-wise F1, event-wise precision/recall/F1 and PR-AUC (which
needs no threshold) per file and overall, prints a table and writes
``RESULTS_DIR/nab_results.json`` with the scores, the ratio to the baseline and
the run time.

Usage::

    python benchmarks/nab.py [--data ../shared/data/nab/data] \\
        [--labels ../shared/data/nab/labels/combined_windows.json] \\
        [--out benchmarks/results/nab] [--detector forecaster] [--config configs/detect_nab.yaml] \\
        [--refit-growth inf] [--files SUBSTRING,...]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from forecaster.anomaly.detectors import online_point_errors
from forecaster.anomaly.metrics import event_scores, point_scores, pr_auc
from forecaster.anomaly.pipeline import alarm_scores, combine_errors, error_signals
from forecaster.config import AnomalyConfig, load_config

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SCORER = SHARED / "tools" / "nab_score.py"
PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")
MAX_PROBATION = 750

logger = logging.getLogger("nab")


def probation_rows(n_rows: int) -> int:
    """Rows NAB leaves unscored at the start of a file: ``min(floor(0.15 n), 750)``."""
    return min(int(np.floor(0.15 * n_rows)), MAX_PROBATION)


def detector_scores(frame: pd.DataFrame, config: AnomalyConfig, seed: int, refit_growth: float) -> np.ndarray:
    """Score one file as a stream: the detector's causal errors and the seasonal errors, then the alarm score.

    The first detector is fitted on the probationary rows only; later ones at
    ``refit_growth`` times the rows of the previous fit (see
    :func:`~forecaster.anomaly.detectors.online_point_errors`).

    Args:
        frame: the file (``timestamp``, ``value``).
        config: the ``anomaly`` section.
        seed: training seed.
        refit_growth: stream growth between refits (``inf``: never refit).

    Returns:
        float64 ``(n_rows,)`` anomaly scores in [0, 1].
    """
    values = frame["value"].to_numpy(dtype=np.float64)
    errors = online_point_errors(config, values, probation_rows(values.size), refit_growth, seed)
    return file_alarm_scores(combine_errors(errors), frame, config)


def baseline_scores(frame: pd.DataFrame, config: AnomalyConfig) -> np.ndarray:
    """The same alarm score with the absolute change from the previous value in place of the network's error."""
    values = frame["value"].to_numpy(dtype=np.float64)
    return file_alarm_scores(np.abs(np.diff(values, prepend=np.nan)), frame, config)


def file_alarm_scores(error: np.ndarray, frame: pd.DataFrame, config: AnomalyConfig) -> np.ndarray:
    """The product's alarm score of one file from its detector error (seasonal errors added per the config)."""
    times = pd.DatetimeIndex(pd.to_datetime(frame["timestamp"]))
    signals = error_signals(error, frame[["value"]].to_numpy(dtype=np.float64), times, config)
    return alarm_scores(signals, config)["alarm"]


def window_labels(timestamps: pd.Series, windows: list[list[str]]) -> np.ndarray:
    """Return bool ``(n_rows,)``: rows whose timestamp lies in a labelled window (bounds included)."""
    times = pd.to_datetime(timestamps).to_numpy()
    labels = np.zeros(times.size, dtype=bool)
    for start, end in windows:
        labels |= (times >= np.datetime64(pd.Timestamp(start))) & (times <= np.datetime64(pd.Timestamp(end)))
    return labels


def write_results(out: Path, name: str, relative: str, frame: pd.DataFrame, scores: np.ndarray, labels: np.ndarray) -> None:
    """Write one NAB results file ``out/<category>/<name>_<file>.csv``."""
    category, file_name = relative.split("/")
    target = out / category / f"{name}_{file_name}"
    target.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {"timestamp": frame["timestamp"], "value": frame["value"], "anomaly_score": scores, "label": labels.astype(int)}
    ).to_csv(target, index=False)


def nab_score(data: Path, labels: Path, out: Path, name: str) -> dict:
    """Run NAB's scorer on a results folder; return ``{profile: {normalized, threshold, tp, fp, fn, ...}}``."""
    command = [sys.executable, str(SCORER), "--data", str(data), "--labels", str(labels), "--results", str(out),
               "--detector", name, "--json", "--per-file"]
    completed = subprocess.run(command, check=True, capture_output=True, text=True)
    return json.loads(completed.stdout)


def classic_metrics(rows: dict[str, dict], threshold: float, probation: bool = True) -> dict:
    """Point-wise F1, event-wise F1 and PR-AUC per file and overall, on the scored (post-probation) rows.

    Args:
        rows: ``{file: {"scores": (n,), "labels": (n,)}}``.
        threshold: detections are scores >= threshold.
        probation: leave out each file's probationary rows, as NAB does. Default True.

    Returns:
        ``{"per_file": {file: {...}}, "overall": {...}}``; ``overall`` pools the
        points of every file for point F1 and PR-AUC and sums event counts.
    """
    per_file, pooled_scores, pooled_labels = {}, [], []
    found = n_true = correct = n_predicted = 0
    for name, row in rows.items():
        start = probation_rows(row["scores"].size) if probation else 0
        scores, labels = row["scores"][start:], row["labels"][start:]
        flags = scores >= threshold
        events = event_scores(labels, flags)
        per_file[name] = {"point": point_scores(labels, flags), "event": events, "pr_auc": pr_auc(labels, scores)}
        pooled_scores.append(scores)
        pooled_labels.append(labels)
        n_true += events["n_true_events"]
        n_predicted += events["n_predicted_events"]
        found += round(events["recall"] * events["n_true_events"]) if events["n_true_events"] else 0
        correct += round(events["precision"] * events["n_predicted_events"]) if events["n_predicted_events"] else 0
    scores, labels = np.concatenate(pooled_scores), np.concatenate(pooled_labels)
    precision = correct / n_predicted if n_predicted else float("nan")
    recall = found / n_true if n_true else float("nan")
    overall = {
        "point": point_scores(labels, scores >= threshold),
        "event": {"precision": precision, "recall": recall,
                  "f1": 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0},
        "pr_auc": pr_auc(labels, scores),
        "median_file_pr_auc": float(np.nanmedian([f["pr_auc"] for f in per_file.values()])),
    }
    return {"per_file": per_file, "overall": overall}


def strict_json(value):
    """Return ``value`` with numpy scalars as Python numbers and NaN or infinite floats as ``None`` (strict JSON)."""
    if isinstance(value, dict):
        return {key: strict_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [strict_json(item) for item in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value

def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table and write the JSON; return 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED / "data" / "nab" / "data")
    parser.add_argument("--labels", type=Path, default=SHARED / "data" / "nab" / "labels" / "combined_windows.json")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "nab")
    parser.add_argument("--detector", default="forecaster", help="detector name, the prefix of the results files")
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "detect_nab.yaml")
    parser.add_argument("--refit-growth", type=float, default=float("inf"),
                        help="refit the detector on all rows seen when the stream has grown this many times (inf: never)")
    parser.add_argument("--files", default="", help="comma-separated substrings: run only matching files (quick checks)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    config = load_config(args.config)
    windows = json.loads(args.labels.read_text())
    files = sorted(p.relative_to(args.data).as_posix() for p in args.data.glob("*/*.csv"))
    if args.files:
        files = [f for f in files if any(part in f for part in args.files.split(","))]
    baseline_name = f"{args.detector}-baseline"
    rows: dict[str, dict] = {args.detector: {}, baseline_name: {}}
    started = time.perf_counter()
    for relative in files:
        file_started = time.perf_counter()
        frame = pd.read_csv(args.data / relative)
        labels = window_labels(frame["timestamp"], windows.get(relative, []))
        for name, scores in (
            (args.detector, detector_scores(frame, config.anomaly, config.seed, args.refit_growth)),
            (baseline_name, baseline_scores(frame, config.anomaly)),
        ):
            write_results(args.out, name, relative, frame, scores, labels)
            rows[name][relative] = {"scores": scores, "labels": labels}
        logger.info("%-60s %6d rows %6.1f s", relative, len(frame), time.perf_counter() - file_started)
    run_time = time.perf_counter() - started

    report = {"config": str(args.config), "anomaly": config.anomaly.model_dump(mode="json"),
              "refit_growth": args.refit_growth,
              "n_files": len(files),
              "run_time_s": run_time, "platform": platform.platform(), "cpu_count": os.cpu_count(), "detectors": {}}
    print(f"\nNAB subset: {len(files)} files, detector run time {run_time:.0f} s\n")
    print(f"{'detector':28s} {'standard':>9s} {'low_FP':>8s} {'low_FN':>8s} {'pointF1':>8s} {'eventF1':>8s} {'PR-AUC':>7s}")
    for name in rows:
        nab = nab_score(args.data, args.labels, args.out, name)
        metrics = classic_metrics(rows[name], nab["standard"]["threshold"])
        report["detectors"][name] = {"nab": nab, "metrics": metrics}
        overall = metrics["overall"]
        print(f"{name:28s} {nab['standard']['normalized']:9.2f} {nab['reward_low_FP_rate']['normalized']:8.2f} "
              f"{nab['reward_low_FN_rate']['normalized']:8.2f} {overall['point']['f1']:8.3f} "
              f"{overall['event']['f1']:8.3f} {overall['pr_auc']:7.3f}")
    ours, base = (report["detectors"][n]["nab"]["standard"]["normalized"] for n in (args.detector, baseline_name))
    report["standard_ratio_to_baseline"] = ours / base if base else None
    print("\nper file (standard profile raw score, point F1, event F1, PR-AUC):")
    for relative in files:
        nab_file = report["detectors"][args.detector]["nab"]["standard"]["per_file"].get(relative)
        file_metrics = report["detectors"][args.detector]["metrics"]["per_file"][relative]
        print(f"  {relative:60s} {nab_file if nab_file is not None else float('nan'):8.3f} "
              f"{file_metrics['point']['f1']:6.3f} {file_metrics['event']['f1']:6.3f} {file_metrics['pr_auc']:6.3f}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "nab_results.json").write_text(json.dumps(strict_json(report), indent=2, allow_nan=False) + "\n")
    print(f"\nwritten {args.out / 'nab_results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
