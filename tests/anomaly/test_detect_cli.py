"""``forecaster detect`` end to end: train and write a run, then apply the saved detector to new data."""

import json

import keras
import numpy as np
import pandas as pd
import pytest

from forecaster.cli.main import main
from forecaster.config import load_config
from forecaster.jobs.detection import detect_job

pytestmark = pytest.mark.slow


def write_series(path, seed, n=900, spike_at=None):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    frame = pd.DataFrame(
        {
            "date": pd.date_range("2024-01-01", periods=n, freq="h"),
            "load": np.sin(2 * np.pi * t / 24) + 0.05 * rng.normal(size=n),
            "temp": np.cos(2 * np.pi * t / 24) + 0.05 * rng.normal(size=n),
        }
    )
    if spike_at is not None:
        frame.loc[spike_at, "temp"] += 4.0
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def config(tmp_path):
    data = write_series(tmp_path / "series.csv", seed=0, spike_at=700)
    path = tmp_path / "detect.yaml"
    path.write_text(
        f"""
name: tiny
data: {{path: {data}}}
anomaly:
  detector: residual
  kind: gru
  units: 8
  lookback: 24
  training: {{epochs: 3}}
  normal_fraction: 0.6
  events: {{close_after: 5}}
  threshold: {{method: quantile, quantile: 0.999}}
report: {{output_dir: {tmp_path / "reports"}}}
"""
    )
    return path


def test_detect_trains_writes_scores_and_events_then_applies_the_saved_detector(config, tmp_path, capsys):
    assert main(["detect", str(config)]) == 0
    run = next((tmp_path / "reports").glob("tiny-detect-*"))
    for name in (
        "config.yaml",
        "schema.json",
        "scores.parquet",
        "events.csv",
        "metrics.json",
        "index.html",
        "detector/detector.json",
        "figures/detection_0.png",
    ):
        assert (run / name).exists(), name
    scores = pd.read_parquet(run / "scores.parquet")
    assert len(scores) == 900
    assert {"error", "threshold", "flag", "likelihood", "log_likelihood", "error_load", "error_temp"} <= set(
        scores.columns
    )
    events = pd.read_csv(run / "events.csv")
    spike = pd.Timestamp("2024-01-01") + pd.Timedelta(hours=700)
    hits = events[
        (pd.to_datetime(events["start"]) <= spike + pd.Timedelta(hours=2)) & (pd.to_datetime(events["end"]) >= spike)
    ]
    assert len(hits) == 1 and hits.iloc[0]["top_features"].startswith("temp")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["n_points"] == 900 and metrics["n_events"] == len(events)
    (grouped,) = [line for line in json.loads((run / "page.json").read_text())["summary"] if "grouped into" in line]
    assert grouped.endswith(
        f"grouped into {len(events)} event{'' if len(events) == 1 else 's'}; the events table lists them by severity."
    )

    new_data = write_series(tmp_path / "new.csv", seed=5, n=300)
    assert main(["detect", str(config), "--run", str(run), "--data", str(new_data)]) == 0
    applied = next((tmp_path / "reports").glob("tiny-apply-*"))
    assert len(pd.read_parquet(applied / "scores.parquet")) == 300
    assert json.loads((applied / "metrics.json").read_text())["detector_run"] == str(run)


def test_detect_refuses_a_run_trained_with_another_network(config, tmp_path, capsys):
    assert main(["detect", str(config)]) == 0
    run = next((tmp_path / "reports").glob("tiny-detect-*"))
    assert main(["detect", str(config), "--run", str(run), "--set", "anomaly.units=4"]) == 2
    assert "anomaly.units" in capsys.readouterr().err
    assert main(["detect", str(config), "--run", str(run), "--set", "anomaly.training.ensemble=2"]) == 2
    assert "--set anomaly.training.ensemble: fixed when" in capsys.readouterr().err


def test_a_killed_detect_resumes_its_training_from_the_backup(config, tmp_path, monkeypatch):
    original_fit = keras.Model.fit
    started: list[int] = []

    class Stop(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            started.append(epoch)

        def on_epoch_end(self, epoch, logs=None):
            if epoch == 0 and len(started) == 1:
                raise KeyboardInterrupt  # a kill after the first epoch's checkpoint

    def fit(model, *args, callbacks=(), **kwargs):
        return original_fit(model, *args, callbacks=[*callbacks, Stop()], **kwargs)

    monkeypatch.setattr(keras.Model, "fit", fit)
    with pytest.raises(KeyboardInterrupt):
        detect_job(load_config(config), str(config))
    backups = list((tmp_path / "reports" / ".backup").glob("tiny-detect-*[!k]"))
    assert len(backups) == 1 and (backups[0] / "checkpoint.npz").is_file()
    run = detect_job(load_config(config), str(config))
    assert started == [0, 1, 2]  # the second run resumed at epoch 2 of 3
    assert len(json.loads((run / "detector" / "detector.json").read_text())["history"]["loss"]) == 3
    assert not backups[0].exists()  # removed once the run folder is written


@pytest.fixture
def trained_run(config, tmp_path):
    assert main(["detect", str(config)]) == 0
    return next((tmp_path / "reports").glob("tiny-detect-*"))


def test_detect_refuses_data_of_another_frequency(config, trained_run, tmp_path, capsys):
    daily = tmp_path / "daily.csv"
    frame = pd.read_csv(write_series(tmp_path / "hourly.csv", seed=6, n=300))
    frame.assign(date=pd.date_range("2024-01-01", periods=300, freq="D")).to_csv(daily, index=False)
    assert main(["detect", str(config), "--run", str(trained_run), "--data", str(daily)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"{daily}: rows are 'D' apart, but the detector in {trained_run} was trained on 'h' data" in err
    assert len(err.splitlines()) == 1


def test_detect_refuses_a_broken_schema(config, trained_run, capsys):
    broken = [
        {"frequency": "h"},
        {"columns": ["load", "temp"]},
        ["load", "temp"],
        {"columns": ["load", "temp"], "frequency": "fortnightly"},
    ]
    for schema in broken:
        (trained_run / "schema.json").write_text(json.dumps(schema))
        assert main(["detect", str(config), "--run", str(trained_run)]) == 2, schema
        err = capsys.readouterr().err.strip()
        assert err.startswith(f"error: {trained_run / 'schema.json'}: ") and len(err.splitlines()) == 1
