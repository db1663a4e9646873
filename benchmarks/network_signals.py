"""Benchmark: does a network's error add information over the raw change? Signal variants per anomaly kind and on NAB.

Issue 14 asks that the network's signal beat the absolute change from the
previous value on every injected anomaly kind but spikes, and add over it on
NAB in cross-validation. This script measures candidate network signals, each
in place of the change beside the same daily and weekly seasonal signals,
likelihood and alarms (the scoring setting of ``--config``), in one run:

- ``autoencoder``: the config's detector's causal error (the reconstruction
  error of the last row of the window that ends at the point);
- ``residual``: the one-step residual detector's absolute prediction error;
- ``residual_robust``: that error standardised per series by the median and
  the median absolute deviation (times 1.4826) of its own previous
  ``--robust-history`` errors (causal), negative values set to 0;
- ``quantile``: a residual detector with a quantile head (10%, 50%, 90%,
  pinball loss): the surprise ``-ln P(Z >= |y - q50| / sigma)`` of the
  observed value (standard normal ``Z``, ``sigma = (q90 - q10) / 2.563 +
  0.001`` on the normal rows' scale), so surprise is measured in
  probability, not raw error;
- ``multistep``: the squared Mahalanobis distance of each point's errors
  forecast 1..``--horizon`` rows ahead (:class:`MultiStepDetector`, after
  Malhotra et al., ESANN 2015).
- ``seasonal_input``: the residual detector given, as past and known-future
  covariates, where the earlier daily cycles say the series should be and how
  they stepped into each clock time (:func:`seasonal_covariates`), so a
  network that sees 32 rows still knows the daily cycle
  (:class:`SeasonalInputDetector`).

Beside them, scoring variants that need no new network
(:data:`SCORING_VARIANTS`): the squared change beside the change, and the
change or the residual beside its :func:`dispersion` (the two-sided
chi-square surprise of its last ``--dispersion-window`` squared values).

Then a learned combination: a logistic regression on the per-point log
likelihoods of the change, the seasonal signals and the network signals,
fitted on the injected series of every kind but one (class-balanced), its
alarm level (on the predicted probability) chosen there by NAB's standard
score, and scored on the left-out kind; the same with the change and the
seasonal signals alone is its baseline.

With ``--nab``, each signal's family (the signal alone, with the seasonal
signals, and with the change too, crossed with ``benchmarks/nab.py``'s grid;
a scoring variant's signals alone and with the seasonal signals) is
cross-validated leaving one NAB category out, beside the change family, and
every signal set is also scored at the config's own setting.

The injected corpus is ``benchmarks/injected.py``'s (seed ``--seed``); the
networks are fitted once per normal series on its probationary rows, exactly
as there. Errors are cached under ``--cache``. Writes
``RESULTS_DIR/network_signals.json``.

Usage::

    python benchmarks/network_signals.py [--config configs/detect_nab.yaml] [--seed 14] [--bases SUBSTRING,...] \\
        [--nab] [--files SUBSTRING,...] [--horizon 24] [--dispersion-window 24] [--out benchmarks/results/network_signals]
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.covariance import LedoitWolf
from sklearn.linear_model import LogisticRegression

from forecaster.anomaly.detectors import ResidualDetector, make_detector
from forecaster.anomaly.injection import ANOMALY_KINDS, inject_anomalies
from forecaster.anomaly.likelihood import anomaly_likelihood, suppress_repeats
from forecaster.anomaly.pipeline import combine_errors
from forecaster.config import AnomalyConfig, detector_kwargs, load_config
from forecaster.models import Forecaster
from forecaster.windows.dataset import WindowDataset

sys.path.insert(0, str(Path(__file__).resolve().parent))
from injected import NAB_PARTS, ROOT, SHARED, kind_metrics, n_fitting, normal_series, write_injected  # noqa: E402
from nab import (  # noqa: E402
    LIKELIHOOD_GRID,
    SEASONAL,
    alarms,
    config_setting,
    evaluate_family,
    file_signals,
    grid_scores,
    load_scorer,
    log_likelihood,
    network_errors,
    per_category,
    probation_rows,
    require_nab_files,
    strict_json,
    window_labels,
)

NETWORK_SIGNALS = ("autoencoder", "residual", "residual_robust", "quantile", "multistep", "seasonal_input")
# Signals of networks this script fits itself (the autoencoder and the residual detector on NAB come from nab.py's cache).
OWN_NETWORKS = ("quantile", "multistep", "seasonal_input")
# Scoring variants: a transform of a signal beside it (no new network), each with the seasonal signals.
SCORING_VARIANTS = {
    "change + change squared": ["change", "change_squared"],
    "change + its dispersion": ["change", "change_dispersion"],
    "residual + its dispersion": ["residual", "residual_dispersion"],
}
# Everything the per-kind table and the config-setting rows compare, each beside the seasonal signals.
SIGNAL_SETS = {"change": ["change"], **{name: [name] for name in NETWORK_SIGNALS}, **SCORING_VARIANTS}
DISPERSION_CAP = 50.0  # nats: a flat line's sum of squares of exactly 0 has an infinite surprise
QUANTILES = (0.1, 0.5, 0.9)
INTERVAL_TO_SIGMA = 2 * stats.norm.ppf(0.9)  # width of the normal's 10-90% interval in standard deviations
MAD_TO_SIGMA = 1.4826
LEVELS = (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995)

logger = logging.getLogger("network_signals")


class QuantileResidualDetector(ResidualDetector):
    """The residual detector with a 10/50/90% quantile head; a point's error is its surprise in nats."""

    name = "quantile_residual"

    def _fit_network(self, scaled, train, val, backup_dir):
        self.forecaster_ = Forecaster(
            kind=self.kind,
            gated_cell=self.gated_cell,
            units=self.units,
            quantiles=QUANTILES,
            instance_norm=True,
            instance_norm_method="last",
            l2=self.l2,
            **self._training(),
        )
        self.forecaster_.fit(
            self._dataset(scaled, train, shuffle=True),
            self._dataset(scaled, val) if val.size else None,
            backup_dir=backup_dir,
        )
        return self.forecaster_.history_

    def _window_errors(self, scaled, starts):
        bands = self.forecaster_.predict_quantiles(
            self._dataset(scaled, starts, batch_size=1024)
        )  # (n, 1, features, 3)
        actual = np.nan_to_num(scaled[starts + self.lookback][:, None, :])
        sigma = (
            bands[..., 2] - bands[..., 0]
        ) / INTERVAL_TO_SIGMA + 1e-3  # scaled units; a collapsed band stays finite
        return -stats.norm.logsf(np.abs(actual - bands[..., 1]) / sigma)


class MultiStepDetector(ResidualDetector):
    """A ``horizon``-step forecaster; a point's error is the squared Mahalanobis distance of its 1..horizon-step errors.

    Malhotra et al., "Long Short Term Memory Networks for Anomaly Detection
    in Time Series" (ESANN 2015): each point is forecast from the windows
    ending 1, 2, ..., ``horizon`` rows before it, its ``horizon`` errors are
    modelled as a multivariate Gaussian fitted on the held-out normal rows
    (Ledoit-Wolf shrinkage of the covariance, since those hold about a hundred
    error vectors), and the anomaly score is the negative log density, here
    the squared Mahalanobis distance it is affine in. Causal: every forecast
    reads only rows before the point.
    """

    name = "multistep"

    def __init__(self, *, horizon: int = 24, **params):
        super().__init__(**params)
        self.horizon = horizon

    @property
    def window_length(self) -> int:
        """The earliest forecast's ``lookback`` input rows, then ``horizon`` rows up to the point."""
        return self.lookback + self.horizon

    def _dataset(self, scaled, starts, shuffle=False, batch_size=None):
        return WindowDataset(
            scaled,
            starts,
            self.lookback,
            self.horizon,
            n_targets=scaled.shape[1],
            batch_size=batch_size or self.batch_size,
            shuffle=shuffle,
            seed=self.seed,
        )

    def _fit_network(self, scaled, train, val, backup_dir):
        history = super()._fit_network(scaled, train, val, backup_dir)
        reference = self._lead_errors(scaled, val if val.size >= 2 * self.horizon else np.concatenate([train, val]))
        self.error_mean_ = reference.mean(axis=0).T  # (features, horizon)
        self.error_precision_ = np.stack(
            [LedoitWolf().fit(reference[:, :, feature]).precision_ for feature in range(reference.shape[2])]
        )  # (features, horizon, horizon)
        return history

    def _lead_errors(self, scaled, starts):
        """``(n, horizon, features)``: the last row of each window minus its forecasts made 1..horizon rows before."""
        horizon = self.horizon
        inputs = (
            starts[:, None] + (horizon - 1 - np.arange(horizon))[None, :]
        )  # lead k + 1 reads the window at this row
        unique, position = np.unique(inputs, return_inverse=True)
        # The last windows' later target rows lie past the data: padded, never read as targets.
        padded = np.concatenate([scaled, np.full((horizon, scaled.shape[1]), np.nan, dtype=scaled.dtype)])
        forecast = self.forecaster_.predict(self._dataset(padded, unique, batch_size=1024))  # (n_unique, horizon, f)
        leads = forecast[position.reshape(inputs.shape), np.arange(horizon)[None, :]]
        return np.nan_to_num(scaled[starts + self.lookback + horizon - 1])[:, None, :] - leads

    def _window_errors(self, scaled, starts):
        centred = self._lead_errors(scaled, starts).transpose(0, 2, 1) - self.error_mean_  # (n, features, horizon)
        distance = np.einsum("nfh,fhk,nfk->nf", centred, self.error_precision_, centred)
        return np.maximum(distance, 0.0)[:, None, :]


def seasonal_covariates(values: np.ndarray, period: int, cycles: int = 3) -> np.ndarray:
    """Each row's seasonal gap and step, both known one row before it (``(n,)`` -> float ``(n, 2)``).

    For row ``r`` and ``k = 1..cycles``: the gap is the median of
    ``x[r - k period]`` minus the last value ``x[r - 1]`` (where the earlier
    cycles say the series should be, from where it is), the step the median of
    ``x[r - k period] - x[r - k period - 1]`` (how the earlier cycles moved into
    this clock time). Both read only rows before ``r`` (``period >= 1``), so
    they are known covariates of the forecast of ``r``: the lagged seasonal
    inputs of DeepAR (Salinas et al., "DeepAR: Probabilistic forecasting with
    autoregressive recurrent networks", IJF 2020), taken as a median so one
    odd earlier cycle does not echo. 0 where no earlier cycle exists.
    """
    values = np.asarray(values, dtype=np.float64)
    references = np.full((cycles, values.size), np.nan)
    steps = np.full((cycles, values.size), np.nan)
    for k in range(1, cycles + 1):  # a few lags, each one vectorised over the rows
        lag = k * period
        references[k - 1, lag:] = values[: values.size - lag]
        steps[k - 1, lag + 1 :] = np.diff(values)[: max(values.size - lag - 1, 0)]
    previous = np.concatenate([[np.nan], values[:-1]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # rows before the first cycle: all-NaN medians
        gap = np.nanmedian(references, axis=0) - previous
        step = np.nanmedian(steps, axis=0)
    return np.nan_to_num(np.stack([gap, step], axis=1))


class SeasonalInputDetector(ResidualDetector):
    """The residual detector given each row's :func:`seasonal_covariates` as past and known-future inputs.

    Fitted on ``(n_rows, 3)``: the value, then its seasonal gap and step. The
    forecaster predicts the value only (one target, two known covariates); a
    point's error is in column 0, the covariate columns get 0.
    """

    name = "seasonal_input"

    def _dataset(self, scaled, starts, shuffle=False, batch_size=None):
        return WindowDataset(
            scaled,
            starts,
            self.lookback,
            1,
            n_targets=1,
            n_calendar=scaled.shape[1] - 1,
            batch_size=batch_size or self.batch_size,
            shuffle=shuffle,
            seed=self.seed,
        )

    def _window_errors(self, scaled, starts):
        forecast = self.forecaster_.predict(self._dataset(scaled, starts, batch_size=1024))  # (n, 1, 1)
        error = np.abs(forecast - np.nan_to_num(scaled[starts + self.lookback][:, None, :1]))
        return np.concatenate([error, np.zeros((*error.shape[:2], scaled.shape[1] - 1), error.dtype)], axis=2)


def dispersion(errors: np.ndarray, window: int, history: int) -> np.ndarray:
    """Two-sided surprise of the last ``window`` squared errors against the mean square of the ``history`` before them.

    ``x = sum(e^2 over the window) / mean(e^2 over the previous history rows)``
    is compared with a chi-square of ``window`` degrees of freedom in both
    tails: a collapse of the error (a flat line) is as surprising as a burst.
    ``-ln(2 min(F(x), 1 - F(x)))`` in nats, capped at 50; NaN until 100
    history rows exist or where their mean square is 0. Causal, ``(n,)`` -> ``(n,)``.
    """
    square = pd.Series(np.asarray(errors, dtype=np.float64) ** 2)
    total = square.rolling(window, min_periods=max(window // 2, 1)).sum()
    count = square.notna().astype(float).rolling(window, min_periods=1).sum().to_numpy()
    reference = square.shift(window).rolling(history, min_periods=100).mean().to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = total.to_numpy() / reference
        tail = np.minimum(stats.chi2.logcdf(ratio, count), stats.chi2.logsf(ratio, count))
    surprise = np.clip(-(tail + np.log(2.0)), 0.0, DISPERSION_CAP)
    surprise[~np.isfinite(ratio) | ~(reference > 0)] = np.nan
    return surprise


def robust_standardised(errors: np.ndarray, history: int) -> np.ndarray:
    """``(e - median) / (1.4826 MAD)`` of the previous ``history`` errors, causal, negative values 0 (``(n,)`` -> ``(n,)``)."""
    past = pd.Series(errors).shift(1)
    median = past.rolling(history, min_periods=100).median()
    mad = (past - median).abs().rolling(history, min_periods=100).median()
    return np.maximum(((pd.Series(errors) - median) / (MAD_TO_SIGMA * mad + 1e-12)).to_numpy(), 0.0)


def fit_errors(
    kind: str,
    anomaly: AnomalyConfig,
    seed: int,
    values: np.ndarray,
    series: list[np.ndarray],
    horizon: int,
    period: int,
) -> list[np.ndarray]:
    """Fit one network of ``kind`` on ``values``' probationary rows; return its causal errors of each of ``series``."""
    first = probation_rows(values.size)
    params = detector_kwargs(anomaly, seed)
    if kind == "seasonal_input":
        params.pop("detector")
        detector = SeasonalInputDetector(**params)
        detector.fit(np.column_stack([values, seasonal_covariates(values, period)])[:first], np.ones(first, dtype=bool))
        return [
            detector.point_errors(np.column_stack([part, seasonal_covariates(part, period)]), mode="causal")[:, 0]
            for part in series
        ]
    if kind == "quantile":
        params.pop("detector")
        detector = QuantileResidualDetector(**params)
    elif kind == "multistep":
        params.pop("detector")
        detector = MultiStepDetector(horizon=horizon, **params)
    else:
        detector = make_detector(**{**params, "detector": kind})
    detector.fit(values[:first, None], np.ones(first, dtype=bool))
    return [combine_errors(detector.point_errors(part[:, None], mode="causal")) for part in series]


def cached(cache: Path, key: dict, compute, *args) -> list[np.ndarray]:
    """``compute(*args)``'s arrays, stored under a hash of ``key`` in ``cache``."""
    path = cache / f"{hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]}.npz"
    if path.exists():
        with np.load(path) as stored:
            return [stored[f"a{k}"] for k in range(len(stored.files))]
    arrays = compute(*args)
    cache.mkdir(parents=True, exist_ok=True)
    np.savez(path, **{f"a{k}": array for k, array in enumerate(arrays)})
    return arrays


def network_key(name: str, network: dict, horizon: int, period: int) -> dict:
    """The part of a cache key that names a network signal and every setting its errors depend on."""
    extra = {"multistep": {"horizon": horizon}, "seasonal_input": {"period": period}}.get(name, {})
    return {"signal": name, "network": network, **extra}


def rows_per_day(timestamps: pd.Series) -> int:
    """Rows in one day at the file's median time step (at least 1)."""
    step = pd.to_datetime(timestamps).diff().median()
    return max(int(round(pd.Timedelta("1D") / step)), 1)


def add_scoring_variants(signals: dict[str, np.ndarray], args) -> None:
    """Add the scoring variants' signals to one file's: the squared change and the change's and residual's dispersion."""
    signals["change_squared"] = signals["change"] ** 2
    signals["change_dispersion"] = dispersion(signals["change"], args.dispersion_window, args.robust_history)
    signals["residual_dispersion"] = dispersion(signals["residual"], args.dispersion_window, args.robust_history)


def injected_corpus(args, config) -> tuple[dict, dict]:
    """The injected series with every signal: ``{file: {"signals", "labels", "kind"}}`` and the label windows."""
    anomaly = config.anomaly
    network = detector_kwargs(anomaly, config.seed)
    files, windows = {}, {}
    for base, (frame, period) in normal_series(args.ett, args.nab_data, args.seed).items():
        if args.bases and not any(part in base for part in args.bases.split(",")):
            continue
        started = time.perf_counter()
        values = frame["value"].to_numpy(dtype=np.float64)
        first_row = probation_rows(values.size)
        parts = {}
        for k, kind in enumerate(ANOMALY_KINDS):
            count = n_fitting(kind, values.size, period)
            if count >= 1:
                parts[kind] = inject_anomalies(values, kind, count, first_row, period, seed=args.seed * 1000 + k)
        injected = [series for series, _, _ in parts.values()]
        errors = {
            name: dict(
                zip(
                    parts,
                    cached(
                        args.cache,
                        {"seed": args.seed, "base": base, **network_key(name, network, args.horizon, period)},
                        fit_errors,
                        name,
                        anomaly,
                        config.seed,
                        values,
                        injected,
                        args.horizon,
                        period,
                    ),
                )
            )
            for name in ("autoencoder", "residual", *OWN_NETWORKS)
        }
        for kind, (series, _, anomalies) in parts.items():
            relative = f"{kind}/{base}.csv"
            variant, windows[relative], labels = write_injected(
                args.out / "data" / relative, frame, series, anomalies, args.tolerance
            )
            signals = file_signals(variant, errors["autoencoder"][kind], anomaly)
            signals["autoencoder"] = signals.pop("network")
            signals["residual"] = errors["residual"][kind]
            signals["residual_robust"] = robust_standardised(errors["residual"][kind], args.robust_history)
            signals["quantile"] = errors["quantile"][kind]
            signals["multistep"] = errors["multistep"][kind]
            signals["seasonal_input"] = errors["seasonal_input"][kind]
            add_scoring_variants(signals, args)
            files[relative] = {"signals": signals, "labels": labels, "kind": kind}
        logger.info("%-24s %5d rows %6.1f s", base, values.size, time.perf_counter() - started)
    return files, windows


def per_kind(scorer, corpus, files: dict, scores: dict, level: float) -> dict:
    """``{kind: {"nab_standard", "event_f1", "pr_auc"}}`` and ``"all"`` of alarm scores ``{file: (n,)}`` at ``level``."""
    standard = {"standard": scorer.DEFAULT_PROFILES["standard"]}
    rows = {
        relative: {
            "alarm": scores[relative]["alarm"],
            "log_likelihood": scores[relative]["score"],
            "labels": files[relative]["labels"],
        }
        for relative in files
    }
    alarm = {relative: row["alarm"] for relative, row in rows.items()}
    result = {"all": scorer.score_corpus(corpus(list(files)), alarm, standard, threshold=level)["standard"].normalized}
    for kind in ANOMALY_KINDS:
        members = [relative for relative in files if files[relative]["kind"] == kind]
        if members:
            metrics = kind_metrics(rows, members, level)
            result[kind] = {
                "nab_standard": scorer.score_corpus(corpus(members), alarm, standard, threshold=level)[
                    "standard"
                ].normalized,
                "event_f1": metrics["event_f1"],
                "pr_auc": metrics["pr_auc"],
            }
    return result


def signal_scores(files: dict, setting: dict, names: list[str]) -> dict:
    """Each file's log likelihood and alarms with ``names`` in place of the change beside the seasonal signals."""
    setting = {**setting, "signals": [*names, *SEASONAL]}
    scores = {}
    for relative, file in files.items():
        score = log_likelihood(file["signals"], setting)
        scores[relative] = {"score": score, "alarm": alarms(score, setting)}
    return scores


def learned_combinations(scorer, corpus, files: dict, setting: dict) -> dict:
    """Leave one kind out: logistic regression on the signals' log likelihoods; per kind, the left-out NAB score."""
    names = ["change", *SEASONAL, *NETWORK_SIGNALS]
    features = {
        relative: np.stack(
            [
                anomaly_likelihood(
                    file["signals"][name], history=setting["likelihood_history"], window=setting["likelihood_window"]
                )[1]
                for name in names
            ],
            axis=1,
        )
        for relative, file in files.items()
    }
    standard = {"standard": scorer.DEFAULT_PROFILES["standard"]}
    quiet = setting["alarm_quiet_rows"]

    def nab_score(members, scores, level):
        return scorer.score_corpus(
            corpus(members), {r: suppress_repeats(scores[r], level, quiet) for r in members}, standard, threshold=level
        )["standard"].normalized

    results = {}
    for label, columns in (("change + seasonal", [0, 1, 2]), ("change + seasonal + networks", list(range(len(names))))):
        results[label] = {}
        for kind in sorted({file["kind"] for file in files.values()}):
            train = [r for r in files if files[r]["kind"] != kind]
            test = [r for r in files if files[r]["kind"] == kind]
            rows = [slice(probation_rows(files[r]["labels"].size), None) for r in train]
            model = LogisticRegression(class_weight="balanced", max_iter=1000).fit(
                np.concatenate([features[r][part][:, columns] for r, part in zip(train, rows)]),
                np.concatenate([files[r]["labels"][part] for r, part in zip(train, rows)]),
            )
            scores = {r: model.predict_proba(features[r][:, columns])[:, 1] for r in files}
            level = max(LEVELS, key=lambda value: nab_score(train, scores, value))
            results[label][kind] = {
                "nab_standard": nab_score(test, scores, level),
                "level": level,
                "weights": dict(zip([names[c] for c in columns], model.coef_[0].tolist())),
            }
    return results


def nab_cross_validation(args, config, scorer) -> dict:
    """Leave-one-category-out NAB standard scores of the change family and of each network signal's family."""
    windows = json.loads(args.nab_labels.read_text())
    relatives = sorted(p.relative_to(args.nab_data).as_posix() for p in args.nab_data.glob("*/*.csv"))
    if args.files:
        relatives = [r for r in relatives if any(part in r for part in args.files.split(","))]
    anomaly = config.anomaly
    network = detector_kwargs(anomaly, config.seed)
    signals, labels = {}, {}
    for relative in relatives:
        frame = pd.read_csv(args.nab_data / relative)
        labels[relative] = window_labels(frame["timestamp"], windows.get(relative, []))
        values = frame["value"].to_numpy(dtype=np.float64)
        residual = network_errors(
            frame,
            relative,
            anomaly.model_copy(update={"detector": "residual"}),
            config.seed,
            float("inf"),
            args.nab_cache,
        )
        file = file_signals(
            frame, network_errors(frame, relative, anomaly, config.seed, float("inf"), args.nab_cache), anomaly
        )
        file["autoencoder"] = file.pop("network")
        file["residual"] = residual
        file["residual_robust"] = robust_standardised(residual, args.robust_history)
        period = rows_per_day(frame["timestamp"])
        for name in OWN_NETWORKS:
            file[name] = cached(
                args.cache,
                {"nab": relative, "rows": values.size, **network_key(name, network, args.horizon, period)},
                fit_errors,
                name,
                anomaly,
                config.seed,
                values,
                [values],
                args.horizon,
                period,
            )[0]
        add_scoring_variants(file, args)
        signals[relative] = file
    categories = {relative: relative.split("/")[0] for relative in relatives}
    corpora = {}

    def corpus(subset):
        return corpora.setdefault(tuple(subset), scorer.Corpus(str(args.nab_data), str(args.nab_labels), subset))

    families = {
        "change": [["change"], ["change", *SEASONAL]],
        **{name: [[name], [name, *SEASONAL], [name, "change", *SEASONAL]] for name in NETWORK_SIGNALS},
        **{label: [names, [*names, *SEASONAL]] for label, names in SCORING_VARIANTS.items()},
    }
    setting = config_setting(anomaly)
    at_config = {}
    for label, names in SIGNAL_SETS.items():
        chosen = {**setting, "signals": [*names, *SEASONAL]}
        at_config[label] = per_category(
            scorer, corpus, categories, grid_scores(signals, [chosen])[0], chosen["alarm_level"]
        )
    options = {**LIKELIHOOD_GRID, "likelihood_robust": [False]}
    results = {}
    for family, sets in families.items():
        candidates = [
            {"signals": s, **dict(zip(options, values))}
            for s in sets
            for values in itertools.product(*options.values())
        ]
        result = evaluate_family(scorer, corpus, labels, signals, categories, candidates, config_setting(anomaly), True)
        results[family] = {
            "per_category": {c: f["test"]["standard"]["normalized"] for c, f in result["folds"].items()},
            "false_alarm_rows": {c: f["test"]["standard"]["fp"] for c, f in result["folds"].items()},
            "mean": result["mean_category_standard"],
            "worst": result["worst_category_standard"],
            "pooled": result["pooled"]["standard"]["normalized"],
            "event_f1": result["metrics"]["overall"]["event"]["f1"],
        }
    return {"cross_validated": results, "at_config_setting": at_config}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the tables and write the JSON; return 0."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", type=Path, default=ROOT / "configs" / "detect_nab.yaml")
    parser.add_argument("--seed", type=int, default=14, help="seed of the generated series and the injections")
    parser.add_argument("--ett", type=Path, default=ROOT / "data" / "ett" / "ETTh1.csv")
    parser.add_argument("--nab-data", type=Path, default=SHARED / "data" / "nab" / "data")
    parser.add_argument("--nab-labels", type=Path, default=SHARED / "data" / "nab" / "labels" / "combined_windows.json")
    parser.add_argument("--scorer", type=Path, default=SHARED / "tools" / "nab_score.py")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "network_signals")
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / "results" / "network_signals" / "cache")
    parser.add_argument(
        "--nab-cache",
        type=Path,
        default=ROOT / "benchmarks" / "results" / "nab" / "cache",
        help="benchmarks/nab.py's cache of the autoencoder's and the residual detector's errors",
    )
    parser.add_argument(
        "--bases", default="", help="comma-separated substrings: only matching normal series (quick checks)"
    )
    parser.add_argument("--nab", action="store_true", help="also cross-validate every signal family on NAB")
    parser.add_argument("--files", default="", help="with --nab, comma-separated substrings: only matching files")
    parser.add_argument("--horizon", type=int, default=24, help="the multistep detector's forecast steps")
    parser.add_argument(
        "--dispersion-window", type=int, default=24, help="rows whose squared errors the dispersion signals sum"
    )
    parser.add_argument("--tolerance", type=int, default=24, help="rows after an anomaly still inside its label window")
    parser.add_argument(
        "--robust-history", type=int, default=2000, help="errors behind residual_robust's median and MAD"
    )
    args = parser.parse_args(argv)
    nab_parts = [("--nab-data", args.nab_data / part) for part, _ in NAB_PARTS.values()]
    cross_validation = [("--nab-data", args.nab_data), ("--nab-labels", args.nab_labels)] if args.nab else []
    require_nab_files([("--scorer", args.scorer), *nab_parts, *cross_validation])
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    config = load_config(args.config)
    scorer = load_scorer(args.scorer)
    started = time.perf_counter()

    files, windows = injected_corpus(args, config)
    labels_path = args.out / "labels.json"
    labels_path.write_text(json.dumps(windows, indent=1) + "\n")
    corpora = {}

    def corpus(subset):
        return corpora.setdefault(tuple(subset), scorer.Corpus(str(args.out / "data"), str(labels_path), subset))

    setting = config_setting(config.anomaly)
    report = {
        "seed": args.seed,
        "config": str(args.config),
        "setting": setting,
        "robust_history": args.robust_history,
        "injected": {
            label: per_kind(scorer, corpus, files, signal_scores(files, setting, names), setting["alarm_level"])
            for label, names in SIGNAL_SETS.items()
        },
        "learned": learned_combinations(scorer, corpus, files, setting),
    }
    if args.nab:
        report["nab"] = nab_cross_validation(args, config, scorer)
    report["run_time_s"] = time.perf_counter() - started
    print_report(report)
    (args.out / "network_signals.json").write_text(json.dumps(strict_json(report), indent=2, allow_nan=False) + "\n")
    print(f"\nwritten {args.out / 'network_signals.json'}")
    return 0


def print_report(report: dict) -> None:
    """Print the per-kind tables (NAB score, event F1, PR-AUC per signal set), the learned combinations and NAB."""
    print(f"\nInjected anomalies, seed {report['seed']}; run time {report['run_time_s']:.0f} s")
    for metric, label in (("nab_standard", "NAB standard"), ("event_f1", "event F1"), ("pr_auc", "PR-AUC")):
        print(
            f"\n{label:28s} "
            + " ".join(f"{kind[:9]:>9s}" for kind in ANOMALY_KINDS)
            + ("      all" if metric == "nab_standard" else "")
        )
        digits = 1 if metric == "nab_standard" else 2
        for name, kinds in report["injected"].items():
            cells = [f"{kinds[kind][metric]:9.{digits}f}" if kind in kinds else f"{'':9s}" for kind in ANOMALY_KINDS]
            if metric == "nab_standard":
                cells.append(f"{kinds['all']:9.1f}")
            print(f"{name:28s} " + " ".join(cells))
    print("\nlearned combination (logistic regression), NAB standard on the left-out kind:")
    for label, kinds in report["learned"].items():
        print(
            f"  {label:30s} "
            + " ".join(f"{kind}={value['nab_standard']:.1f}" for kind, value in kinds.items())
            + f"  mean {np.mean([value['nab_standard'] for value in kinds.values()]):.1f}"
        )
    nab = report.get("nab")
    if not nab:
        return
    print("\nNAB, cross-validated (leave one category out):")
    for family, result in nab["cross_validated"].items():
        print(
            f"  {family:28s} "
            + " ".join(f"{c}={v:.1f}" for c, v in result["per_category"].items())
            + f"  mean {result['mean']:.1f} worst {result['worst']:.1f} pooled {result['pooled']:.1f} F1 {result['event_f1']:.2f}"
        )
    print("\nNAB at the config's scoring setting (normalised standard score, false alarm rows):")
    for name, groups in nab["at_config_setting"].items():
        print(f"  {name:28s} " + " ".join(f"{g}={v['normalized']:.1f}/{v['fp']}" for g, v in groups.items()))


if __name__ == "__main__":
    sys.exit(main())
