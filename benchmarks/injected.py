"""Benchmark: the anomaly detector on labelled anomalies injected into normal series, per anomaly kind.

Normal material: three columns of the bundled ETTh1 (OT, HUFL, LUFL; first
3,000 hourly rows), the probationary (unscored, unlabelled) parts of two NAB
files with a daily cycle (ambient temperature, hourly; NYC taxi, half-hourly)
and two generated hourly series (trend + daily and weekly seasonality +
noise; and a daily cycle with AR(1) noise whose amplitude and noise level
change halfway, a regime change that is normal). Into each, for each kind of
:data:`~forecaster.anomaly.injection.ANOMALY_KINDS`, up to three anomalies are
injected after the NAB probationary rows (``min(floor(0.15 n), 750)``) with
:func:`~forecaster.anomaly.injection.inject_anomalies` (seed ``--seed``).

Each series is scored exactly like a NAB file by ``benchmarks/nab.py``: the
detector of ``--config`` is fitted on the probationary rows (once per normal
series; the injected variants share it) and scores the rest causally; its
error and the seasonal-profile errors become the product's alarm score under
the config's scoring setting. In the same run the same scoring with the
absolute change from the previous value in place of the network's error is
the baseline. Each anomaly's label window runs from its first row to
``--tolerance`` rows after its last (a detection may lag).

Scores per kind, at the product's alarms (log likelihood >= the config's
``alarm_level``, repeats silenced; no threshold is tuned on these labels):
NAB's standard score (``../shared/tools/nab_score.py``), event-wise F1, and
PR-AUC of the log likelihood (no threshold) over the scored rows. With
``--select``, each family's scoring setting is also chosen on the injected
corpus from ``benchmarks/nab.py``'s grid (no NAB label read), to be scored on
NAB as unseen data. The seed, the kinds and every
anomaly's rows are printed and written to ``RESULTS_DIR/injected_results.json``.

Usage::

    python benchmarks/injected.py [--config configs/detect_nab.yaml] [--seed 14] \\
        [--ett data/ett/ETTh1.csv] [--nab ../shared/data/nab/data] [--scorer ../shared/tools/nab_score.py] \\
        [--out benchmarks/results/injected] [--kinds spike,dip,...] [--tolerance 24]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd
from scipy import signal

from forecaster.anomaly.detectors import make_detector
from forecaster.anomaly.injection import ANOMALY_KINDS, anomaly_length, inject_anomalies
from forecaster.anomaly.metrics import event_scores, pr_auc
from forecaster.anomaly.pipeline import combine_errors
from forecaster.anomaly.selection import choose_setting
from forecaster.config import AnomalyConfig, detector_kwargs, load_config

sys.path.insert(0, str(Path(__file__).resolve().parent))
from nab import (  # noqa: E402
    alarms,
    config_setting,
    file_signals,
    grid,
    grid_scores,
    load_scorer,
    log_likelihood,
    probation_rows,
    require_nab_files,
    strict_json,
)

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
ETT_COLUMNS = ("OT", "HUFL", "LUFL")
ETT_ROWS = 3000
NAB_PARTS = {
    "ambient_temperature": ("realKnownCause/ambient_temperature_system_failure.csv", 24),
    "nyc_taxi": ("realKnownCause/nyc_taxi.csv", 48),
}
GENERATED_ROWS = 3000
MAX_ANOMALIES = 3

logger = logging.getLogger("injected")


def generated_series(seed: int) -> dict[str, pd.DataFrame]:
    """Two hourly normal series: trend + daily + weekly seasonality + noise, and a daily cycle whose regime changes halfway."""
    rng = np.random.default_rng(seed)
    hours = np.arange(GENERATED_ROWS)
    times = pd.date_range("2020-01-06", periods=GENERATED_ROWS, freq="h")
    seasonal = (
        50.0
        + 0.004 * hours
        + 8.0 * np.sin(2 * np.pi * hours / 24)
        + 4.0 * np.sin(2 * np.pi * hours / 168)
        + rng.normal(0.0, 1.0, GENERATED_ROWS)
    )
    noise = signal.lfilter([1.0], [1.0, -0.8], rng.normal(0.0, 1.0, GENERATED_ROWS))  # AR(1), coefficient 0.8
    later = hours >= GENERATED_ROWS // 2
    amplitude = np.where(later, 13.0, 10.0)
    regimes = (
        30.0 + amplitude * np.clip(np.sin(2 * np.pi * (hours - 6) / 24), 0, None) + np.where(later, 1.5, 1.0) * noise
    )
    return {
        name: pd.DataFrame({"timestamp": times, "value": values})
        for name, values in (("generated_seasonal", seasonal), ("generated_regimes", regimes))
    }


def normal_series(ett: Path, nab: Path, seed: int) -> dict[str, tuple[pd.DataFrame, int]]:
    """``{name: (frame with timestamp and value, period in rows)}``: the normal material."""
    series = {}
    frame = pd.read_csv(ett, nrows=ETT_ROWS)
    for column in ETT_COLUMNS:
        series[f"ett_{column}"] = (pd.DataFrame({"timestamp": frame["date"], "value": frame[column]}), 24)
    for name, (relative, period) in NAB_PARTS.items():
        part = pd.read_csv(nab / relative)
        series[f"nab_{name}"] = (part.iloc[: probation_rows(len(part))].reset_index(drop=True), period)
    for name, part in generated_series(seed).items():
        series[name] = (part, 24)
    return series


def n_fitting(kind: str, n_rows: int, period: int) -> int:
    """How many anomalies of ``kind`` fit after the probationary rows (up to three)."""
    reach = anomaly_length(kind, period) * (2 if kind == "frequency_change" else 1)
    return min(MAX_ANOMALIES, (n_rows - probation_rows(n_rows)) // (2 * reach + 2))


def write_injected(
    target: Path, frame: pd.DataFrame, series: np.ndarray, anomalies: list, tolerance: int
) -> tuple[pd.DataFrame, list[list[str]], np.ndarray]:
    """Write one injected series as a NAB data file; return it, its label windows and its labelled rows.

    Args:
        target: the CSV file to write (folders are created).
        frame: the normal series (``timestamp``, ``value``).
        series: float ``(n_rows,)`` the values with the anomalies injected.
        anomalies: the :class:`~forecaster.anomaly.injection.InjectedAnomaly` of ``series``.
        tolerance: rows after an anomaly still inside its label window.

    Returns:
        ``(frame with the injected values, [[first, last timestamp], ...] per anomaly, bool (n_rows,) labelled rows)``.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    variant = frame.assign(value=series)
    variant.to_csv(target, index=False)
    times = pd.to_datetime(variant["timestamp"])
    windows = [[str(times[a.start]), str(times[min(a.end - 1 + tolerance, series.size - 1)])] for a in anomalies]
    labels = np.zeros(series.size, dtype=bool)
    for a in anomalies:
        labels[a.start : min(a.end + tolerance, series.size)] = True
    return variant, windows, labels


def score_series(signals: dict[str, np.ndarray], config: AnomalyConfig, first: str) -> dict[str, np.ndarray]:
    """Alarm and log likelihood of one series under the config's setting, its first signals replaced by ``first``
    (``network`` or ``change``), so both are scored with the same seasonal signals and likelihood."""
    setting = config_setting(config)
    setting["signals"] = [first, *(name for name in setting["signals"] if name.startswith("seasonal_"))]
    scores = log_likelihood(signals, setting)
    return {"log_likelihood": scores, "alarm": alarms(scores, setting)}


def select_settings(
    scorer: ModuleType, corpus, signals: dict[str, dict[str, np.ndarray]], config: AnomalyConfig
) -> dict:
    """Choose each family's scoring setting on the injected corpus alone (NAB standard score at the setting's alarm level).

    No NAB label is read, so NAB scores of the chosen settings are all on unseen labels.

    Returns:
        ``{family: {"setting": {...}, "injected_standard": score, "n_settings": n}}``.
    """
    standard = {"standard": scorer.DEFAULT_PROFILES["standard"]}
    chosen = {}
    for family in ("network", "baseline"):
        candidates = grid(family)
        scores = grid_scores(signals, candidates)
        values = [
            scorer.score_corpus(corpus, files, standard, threshold=setting["alarm_level"])["standard"].normalized
            for setting, files in zip(candidates, scores)
        ]
        best, value = choose_setting(values, float)
        chosen[family] = {"setting": candidates[best], "injected_standard": value, "n_settings": len(candidates)}
    return chosen


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table and write the JSON; return 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "detect_nab.yaml")
    parser.add_argument("--seed", type=int, default=14, help="seed of the generated series and the injections")
    parser.add_argument("--ett", type=Path, default=ROOT / "data" / "ett" / "ETTh1.csv")
    parser.add_argument("--nab", type=Path, default=SHARED / "data" / "nab" / "data")
    parser.add_argument("--scorer", type=Path, default=SHARED / "tools" / "nab_score.py")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "injected")
    parser.add_argument("--kinds", default=",".join(ANOMALY_KINDS), help="comma-separated anomaly kinds")
    parser.add_argument(
        "--bases", default="", help="comma-separated substrings: only matching normal series (quick checks)"
    )
    parser.add_argument(
        "--select",
        action="store_true",
        help="also choose each family's scoring setting (benchmarks/nab.py's grid) on the injected corpus",
    )
    parser.add_argument("--tolerance", type=int, default=24, help="rows after an anomaly still inside its label window")
    args = parser.parse_args(argv)
    require_nab_files([("--scorer", args.scorer), *(("--nab", args.nab / part) for part, _ in NAB_PARTS.values())])
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    kinds = args.kinds.split(",")
    config = load_config(args.config)
    anomaly = config.anomaly
    scorer = load_scorer(args.scorer)
    started = time.perf_counter()

    windows, injected, signals, rows = {}, [], {}, {"network": {}, "change": {}}
    for base, (frame, period) in normal_series(args.ett, args.nab, args.seed).items():
        if args.bases and not any(part in base for part in args.bases.split(",")):
            continue
        base_started = time.perf_counter()
        values = frame["value"].to_numpy(dtype=np.float64)
        first_row = probation_rows(values.size)
        detector = make_detector(**detector_kwargs(anomaly, config.seed)).fit(
            values[:first_row, None], np.ones(first_row, dtype=bool)
        )
        for k, kind in enumerate(kinds):
            count = n_fitting(kind, values.size, period)
            if count < 1:
                continue
            series, labels, anomalies = inject_anomalies(
                values, kind, count, first_row, period, seed=args.seed * 1000 + k
            )
            relative = f"{kind}/{base}.csv"
            variant, windows[relative], window_rows = write_injected(
                args.out / "data" / relative, frame, series, anomalies, args.tolerance
            )
            errors = combine_errors(detector.point_errors(series[:, None], mode="causal"))
            signals[relative] = file_signals(variant, errors, anomaly)
            for first in rows:
                rows[first][relative] = {**score_series(signals[relative], anomaly, first), "labels": window_rows}
            injected.append(
                {"file": relative, "kind": kind, "base": base, "rows": [[a.start, a.end] for a in anomalies]}
            )
        logger.info("%-24s %5d rows %6.1f s", base, values.size, time.perf_counter() - base_started)
    labels_path = args.out / "labels.json"
    labels_path.write_text(json.dumps(windows, indent=1) + "\n")
    corpus = scorer.Corpus(str(args.out / "data"), str(labels_path))

    report = {
        "seed": args.seed,
        "kinds": kinds,
        "tolerance": args.tolerance,
        "config": str(args.config),
        "anomaly": anomaly.model_dump(mode="json"),
        "injected": injected,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "signals": {},
    }
    standard = {"standard": scorer.DEFAULT_PROFILES["standard"]}
    threshold = anomaly.alarm_level
    for first, files in rows.items():
        alarms = {relative: row["alarm"] for relative, row in files.items()}
        overall = scorer.score_corpus(corpus, alarms, standard, threshold=threshold)["standard"]
        per_kind = {}
        for kind in kinds:
            members = [relative for relative in files if relative.startswith(f"{kind}/")]
            if not members:
                continue
            kind_score = scorer.score_corpus(
                scorer.Corpus(str(args.out / "data"), str(labels_path), members), alarms, standard, threshold=threshold
            )["standard"]
            per_kind[kind] = {
                "nab_standard": kind_score.normalized,
                "windows_detected": kind_score.windows_detected,
                "n_windows": kind_score.n_windows,
                **kind_metrics(files, members, threshold),
            }
        report["signals"][first] = {"threshold": threshold, "nab_standard": overall.normalized, "per_kind": per_kind}
    if args.select:
        report["selection"] = select_settings(scorer, corpus, signals, anomaly)
    report["run_time_s"] = time.perf_counter() - started
    print_report(report, kinds)
    (args.out / "injected_results.json").write_text(json.dumps(strict_json(report), indent=2, allow_nan=False) + "\n")
    print(f"\nwritten {args.out / 'injected_results.json'}")
    return 0


def kind_metrics(files: dict[str, dict], members: list[str], threshold: float) -> dict:
    """Event-wise F1 at ``threshold`` (counts summed over the kind's series) and pooled PR-AUC, on the scored rows."""
    found = n_true = correct = n_predicted = 0
    scores, labels = [], []
    for relative in members:
        row = files[relative]
        start = probation_rows(row["labels"].size)
        events = event_scores(row["labels"][start:], row["alarm"][start:] >= threshold)
        n_true += events["n_true_events"]
        n_predicted += events["n_predicted_events"]
        found += round(events["recall"] * events["n_true_events"])
        correct += round(events["precision"] * events["n_predicted_events"]) if events["n_predicted_events"] else 0
        scores.append(row["log_likelihood"][start:])
        labels.append(row["labels"][start:])
    precision = correct / n_predicted if n_predicted else 0.0
    recall = found / n_true if n_true else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {
        "event_precision": precision,
        "event_recall": recall,
        "event_f1": f1,
        "pr_auc": pr_auc(np.concatenate(labels), np.concatenate(scores)),
    }


def print_report(report: dict, kinds: list[str]) -> None:
    """Print the per-kind table: network against raw change."""
    print(
        f"\nInjected anomalies: seed {report['seed']}, kinds {', '.join(kinds)}, tolerance {report['tolerance']} rows, "
        f"{len(report['injected'])} series, run time {report['run_time_s']:.0f} s\n"
    )
    print(
        f"{'kind':18s} {'windows':>7s} {'NAB net':>8s} {'NAB chg':>8s} {'F1 net':>7s} {'F1 chg':>7s} "
        f"{'PRAUC net':>9s} {'PRAUC chg':>9s}"
    )
    network, change = report["signals"]["network"], report["signals"]["change"]
    for kind in kinds:
        if kind not in network["per_kind"]:
            continue
        a, b = network["per_kind"][kind], change["per_kind"][kind]
        print(
            f"{kind:18s} {a['n_windows']:7d} {a['nab_standard']:8.1f} {b['nab_standard']:8.1f} {a['event_f1']:7.3f} "
            f"{b['event_f1']:7.3f} {a['pr_auc']:9.3f} {b['pr_auc']:9.3f}"
        )
    print(f"{'all':18s} {'':7s} {network['nab_standard']:8.1f} {change['nab_standard']:8.1f}")
    for family, chosen in report.get("selection", {}).items():
        print(
            f"\nchosen on injected data ({family}, {chosen['n_settings']} settings): "
            f"{chosen['injected_standard']:.1f}  {chosen['setting']}"
        )


if __name__ == "__main__":
    sys.exit(main())
