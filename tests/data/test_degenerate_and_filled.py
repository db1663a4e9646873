"""Degenerate series (constant, one spike, empty columns) and filled rows that detectors must not learn from or flag."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from forecaster.anomaly.pipeline import detect
from forecaster.config import AnomalyConfig, DataConfig, ForecasterConfig
from forecaster.data import validate_series
from forecaster.errors import DataError

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]


def test_all_empty_columns_are_left_out_of_the_targets():
    raw = pd.DataFrame(
        {"date": pd.date_range("2024-01-01", periods=5, freq="h").astype(str), "v": np.arange(5.0), "dead": np.nan}
    )
    collection, report = validate_series(raw, DataConfig(path="f.csv"), "f.csv")
    assert collection.columns == ["v"] and report.empty_columns == ["dead"]


@pytest.mark.slow
@pytest.mark.parametrize("fill", ["interpolate", "mask"])
def test_filled_outage_is_neither_trained_on_nor_flagged(load_case, fill):
    collection, report = load_case("c13_outage_gap.csv", time_column="timestamp", fill=fill)
    assert len(collection.frame) == 520 and report.timestamps_inserted == report.rows_filled == 120
    gap = collection.frame.index[collection.filled]
    assert (gap[0], gap[-1]) == (pd.Timestamp("2024-01-11 10:00"), pd.Timestamp("2024-01-16 09:00"))
    result = detect(ForecasterConfig(anomaly=AnomalyConfig(units=4, lookback=24, training={"epochs": 2})), collection)
    scores = result.scores
    assert scores["filled"].sum() == 120 and not (scores["normal"] & scores["filled"]).any()
    assert scores.loc[scores["filled"], "error"].isna().all() and not scores.loc[scores["filled"], "flag"].any()
    assert result.metrics["reference_error"]["n"] > 0
    assert result.metrics["n_flagged"] <= 0.03 * len(scores)


@pytest.mark.slow
def test_one_spike_on_a_flat_line_is_one_event_at_the_spike():
    values = np.full(300, 5.0)
    values[220] = 9.0
    raw = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=300, freq="h").astype(str), "v": values})
    collection, _ = validate_series(raw, DataConfig(path="f.csv"), "f.csv")
    lookback = 12
    result = detect(
        ForecasterConfig(
            anomaly=AnomalyConfig(units=4, lookback=lookback, training={"epochs": 2}, normal_fraction=0.6)
        ),
        collection,
    )
    assert len(result.events) == 1
    event = result.events.iloc[0]
    assert event["start"] == event["peak_time"] == pd.Timestamp("2024-01-10 04:00")
    assert event["n_points"] <= lookback


@pytest.mark.slow
def test_constant_sensor_runs_with_a_constant_forecast_and_undefined_mase(tmp_path):
    config = {
        "name": "constant",
        "data": {"path": str(FIXTURES / "c11_constant_sensor.csv"), "time_column": "timestamp"},
        "windows": {"lookback": 24, "horizon": 6},
        "model": {"units": 4},
        "training": {"epochs": 1, "verbose": 0, "max_train_windows": 128},
        "anomaly": {"units": 4, "lookback": 24, "training": {"epochs": 1, "max_train_windows": 256}},
        "report": {"output_dir": "out"},
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(config))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "forecaster.cli.main", "run", "c.yaml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    (run,) = (tmp_path / "out").glob("constant-*")
    forecasts = pd.read_csv(run / "forecasts.csv")
    assert list(forecasts["target_time"]) == list(pd.date_range("2024-01-13 12:00", periods=6, freq="h").astype(str))
    np.testing.assert_allclose(forecasts["forecast"], 5.0, atol=0.05)
    metrics = json.loads((run / "metrics.json").read_text())
    assert "mase" not in metrics["model"]["original"]["overall"]
    assert metrics["anomaly"]["n_flagged"] == 0


def test_a_normal_period_inside_a_filled_gap_is_refused_naming_the_gap(load_case):
    collection, _ = load_case("c13_outage_gap.csv", time_column="timestamp", fill="mask")
    config = ForecasterConfig(
        anomaly=AnomalyConfig(lookback=24, normal="dates", normal_start="2024-01-10 12:00", normal_end="2024-01-17")
    )
    with pytest.raises(
        DataError,
        match=r"lower anomaly.lookback \(120 declared normal rows, the first at "
        r"2024-01-11 10:00:00, were filled gaps and are not trained on\)",
    ):
        detect(config, collection)
