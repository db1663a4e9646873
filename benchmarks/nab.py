"""Benchmark: the anomaly detector on the Numenta Anomaly Benchmark (NAB), cross-validated by category.

Every ``DATA_DIR/<category>/<file>.csv`` (columns ``timestamp,value``) is one
stream. A detector (``--config``, its ``anomaly`` section) is fitted on the
file's probationary rows only (the first ``min(floor(0.15 n), 750)`` rows,
which NAB's scorer leaves unscored) and scores the following rows causally;
with ``--refit-growth G`` a new detector is fitted on every row seen so far
each time the stream has grown ``G`` times. Its errors are cached under
``--cache`` (keyed by the file and every setting that changes them), so
comparing scoring settings does not retrain.

Settings are never scored on the files they were chosen on. Each scoring
setting of a small grid (which error signals compete, the likelihood's
history and window, the rows silenced after an alarm) turns the cached
signals into the product's alarm score
(:func:`~forecaster.anomaly.pipeline.alarm_scores`); a row is a detection
when its alarm reaches the setting's ``alarm_level`` (the product's alarms;
``--threshold sweep`` sweeps NAB's threshold on the training categories
instead). Then, leaving out one category at a time, the setting (and swept
threshold) that maximise the standard NAB score of the other categories are
applied, unchanged, to the left-out category. The report gives each
category's score, their mean and the worst one, and the pooled score of all
files, each scored by the setting and threshold chosen without its category
(its detections as 0/1 scores). A category without labelled windows
(artificialNoAnomaly) has no normalised score (NAB's perfect and null
detectors both score 0 there); its false alarms and raw cost are reported and
count in the pooled score.

Two families are cross-validated in the same run: ``<detector>`` (settings
that use the network's error) and ``<detector>-baseline`` (the same grid with
the absolute change from the previous value in place of the network's
error), so their difference is what the network adds on data it was not tuned
on. The in-sample score of the config's own setting (setting and threshold
chosen on all files, the figure reported before cross-validation) is printed
beside it for comparison.

Scores come from NAB's scorer (``../shared/tools/nab_score.py``, loaded as a
module: its corpus, profiles and threshold sweep). At the chosen thresholds
the benchmark also reports event-wise precision/recall/F1 and PR-AUC on the
scored rows, and writes ``RESULTS_DIR/nab_results.json`` with every figure,
the grid and the run time.

Usage::

    python benchmarks/nab.py [--data ../shared/data/nab/data] \\
        [--labels ../shared/data/nab/labels/combined_windows.json] \\
        [--scorer ../shared/tools/nab_score.py] [--out benchmarks/results/nab] \\
        [--cache benchmarks/results/nab/cache] [--detector forecaster] \\
        [--config configs/detect_nab.yaml] [--refit-growth inf] [--threshold alarm|sweep] \\
        [--grid-robust] [--grid-spectral] [--injected-selection INJECTED_JSON] [--files SUBSTRING,...]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import itertools
import json
import logging
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import numpy as np
import pandas as pd

from forecaster.anomaly.detectors import online_point_errors
from forecaster.anomaly.likelihood import most_surprising, suppress_repeats
from forecaster.anomaly.metrics import event_scores, pr_auc
from forecaster.anomaly.pipeline import combine_errors, error_signals
from forecaster.anomaly.selection import choose_setting, leave_one_group_out
from forecaster.anomaly.signals import absolute_change, spectral_residual
from forecaster.config import AnomalyConfig, detector_kwargs, load_config

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
PROFILES = ("standard", "reward_low_FP_rate", "reward_low_FN_rate")
MAX_PROBATION = 750
SEASONAL_PERIODS = ("1D", "7D")
# Settings that only change how errors are scored, not the errors themselves (not in the cache key).
SCORING_KEYS = {
    "ewma_span",
    "likelihood_history",
    "likelihood_window",
    "likelihood_robust",
    "seasonal_periods",
    "seasonal_cycles",
    "alarm_signals",
    "alarm_level",
    "alarm_quiet_rows",
    "events",
    "top_features",
    "threshold",
    "unseen_series",
    "mode",
}
SEASONAL = [f"seasonal_{period}" for period in SEASONAL_PERIODS]
SPECTRAL_WINDOW = 64
# The grid: the competing signals of each family, crossed with the likelihood and silencing settings.
SIGNAL_SETS = {
    "network": [["network"], ["network", *SEASONAL], ["network", "change", *SEASONAL]],
    "baseline": [["change"], ["change", *SEASONAL]],
}
LIKELIHOOD_GRID = {
    "likelihood_history": [2000, 4000, 8640],
    "likelihood_window": [8, 12],
    "alarm_quiet_rows": [100, 300],
    "alarm_level": [0.3, 0.35, 0.4, 0.45, 0.5],
}

logger = logging.getLogger("nab")


def probation_rows(n_rows: int) -> int:
    """Rows NAB leaves unscored at the start of a file: ``min(floor(0.15 n), 750)``."""
    return min(int(np.floor(0.15 * n_rows)), MAX_PROBATION)


def require_nab_files(paths: list[tuple[str, Path]]) -> None:
    """Stop the benchmark with one line if a NAB file or folder it reads is missing.

    The defaults point into ``../shared`` (NAB's data, labels and scorer),
    which a checkout of the repository alone does not have.

    Args:
        paths: ``(flag, path)`` pairs: each path the benchmark reads and the
            command-line flag that sets it.

    Raises:
        SystemExit: status 2, after printing the first missing path and its
            flag to stderr.
    """
    for flag, path in paths:
        if not path.exists():
            print(
                f"error: {path}: not found; pass {flag} PATH (this benchmark needs NAB's data and its scorer, "
                "by default under ../shared)",
                file=sys.stderr,
            )
            raise SystemExit(2)


def load_scorer(path: Path) -> ModuleType:
    """Import NAB's scorer (``nab_score.py``) from ``path`` as a module."""
    spec = importlib.util.spec_from_file_location("nab_score", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def network_errors(
    frame: pd.DataFrame, relative: str, config: AnomalyConfig, seed: int, refit_growth: float, cache: Path
) -> np.ndarray:
    """The detector's causal combined errors of one file as a stream, cached on disk.

    The first detector is fitted on the probationary rows only; later ones at
    ``refit_growth`` times the rows of the previous fit (see
    :func:`~forecaster.anomaly.detectors.online_point_errors`).

    Args:
        frame: the file (``timestamp``, ``value``).
        relative: ``<category>/<file>.csv``, part of the cache key.
        config: the ``anomaly`` section.
        seed: training seed.
        refit_growth: stream growth between refits (``inf``: never refit).
        cache: folder of cached errors (``<key>.npy``).

    Returns:
        float64 ``(n_rows,)`` errors, NaN before the first full window.
    """
    network = {key: value for key, value in config.model_dump(mode="json").items() if key not in SCORING_KEYS}
    key = json.dumps(
        {"file": relative, "rows": len(frame), "seed": seed, "refit_growth": refit_growth, "network": network},
        sort_keys=True,
    )
    path = cache / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.npy"
    if path.exists():
        return np.load(path)
    values = frame["value"].to_numpy(dtype=np.float64)
    errors = combine_errors(
        online_point_errors(values, probation_rows(values.size), refit_growth, **detector_kwargs(config, seed))
    )
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, errors)
    return errors


def file_signals(frame: pd.DataFrame, network: np.ndarray, config: AnomalyConfig) -> dict[str, np.ndarray]:
    """Every error signal the grid draws on for one file: network, absolute change, seasonal-profile errors, spectral residual."""
    times = pd.DatetimeIndex(pd.to_datetime(frame["timestamp"]))
    values = frame[["value"]].to_numpy(dtype=np.float64)
    seasonal = config.model_copy(update={"seasonal_periods": list(SEASONAL_PERIODS)})
    signals = error_signals(network, values, times, seasonal)
    signals["network"] = signals.pop("detector")
    signals["change"] = absolute_change(values)
    signals["spectral"] = spectral_residual(values[:, 0], SPECTRAL_WINDOW)
    return signals


def grid(family: str, robust: bool = False, spectral: bool = False) -> list[dict]:
    """The candidate scoring settings of one family (``network`` or ``baseline``).

    Args:
        family: ``network`` or ``baseline``.
        robust: also try the robust likelihood (median and interquartile range). Default False.
        spectral: also try every signal set with the spectral residual added. Default False.

    Returns:
        A list of ``{"signals": [...], <anomaly key>: value, ...}``.
    """
    sets = SIGNAL_SETS[family] + ([[*signals, "spectral"] for signals in SIGNAL_SETS[family]] if spectral else [])
    options = {**LIKELIHOOD_GRID, "likelihood_robust": [False, True] if robust else [False]}
    return [
        {"signals": signals, **dict(zip(options, values))}
        for signals in sets
        for values in itertools.product(*options.values())
    ]


def config_setting(config: AnomalyConfig) -> dict:
    """The scoring setting an ``anomaly`` section describes, in the grid's terms (the detector's error is ``network``)."""
    names = [{"detector": "network"}.get(name, name) for name in config.alarm_signals]
    return {
        "signals": [*names, *(f"seasonal_{period}" for period in config.seasonal_periods)],
        "likelihood_history": config.likelihood_history,
        "likelihood_window": config.likelihood_window,
        "alarm_quiet_rows": config.alarm_quiet_rows,
        "alarm_level": config.alarm_level,
        "likelihood_robust": config.likelihood_robust,
    }


def log_likelihood(signals: dict[str, np.ndarray], setting: dict) -> np.ndarray:
    """The log likelihood of one file's most surprising signal among ``setting["signals"]`` (before silencing).

    The first step of :func:`~forecaster.anomaly.pipeline.alarm_scores`
    (:func:`~forecaster.anomaly.likelihood.most_surprising`), on any named
    signals, including those the product does not offer.
    """
    return most_surprising(
        {name: signals[name] for name in setting["signals"]},
        history=setting["likelihood_history"],
        window=setting["likelihood_window"],
        robust=setting["likelihood_robust"],
    )[1]


def alarms(log_likelihoods: np.ndarray, setting: dict) -> np.ndarray:
    """The second step of ``alarm_scores``: silence the ``alarm_quiet_rows`` after each alarm."""
    return suppress_repeats(log_likelihoods, setting["alarm_level"], setting["alarm_quiet_rows"])


def grid_scores(signals: dict[str, dict[str, np.ndarray]], candidates: list[dict]) -> list[dict[str, np.ndarray]]:
    """The alarm score of every file under every setting: per setting, ``{file: (n_rows,)}``.

    The log likelihood is computed once per likelihood setting and silenced per candidate.
    """
    cached = {}
    scores = []
    for setting in candidates:
        key = (
            tuple(setting["signals"]),
            setting["likelihood_history"],
            setting["likelihood_window"],
            setting["likelihood_robust"],
        )
        if key not in cached:
            cached[key] = {relative: log_likelihood(file, setting) for relative, file in signals.items()}
        scores.append({relative: alarms(values, setting) for relative, values in cached[key].items()})
    return scores


def window_labels(timestamps: pd.Series, windows: list[list[str]]) -> np.ndarray:
    """Return bool ``(n_rows,)``: rows whose timestamp lies in a labelled window (bounds included)."""
    times = pd.to_datetime(timestamps).to_numpy()
    labels = np.zeros(times.size, dtype=bool)
    for start, end in windows:
        labels |= (times >= np.datetime64(pd.Timestamp(start))) & (times <= np.datetime64(pd.Timestamp(end)))
    return labels


def profile_summary(score) -> dict:
    """A scorer ``ProfileScore`` as a plain dict (normalised score, threshold, raw, windows found, false alarm rows)."""
    return {
        "normalized": score.normalized,
        "threshold": score.threshold,
        "raw": score.raw,
        "windows_detected": score.windows_detected,
        "n_windows": score.n_windows,
        "fp": score.fp,
        "per_file": score.per_file,
    }


def cross_validate(
    scorer: ModuleType,
    corpus: Callable[[list[str]], object],
    categories: dict[str, str],
    candidates: list[dict],
    candidate_scores: list[dict[str, np.ndarray]],
    fixed: bool,
) -> dict:
    """Leave one category out: choose the setting and thresholds on the others, score the left-out one.

    Args:
        scorer: NAB's scorer module.
        corpus: ``files -> scorer.Corpus`` of those files.
        categories: ``{file: category}``.
        candidates: the settings.
        candidate_scores: per setting, ``{file: (n_rows,) scores}``.
        fixed: detect at each setting's own ``alarm_level`` (the product's alarms) instead of
            sweeping NAB's threshold on the training categories.

    Returns:
        ``{"folds": {category: {...}}, "flags": {profile: {file: 0/1 scores}}, "thresholds": {file: standard threshold},
        "chosen": {file: setting index}}``.
    """
    folds, flags, thresholds, chosen = {}, {profile: {} for profile in PROFILES}, {}, {}
    for category, train, test in leave_one_group_out(categories):
        train_corpus, test_corpus = corpus(train), corpus(test)
        best, train_score = choose_setting(
            range(len(candidates)),
            lambda k: (
                scorer.score_corpus(
                    train_corpus,
                    candidate_scores[k],
                    {"standard": scorer.DEFAULT_PROFILES["standard"]},
                    threshold=candidates[k]["alarm_level"] if fixed else None,
                )["standard"].normalized
            ),
        )
        on_train = scorer.score_corpus(
            train_corpus, candidate_scores[best], threshold=candidates[best]["alarm_level"] if fixed else None
        )
        on_test = {
            profile: scorer.score_corpus(
                test_corpus,
                candidate_scores[best],
                {profile: scorer.DEFAULT_PROFILES[profile]},
                threshold=on_train[profile].threshold,
            )[profile]
            for profile in PROFILES
        }
        folds[category] = {
            "setting": best,
            "train_standard": train_score,
            "test": {profile: profile_summary(score) for profile, score in on_test.items()},
        }
        for relative in test:
            chosen[relative] = best
            thresholds[relative] = on_train["standard"].threshold
            for profile in PROFILES:
                flags[profile][relative] = (candidate_scores[best][relative] >= on_train[profile].threshold).astype(
                    np.float64
                )
    return {"folds": folds, "flags": flags, "thresholds": thresholds, "chosen": chosen}


def classic_metrics(rows: dict[str, dict]) -> dict:
    """Event-wise precision/recall/F1 and PR-AUC on the scored (post-probation) rows, per file and pooled.

    Args:
        rows: ``{file: {"scores": (n,), "flags": bool (n,), "labels": bool (n,)}}``.

    Returns:
        ``{"per_file": {file: {"event", "pr_auc"}}, "overall": {"event", "pr_auc", "median_file_pr_auc"}}``;
        ``overall`` sums event counts and pools every file's points for PR-AUC.
    """
    per_file, pooled_scores, pooled_labels = {}, [], []
    found = n_true = correct = n_predicted = 0
    for name, row in rows.items():
        start = probation_rows(row["scores"].size)
        labels = row["labels"][start:]
        events = event_scores(labels, row["flags"][start:])
        per_file[name] = {"event": events, "pr_auc": pr_auc(labels, row["scores"][start:])}
        pooled_scores.append(row["scores"][start:])
        pooled_labels.append(labels)
        n_true += events["n_true_events"]
        n_predicted += events["n_predicted_events"]
        found += round(events["recall"] * events["n_true_events"]) if events["n_true_events"] else 0
        correct += round(events["precision"] * events["n_predicted_events"]) if events["n_predicted_events"] else 0
    precision = correct / n_predicted if n_predicted else float("nan")
    recall = found / n_true if n_true else float("nan")
    overall = {
        "event": {
            "precision": precision,
            "recall": recall,
            "f1": 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0,
        },
        "pr_auc": pr_auc(np.concatenate(pooled_labels), np.concatenate(pooled_scores)),
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


def write_results(
    out: Path, name: str, relative: str, frame: pd.DataFrame, scores: np.ndarray, labels: np.ndarray
) -> None:
    """Write one NAB results file ``out/<category>/<name>_<file>.csv`` (the cross-validated detections)."""
    category, file_name = relative.split("/")
    target = out / category / f"{name}_{file_name}"
    target.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {"timestamp": frame["timestamp"], "value": frame["value"], "anomaly_score": scores, "label": labels.astype(int)}
    ).to_csv(target, index=False)


def per_category(
    scorer: ModuleType, corpus: Callable, categories: dict[str, str], scores: dict[str, np.ndarray], level: float
) -> dict:
    """NAB standard figures of fixed scores, detections at ``level``, per category and pooled over all files."""
    standard = {"standard": scorer.DEFAULT_PROFILES["standard"]}
    groups = [
        *((category, test) for category, _, test in leave_one_group_out(categories)),
        ("pooled", sorted(categories)),
    ]
    return {
        group: profile_summary(scorer.score_corpus(corpus(members), scores, standard, threshold=level)["standard"])
        for group, members in groups
    }


def evaluate_family(
    scorer, corpus, labels, signals, categories, candidates, in_sample_setting, fixed, chosen_elsewhere=None
) -> dict:
    """Cross-validate one family's grid; score the config's own setting in-sample (swept) and at its alarm level,
    and a setting chosen elsewhere (on injected data) at its alarm level."""
    started = time.perf_counter()
    candidate_scores = grid_scores(signals, candidates)
    logger.info("%d settings scored in %.0f s", len(candidates), time.perf_counter() - started)
    cv = cross_validate(scorer, corpus, categories, candidates, candidate_scores, fixed)
    files = sorted(categories)
    everything = corpus(files)
    pooled = {
        profile: profile_summary(
            scorer.score_corpus(
                everything, cv["flags"][profile], {profile: scorer.DEFAULT_PROFILES[profile]}, threshold=0.5
            )[profile]
        )
        for profile in PROFILES
    }
    rows = {
        relative: {
            "scores": candidate_scores[cv["chosen"][relative]][relative],
            "flags": cv["flags"]["standard"][relative] > 0,
            "labels": labels[relative],
        }
        for relative in files
    }
    in_sample_index = candidates.index(in_sample_setting) if in_sample_setting in candidates else None
    in_sample = as_configured = None
    if in_sample_index is not None:
        own = candidate_scores[in_sample_index]
        in_sample = {name: profile_summary(score) for name, score in scorer.score_corpus(everything, own).items()}
        as_configured = per_category(scorer, corpus, categories, own, in_sample_setting["alarm_level"])
    elsewhere = None
    if chosen_elsewhere is not None:
        elsewhere = {
            "setting": chosen_elsewhere,
            **per_category(
                scorer,
                corpus,
                categories,
                candidate_scores[candidates.index(chosen_elsewhere)],
                chosen_elsewhere["alarm_level"],
            ),
        }
    standard = {category: fold["test"]["standard"]["normalized"] for category, fold in cv["folds"].items()}
    scored = {category: value for category, value in standard.items() if np.isfinite(value)}
    return {
        "candidates": candidates,
        "folds": {category: {**fold, "setting": candidates[fold["setting"]]} for category, fold in cv["folds"].items()},
        "mean_category_standard": float(np.mean(list(scored.values()))),
        "worst_category_standard": float(min(scored.values())),
        "pooled": pooled,
        "metrics": classic_metrics(rows),
        "in_sample": in_sample,
        "as_configured": as_configured,
        "chosen_on_injected": elsewhere,
        "flags": cv["flags"]["standard"],
    }


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the tables and write the JSON; return 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=SHARED / "data" / "nab" / "data")
    parser.add_argument("--labels", type=Path, default=SHARED / "data" / "nab" / "labels" / "combined_windows.json")
    parser.add_argument("--scorer", type=Path, default=SHARED / "tools" / "nab_score.py")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "nab")
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / "results" / "nab" / "cache")
    parser.add_argument("--detector", default="forecaster", help="detector name, the prefix of the results files")
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "detect_nab.yaml")
    parser.add_argument(
        "--refit-growth",
        type=float,
        default=float("inf"),
        help="refit the detector on all rows seen when the stream has grown this many times (inf: never)",
    )
    parser.add_argument(
        "--threshold",
        choices=["alarm", "sweep"],
        default="alarm",
        help="detections: the product's alarms (score >= the setting's alarm_level) or NAB's threshold "
        "swept on the training categories",
    )
    parser.add_argument(
        "--injected-selection",
        type=Path,
        default=None,
        help="injected_results.json of benchmarks/injected.py --select: also score the settings chosen there",
    )
    parser.add_argument("--grid-robust", action="store_true", help="add the robust likelihood to the grid")
    parser.add_argument("--grid-spectral", action="store_true", help="add the spectral residual signal to the grid")
    parser.add_argument(
        "--files", default="", help="comma-separated substrings: run only matching files (quick checks)"
    )
    args = parser.parse_args(argv)
    require_nab_files([("--scorer", args.scorer), ("--data", args.data), ("--labels", args.labels)])
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    config = load_config(args.config)
    scorer = load_scorer(args.scorer)
    windows = json.loads(args.labels.read_text())
    files = sorted(p.relative_to(args.data).as_posix() for p in args.data.glob("*/*.csv"))
    if args.files:
        files = [f for f in files if any(part in f for part in args.files.split(","))]
    categories = {relative: relative.split("/")[0] for relative in files}
    frames, labels, signals = {}, {}, {}
    started = time.perf_counter()
    for relative in files:
        file_started = time.perf_counter()
        frames[relative] = frame = pd.read_csv(args.data / relative)
        labels[relative] = window_labels(frame["timestamp"], windows.get(relative, []))
        errors = network_errors(frame, relative, config.anomaly, config.seed, args.refit_growth, args.cache)
        signals[relative] = file_signals(frame, errors, config.anomaly)
        logger.info("%-60s %6d rows %6.1f s", relative, len(frame), time.perf_counter() - file_started)
    signal_time = time.perf_counter() - started

    anomaly = config.anomaly
    corpora: dict = {}

    def corpus(subset: list[str]):
        return corpora.setdefault(tuple(subset), scorer.Corpus(str(args.data), str(args.labels), subset))

    report = {
        "config": str(args.config),
        "anomaly": anomaly.model_dump(mode="json"),
        "refit_growth": args.refit_growth,
        "threshold": args.threshold,
        "grid_robust": args.grid_robust,
        "grid_spectral": args.grid_spectral,
        "n_files": len(files),
        "signal_time_s": signal_time,
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "detectors": {},
    }
    names = {args.detector: "network", f"{args.detector}-baseline": "baseline"}
    selection = json.loads(args.injected_selection.read_text())["selection"] if args.injected_selection else None
    for name, family in names.items():
        report["detectors"][name] = result = evaluate_family(
            scorer,
            corpus,
            labels,
            signals,
            categories,
            grid(family, args.grid_robust, args.grid_spectral),
            config_setting(anomaly),
            args.threshold == "alarm",
            selection[family]["setting"] if selection else None,
        )
        for relative, flags in result.pop("flags").items():
            write_results(args.out, name, relative, frames[relative], flags, labels[relative])
    report["run_time_s"] = time.perf_counter() - started
    print_report(report, files)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "nab_results.json").write_text(json.dumps(strict_json(report), indent=2, allow_nan=False) + "\n")
    print(f"\nwritten {args.out / 'nab_results.json'}")
    return 0


def print_report(report: dict, files: list[str]) -> None:
    """Print the cross-validated table per category, the summary and the in-sample figure."""
    print(
        f"\nNAB, leave one category out: {report['n_files']} files, run time {report['run_time_s']:.0f} s "
        f"(signals {report['signal_time_s']:.0f} s)\n"
    )
    categories = sorted({relative.split("/")[0] for relative in files})
    print(
        f"{'detector':22s} "
        + " ".join(f"{c[:22]:>22s}" for c in categories)
        + f" {'mean':>6s} {'worst':>6s} {'pooled':>7s} {'lowFP':>6s} {'lowFN':>6s} {'eventF1':>7s} {'in-sample':>9s}"
    )
    for name, result in report["detectors"].items():
        cells = []
        for category in categories:
            test = result["folds"][category]["test"]["standard"]
            cells.append(
                f"{test['normalized']:22.1f}"
                if np.isfinite(test["normalized"])
                else f"{'raw %.2f, %d FP rows' % (test['raw'], test['fp']):>22s}"
            )
        in_sample = result["in_sample"]["standard"]["normalized"] if result["in_sample"] else float("nan")
        print(
            f"{name:22s} "
            + " ".join(cells)
            + f" {result['mean_category_standard']:6.1f} {result['worst_category_standard']:6.1f}"
            f" {result['pooled']['standard']['normalized']:7.1f} {result['pooled']['reward_low_FP_rate']['normalized']:6.1f}"
            f" {result['pooled']['reward_low_FN_rate']['normalized']:6.1f} {result['metrics']['overall']['event']['f1']:7.3f}"
            f" {in_sample:9.1f}"
        )
    print("\nthe config's own setting, detections at its alarm_level (nothing chosen here):")
    for name, result in report["detectors"].items():
        if result["as_configured"]:
            print(
                f"{name:22s} "
                + " ".join(
                    f"{category}: {figures['normalized']:.1f} ({figures['fp']} FP rows)"
                    for category, figures in result["as_configured"].items()
                )
            )
    if any(result["chosen_on_injected"] for result in report["detectors"].values()):
        print("\nsettings chosen on injected anomalies (no NAB label read), detections at their alarm_level:")
        for name, result in report["detectors"].items():
            chosen = result["chosen_on_injected"]
            print(
                f"{name:22s} "
                + " ".join(
                    f"{category}: {chosen[category]['normalized']:.1f} ({chosen[category]['fp']} FP rows)"
                    for category in chosen
                    if category != "setting"
                )
                + f"  {chosen['setting']}"
            )
    for name, result in report["detectors"].items():
        print(f"\n{name}: settings chosen without each category")
        for category, fold in result["folds"].items():
            print(
                f"  {category:24s} train {fold['train_standard']:6.1f}  threshold "
                f"{fold['test']['standard']['threshold']:.4f}  {fold['setting']}"
            )
    print("\nper file (standard raw score, left-out; forecaster / baseline):")
    first, second = report["detectors"].values()
    for relative in files:
        category = relative.split("/")[0]
        values = [r["folds"][category]["test"]["standard"]["per_file"][relative] for r in (first, second)]
        print(f"  {relative:60s} {values[0]:8.3f} {values[1]:8.3f}")


if __name__ == "__main__":
    sys.exit(main())
