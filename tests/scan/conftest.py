"""A tiny detector trained once on long-format data, the data it scans, and helpers to scan and read a store."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from forecaster.cli.main import main
from forecaster.store import ScanStore

N_ROWS = 700
SERIES = ("a", "b", "c")
CONFIG = {
    "name": "tiny",
    "seed": 3,
    "data": {"path": "long.csv", "id_column": "id"},
    "anomaly": {
        "units": 4,
        "lookback": 8,
        "training": {"epochs": 1, "batch_size": 128},
        "normal_fraction": 0.5,
        "ewma_span": 3,
        "likelihood_history": 60,
        "likelihood_window": 4,
        "seasonal_periods": ["4h"],
        "seasonal_cycles": 2,
        "alarm_quiet_rows": 6,
        "threshold": {"method": "quantile", "quantile": 0.97},
        "events": {"min_points": 2, "within": "20min", "cooldown": "30min", "close_after": "15min"},
    },
    "scan": {"group_size": 2, "lock_timeout": 2},
}


def long_data(n_rows: int = N_ROWS, series=SERIES) -> pd.DataFrame:
    """Five-minute sine series on very different scales, each with a few planted bursts."""
    rng = np.random.default_rng(0)
    times = pd.date_range("2024-01-01", periods=n_rows, freq="5min")
    frames = []
    for k, name in enumerate(series):
        level, amplitude = 10.0 ** (k * 2 - 1), 10.0 ** (k * 2 - 2)
        values = level + amplitude * (np.sin(2 * np.pi * np.arange(n_rows) / 48) + 0.1 * rng.normal(size=n_rows))
        for burst in (420 + 7 * k, 520 + 11 * k, 600 + 5 * k):
            values[burst : burst + 4] += 5 * amplitude
        frames.append(pd.DataFrame({"date": times, "id": name, "value": values}))
    return pd.concat(frames, ignore_index=True)


@pytest.fixture(scope="session")
def project(tmp_path_factory):
    """A project folder with ``config.yaml``, ``long.csv`` and a trained per-series detection run."""
    folder = tmp_path_factory.mktemp("scan_project")
    long_data().to_csv(folder / "long.csv", index=False)
    (folder / "config.yaml").write_text(yaml.safe_dump(CONFIG))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        assert main(["detect", "config.yaml"]) == 0
    run = next((folder / "reports").glob("tiny-detect-*"))
    return folder, run


def read_store(url: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The store's scores and events, in a canonical order without scan ids, for comparisons."""
    store = ScanStore(url, create=False)
    scores = store.read_table("scores").drop(columns="scan_id").sort_values(["series", "time"]).reset_index(drop=True)
    events = (
        store.list_events()
        .drop(columns=["id", "first_scan", "last_scan"])
        .sort_values(["series", "start"])
        .reset_index(drop=True)
    )
    store.close()
    return scores, events


def assert_same_store(left: str, right: str) -> None:
    """Scores and events equal: exactly, except the likelihood's rolling statistics (float rounding)."""
    scores_left, events_left = read_store(left)
    scores_right, events_right = read_store(right)
    approximate = ["likelihood", "log_likelihood", "alarm"]
    pd.testing.assert_frame_equal(scores_left.drop(columns=approximate), scores_right.drop(columns=approximate))
    pd.testing.assert_frame_equal(scores_left[approximate], scores_right[approximate], rtol=1e-7, atol=1e-9)
    pd.testing.assert_frame_equal(events_left, events_right)
