"""Train, backtest and forecast jobs end to end on a small synthetic series."""

import json

import numpy as np
import pandas as pd
import pytest

from forecaster.config import load_config
from forecaster.errors import DataError, RunError
from forecaster.jobs.commands import backtest_job, forecast_job, run_main_job, train_job
from forecaster.reports.sections import losing_warnings
from forecaster.workflow.trained_run import load_trained_run

pytestmark = pytest.mark.slow


def write_series(path, n=900, freq="h", level=20.0, start="2024-01-01"):
    index = pd.date_range(start, periods=n, freq=freq)
    rng = np.random.default_rng(1)
    daily = np.sin(2 * np.pi * np.arange(n) / 24)
    frame = pd.DataFrame(
        {
            "date": index,
            "load": level + 5 * daily + rng.normal(0, 0.5, n),
            "temp": 10 + 3 * daily + rng.normal(0, 0.3, n),
        }
    )
    frame.to_csv(path, index=False)
    return path


@pytest.fixture
def config(tmp_path):
    data = write_series(tmp_path / "series.csv")
    text = f"""
name: tiny
data: {{path: {data}, target_columns: [load], past_covariates: [temp]}}
windows: {{lookback: 48, horizon: 12, calendar_features: [hour]}}
model: {{units: 8, quantiles: [0.1, 0.5, 0.9]}}
training: {{epochs: 2, batch_size: 64, verbose: 0}}
anomaly: {{units: 4, lookback: 16, training: {{epochs: 1}}}}
report: {{output_dir: {tmp_path / "reports"}}}
"""
    path = tmp_path / "tiny.yaml"
    path.write_text(text)
    return load_config(path)


def test_train_then_forecast_new_data(tmp_path, config):
    run = train_job(config, "tiny.yaml")
    for name in (
        "model/model.keras",
        "scaler.json",
        "schema.json",
        "intervals.json",
        "config.yaml",
        "metrics.json",
        "index.html",
    ):
        assert (run / name).exists(), name
    new_data = write_series(tmp_path / "new.csv", n=100, start="2024-03-01")
    out = forecast_job(run, new_data)
    forecasts = pd.read_csv(out / "forecasts.csv", parse_dates=["origin", "target_time"])
    assert len(forecasts) == 12
    assert forecasts["origin"].iloc[0] == pd.Timestamp("2024-03-01") + pd.Timedelta(hours=99)
    assert list(forecasts["target_time"]) == list(pd.date_range("2024-03-05 04:00", periods=12, freq="h"))
    assert (forecasts["lower"] <= forecasts["forecast"]).all() and (forecasts["forecast"] <= forecasts["upper"]).all()
    assert forecasts["forecast"].between(5, 35).all()
    # The forecast page repeats the trained run's warnings that a baseline beats its model.
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["validation"]["baselines"]["naive"]["mse"] = metrics["validation"]["mse"] / 2  # the naive baseline wins
    (run / "metrics.json").write_text(json.dumps(metrics))
    warnings = json.loads((forecast_job(run, new_data) / "page.json").read_text())["warnings"]
    assert [w for w in warnings if w.startswith("The trained run: ")] == [
        f"The trained run: {sentence}" for sentence in losing_warnings(metrics)
    ]
    assert any("the model loses to" in w and "naive" in w for w in warnings)


def test_forecast_refuses_data_that_does_not_fit_the_run(tmp_path, config):
    run = train_job(config, "tiny.yaml")
    with pytest.raises(DataError, match=r"rows are '15min' apart, but the run was trained on 'h' data"):
        forecast_job(run, write_series(tmp_path / "fast.csv", n=300, freq="15min"))
    with pytest.raises(DataError, match=r"column 'load' of series 0 sits \d+ training scales from its training level"):
        forecast_job(run, write_series(tmp_path / "units.csv", n=100, level=20_000.0))
    pd.read_csv(tmp_path / "series.csv").drop(columns="temp").to_csv(tmp_path / "cols.csv", index=False)
    with pytest.raises(DataError, match=r"the run was trained with column 'temp' \(data.past_covariates\)"):
        forecast_job(run, tmp_path / "cols.csv")
    with pytest.raises(DataError, match="needs the run's lookback of 48 rows; pass at least 48 rows of history"):
        forecast_job(run, write_series(tmp_path / "short.csv", n=30))
    with pytest.raises(RunError, match="missing config.yaml; this is not a trained run"):
        forecast_job(tmp_path, tmp_path / "series.csv")


def test_backtest_scores_a_saved_run_like_a_fresh_one(config):
    trained_dir = train_job(config, "tiny.yaml")
    scored = json.loads((backtest_job(config, "tiny.yaml", trained_dir) / "metrics.json").read_text())
    assert scored["n_test_windows"] > 0
    assert set(scored["baselines"]) == {"naive", "seasonal_naive", "linear"}
    assert scored["mse"] == pytest.approx(scored["model"]["scaled"]["overall"]["mse"])
    assert "validation" not in scored  # a reloaded run keeps no validation scores; its training run's metrics do
    assert json.loads((trained_dir / "metrics.json").read_text())["validation"]["mse"] > 0
    reloaded = load_trained_run(trained_dir)
    assert reloaded.schema["lookback"] == 48 and reloaded.schema["target_columns"] == ["load"]


def test_backtest_refuses_a_run_of_another_shape(config):
    trained_dir = train_job(config, "tiny.yaml")
    other = config.model_copy(update={"windows": config.windows.model_copy(update={"horizon": 6})})
    with pytest.raises(RunError, match=r"trained with horizon 12, but the config asks for 6"):
        backtest_job(other, "tiny.yaml", trained_dir)


def test_main_job_writes_every_artefact(config):
    run = run_main_job(config, "tiny.yaml")
    metrics = json.loads((run / "metrics.json").read_text())
    assert {"mse", "mae", "model", "baselines", "skill", "intervals", "data", "windows", "training"} <= set(metrics)
    assert metrics["validation"]["windows"] > 0 and metrics["validation"]["mse"] > 0
    assert set(metrics["validation"]["baselines"]) == {"naive", "seasonal_naive", "linear"}
    predictions = pd.read_parquet(run / "predictions.parquet")
    assert {"series_id", "origin", "target_time", "step", "q0.1", "q0.5", "q0.9", "actual"} <= set(predictions.columns)
    assert len(pd.read_csv(run / "forecasts.csv")) == 12
    assert {"n_events", "n_flagged", "threshold"} <= set(metrics["anomaly"])
    for name in ("scores.parquet", "events.csv", "schema.json", "detector"):
        assert (run / "anomaly" / name).exists(), name
    assert len(pd.read_parquet(run / "anomaly" / "scores.parquet")) == 900
    figures = {path.stem for path in (run / "figures").glob("*.png")}
    assert {
        "series_overview",
        "training_history",
        "error_by_step",
        "actual_vs_predicted",
        "forecast_examples",
        "residuals",
        "forecast",
        "gates",
    } <= figures
    assert any(stem.startswith("detection") for stem in figures)
    page = (run / "index.html").read_text()
    assert "Accuracy against the baselines" in page and "Forecast" in page and "seasonal naive" in page
    assert "Anomaly detection" in page
    n_events, n_scored = metrics["anomaly"]["n_events"], metrics["anomaly"]["n_scored"]
    summary = json.loads((run / "page.json").read_text())["summary"]
    assert summary[0].startswith("LSTM network (recurrent encoder, 8 units, 1 layer) forecasting load")
    assert (
        f"Anomaly scan: {n_events} event{'' if n_events == 1 else 's'} over {n_scored} scored points "
        "(section Anomaly detection)." in summary
    )
    assert "Read this first" in page or "Validation: the model beats every baseline" in page


def test_a_saved_run_reloads_and_forecasts_identically(config):
    run = run_main_job(config, "tiny.yaml")
    in_memory = pd.read_csv(run / "forecasts.csv")
    reloaded = pd.read_csv(forecast_job(run, config.data.path) / "forecasts.csv")
    pd.testing.assert_frame_equal(reloaded, in_memory, check_exact=False, rtol=1e-6)


def test_forecast_names_training_columns_missing_from_new_data(tmp_path, config):
    auto = config.model_copy(
        update={"data": config.data.model_copy(update={"target_columns": [], "past_covariates": []})}
    )
    run = train_job(auto, "tiny.yaml")
    pd.read_csv(tmp_path / "series.csv").drop(columns="temp").to_csv(tmp_path / "no_temp.csv", index=False)
    with pytest.raises(DataError, match=r"the run was trained on columns \['temp'\] that this data lacks"):
        forecast_job(run, tmp_path / "no_temp.csv")


def test_a_corrupt_model_file_is_a_one_line_run_error(tmp_path, config):
    run = train_job(config, "tiny.yaml")
    (run / "model" / "model.keras").write_bytes(b"not a zip file")
    with pytest.raises(RunError, match=r"model.keras: not a loadable Keras model \(ValueError\); train the run again$"):
        load_trained_run(run)


def test_main_job_with_future_covariates_says_why_it_does_not_forecast_past_the_end(config):
    data = config.data.model_copy(update={"past_covariates": [], "future_covariates": ["temp"]})
    run = run_main_job(config.model_copy(update={"data": data}), "tiny.yaml")
    assert (run / "predictions.parquet").is_file() and not (run / "forecasts.csv").exists()
    page = (run / "index.html").read_text()
    assert "No forecast past the end of the data: the future covariates temp are not known there" in page
