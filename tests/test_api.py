"""The Python API: ForecastPipeline and AnomalyPipeline on DataFrames, against the CLI's jobs."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from forecaster import AnomalyPipeline, ConfigError, DataError, ForecastPipeline, NotFittedError, RunError
from forecaster.config import load_config

TINY = {"lookback": 24, "horizon": 6, "units": 4, "epochs": 1, "batch_size": 32}


def hourly_frame(n=300, start="2024-01-01", series_id=None, seed=0):
    """One hourly series with a daily cycle: ``date``, ``load`` and a past covariate ``temp``."""
    rng = np.random.default_rng(seed)
    daily = np.sin(2 * np.pi * np.arange(n) / 24)
    frame = pd.DataFrame(
        {
            "date": pd.date_range(start, periods=n, freq="h"),
            "load": 20 + 5 * daily + rng.normal(0, 0.3, n),
            "temp": 10 + 3 * daily + rng.normal(0, 0.3, n),
        }
    )
    if series_id is not None:
        frame.insert(0, "site", series_id)
    return frame


@pytest.fixture(scope="module")
def one_series():
    frame = hourly_frame()
    return frame, ForecastPipeline(**TINY).fit(frame, target_columns=["load"], past_covariates=["temp"])


def test_import_stays_light():
    code = "import sys, forecaster; assert 'keras' not in sys.modules; assert forecaster.__version__"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_init_stores_params_and_clone_round_trips():
    pipeline = ForecastPipeline(lookback=48, quantiles=(0.2, 0.5, 0.8), options={"model.attention": "dot"})
    assert pipeline.lookback == 48 and pipeline.options == {"model.attention": "dot"}
    cloned = clone(pipeline)
    assert cloned.get_params() == pipeline.get_params()
    assert cloned.set_params(units=8).units == 8 and pipeline.units == 64
    assert not hasattr(cloned, "run_")
    detector = clone(AnomalyPipeline(lookback=16, threshold="quantile"))
    assert detector.get_params()["threshold"] == "quantile"


def test_config_round_trips():
    assert ForecastPipeline().to_config().model == load_config(None).model
    config = load_config("configs/etth1_demo.yaml")
    pipeline = ForecastPipeline.from_config("configs/etth1_demo.yaml")
    assert pipeline.to_config() == config
    assert pipeline.units == config.model.units and pipeline.calendar_features == tuple(
        config.windows.calendar_features
    )
    assert AnomalyPipeline.from_config(config).to_config() == config
    assert ForecastPipeline(units=8, options={"model.attention": "dot"}).to_config().model.attention == "dot"


def test_bad_hyperparameters_are_one_line_value_errors():
    with pytest.raises(ConfigError, match="model.units") as error:
        ForecastPipeline(units=0).to_config()
    assert isinstance(error.value, ValueError) and "\n" not in str(error.value)
    with pytest.raises(ConfigError, match="did you mean 'model.units'"):
        ForecastPipeline(options={"model.unit": 3}).to_config()


def test_use_before_fit_raises_not_fitted():
    for call in (lambda: ForecastPipeline().predict(), lambda: AnomalyPipeline().score(hourly_frame())):
        with pytest.raises(NotFittedError, match="call fit") as error:
            call()
        assert isinstance(error.value, ValueError)


def test_data_errors_name_the_column():
    with pytest.raises(DataError, match="no column 'lood'; did you mean 'load'") as error:
        ForecastPipeline(**TINY).fit(hourly_frame(), target_columns=["lood"])
    assert isinstance(error.value, ValueError)
    with pytest.raises(DataError, match="expected a pandas DataFrame"):
        ForecastPipeline(**TINY).fit(np.zeros((10, 2)))


def test_fit_predict_one_series(one_series):
    frame, pipeline = one_series
    forecast = pipeline.predict()
    expected = ["series_id", "origin", "target_time", "step", "column", "forecast", "lower", "upper", "q0.1", "q0.5"]
    assert [column for column in forecast.columns if column in expected + ["q0.9"]] == expected + ["q0.9"]
    assert list(forecast["target_time"]) == list(pd.date_range(frame["date"].iloc[-1], periods=7, freq="h")[1:])
    assert (forecast["step"] == np.arange(1, 7)).all() and (forecast["column"] == "load").all()
    assert forecast["forecast"].between(5, 35).all(), "forecasts are in the data's units"
    assert (forecast["lower"] <= forecast["upper"]).all()
    recent = hourly_frame(n=50, start="2024-03-01", seed=3)
    later = pipeline.predict(recent)
    assert later["origin"].iloc[0] == recent["date"].iloc[-1]
    indexed = pipeline.predict(recent.set_index("date"))
    pd.testing.assert_frame_equal(indexed, later)


def test_fit_leaves_nothing_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ForecastPipeline(**TINY).fit(hourly_frame(n=200), target_columns=["load"])
    assert list(tmp_path.iterdir()) == [], "a Python fit keeps its model in memory and writes no reports/.backup/"


def test_predict_refuses_data_without_the_training_columns(one_series):
    _, pipeline = one_series
    with pytest.raises(
        DataError,
        match=r"^data frame: the run was trained with column 'temp' \(data.past_covariates\); the data frame has columns: date, load$",
    ):
        pipeline.predict(hourly_frame(n=50).drop(columns="temp"))


def test_backtest_returns_metrics_and_predictions(one_series):
    frame, pipeline = one_series
    metrics, predictions = pipeline.backtest(frame)
    assert np.isfinite(metrics["mse"]) and "baselines" in metrics
    assert {"origin", "step", "column", "forecast"} <= set(predictions.columns) and len(predictions) > 0


def test_save_load_round_trip(one_series, tmp_path):
    frame, pipeline = one_series
    folder = pipeline.save(tmp_path / "run")
    for name in ("config.yaml", "model/model.keras", "scaler.json", "schema.json", "intervals.json"):
        assert (folder / name).exists(), name
    loaded = ForecastPipeline.load(folder)
    assert loaded.get_params() == {**pipeline.get_params(), "options": loaded.options}
    assert loaded.options == {"data.target_columns": ["load"], "data.past_covariates": ["temp"]}
    pd.testing.assert_frame_equal(loaded.predict(frame), pipeline.predict(), atol=1e-5)
    with pytest.raises(RunError, match="already exists"):
        pipeline.save(folder)
    assert pipeline.save(folder, overwrite=True) == folder
    with pytest.raises(DataError, match="pass the recent data"):
        loaded.predict()


def test_many_series_in_long_format():
    frame = pd.concat([hourly_frame(series_id="a", seed=1), hourly_frame(series_id="b", seed=2, start="2024-02-01")])
    pipeline = ForecastPipeline(**TINY, quantiles=(), options={"scaling.scope": "per_series"})
    forecast = pipeline.fit(frame, target_columns=["load", "temp"], id_column="site").predict()
    assert len(forecast) == 2 * 6 * 2
    assert list(forecast.groupby("series_id")["origin"].first()) == [
        pd.Timestamp("2024-01-13 11:00"),
        pd.Timestamp("2024-02-13 11:00"),
    ]
    with pytest.raises(DataError, match="were not in the training data"):
        pipeline.predict(hourly_frame(n=50, series_id="c"))


@pytest.mark.slow
def test_python_equals_cli(tmp_path):
    from forecaster.jobs.commands import train_job
    from forecaster.workflow.trained_run import load_trained_run

    frame = hourly_frame()
    frame.to_csv(tmp_path / "series.csv", index=False)
    (tmp_path / "tiny.yaml").write_text(
        f"data: {{path: {tmp_path / 'series.csv'}, target_columns: [load], past_covariates: [temp]}}\n"
        "windows: {lookback: 24, horizon: 6, calendar_features: [hour]}\n"
        "model: {units: 4}\ntraining: {epochs: 2, verbose: 0}\n"
        f"report: {{output_dir: {tmp_path / 'reports'}}}\n"
    )
    config = load_config(tmp_path / "tiny.yaml")
    cli = ForecastPipeline.load(train_job(config, "tiny.yaml"))
    python = ForecastPipeline.from_config(tmp_path / "tiny.yaml").fit(frame)
    assert python.run_.schema == cli.run_.schema
    pd.testing.assert_frame_equal(python.predict(), cli.predict(frame), atol=1e-5)
    assert python.run_.config == load_trained_run(cli.save(tmp_path / "copy")).config


@pytest.fixture(scope="module")
def anomaly_frame():
    values = np.sin(np.arange(400) / 6) + np.random.default_rng(0).normal(0, 0.05, 400)
    values[320:324] += 4.0
    return pd.DataFrame({"date": pd.date_range("2024-01-01", periods=400, freq="h"), "x": values})


@pytest.fixture(scope="module")
def anomaly_pipeline(anomaly_frame):
    return AnomalyPipeline(lookback=16, units=4, epochs=1, threshold="quantile").fit(anomaly_frame)


def test_anomaly_fit_score_events(anomaly_frame, anomaly_pipeline):
    scores = anomaly_pipeline.score(anomaly_frame)
    assert len(scores) == 400 and {"series", "time", "error", "threshold", "flag", "likelihood"} <= set(scores.columns)
    assert scores["error"].iloc[320:324].min() > scores["error"].iloc[200:300].max()
    events = anomaly_pipeline.events(anomaly_frame)
    assert len(events) >= 1
    with pytest.raises(DataError, match="do not match the columns"):
        anomaly_pipeline.score(anomaly_frame.assign(y=1.0))


def test_anomaly_save_load_round_trip(anomaly_frame, anomaly_pipeline, tmp_path):
    folder = anomaly_pipeline.save(tmp_path / "detect")
    for name in ("config.yaml", "detector", "schema.json", "scores.parquet", "events.csv"):
        assert (folder / name).exists(), name
    loaded = AnomalyPipeline.load(folder)
    assert loaded.get_params() == anomaly_pipeline.get_params()
    assert loaded.to_config() == anomaly_pipeline.config_
    pd.testing.assert_frame_equal(loaded.score(anomaly_frame), anomaly_pipeline.score(anomaly_frame), atol=1e-6)


@pytest.mark.slow
def test_anomaly_python_equals_cli(anomaly_frame, tmp_path):
    from forecaster.jobs.detection import detect_job

    anomaly_frame.to_csv(tmp_path / "x.csv", index=False)
    config = load_config(
        None,
        [
            f"data.path={tmp_path / 'x.csv'}",
            f"report.output_dir={tmp_path / 'reports'}",
            "anomaly.lookback=16",
            "anomaly.units=4",
            "anomaly.training.epochs=1",
        ],
    )
    cli_scores = pd.read_parquet(detect_job(config, "x") / "scores.parquet")
    python_scores = AnomalyPipeline.from_config(config).fit(anomaly_frame).score(anomaly_frame)
    np.testing.assert_allclose(python_scores["error"], cli_scores["error"], atol=1e-6)
    assert (python_scores["flag"] == cli_scores["flag"]).all()


def test_future_covariates_reach_the_forecast_and_are_required(tmp_path):
    frames = []
    for site, seed in (("a", 1), ("b", 2)):
        frame = hourly_frame(series_id=site, seed=seed)
        frame["shutdown"] = ((np.arange(len(frame)) // 24) % 4 == 3).astype(float)  # planned: known ahead
        frame["load"] -= 8 * frame["shutdown"]
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    pipeline = ForecastPipeline(**TINY, calendar_features=("hour",)).fit(
        frame, target_columns=["load"], id_column="site", past_covariates=["temp"], future_covariates=["shutdown"]
    )
    assert pipeline.run_.schema["future_covariates"] == ["shutdown"]
    assert pipeline.run_.forecaster.model_.input["future"].shape[-1] == 1 + 2, "the covariate beside hour sin/cos"
    with pytest.raises(DataError, match=r"trained with future covariates \['shutdown'\].*next 6 steps"):
        pipeline.predict()
    steps = pd.date_range(frame["date"].iloc[-1], periods=7, freq="h")[1:]
    future = pd.DataFrame({"site": np.repeat(["a", "b"], 6), "date": np.tile(steps, 2), "shutdown": 1.0})
    with pytest.raises(
        DataError, match=r"'shutdown' has no value for series 'b' at 2024-01-13 17:00:00 \(step 6 of 6\)"
    ):
        pipeline.predict(future=future.iloc[:-1])
    forecast = pipeline.predict(future=future)
    assert len(forecast) == 2 * 6
    assert not np.allclose(forecast["forecast"], pipeline.predict(future=future.assign(shutdown=0.0))["forecast"])
    loaded = ForecastPipeline.load(pipeline.save(tmp_path / "run"))
    pd.testing.assert_frame_equal(loaded.predict(frame, future=future), forecast, atol=1e-5)


@pytest.mark.slow
def test_cli_forecast_takes_future_covariates_from_a_file(tmp_path, capsys):
    from forecaster.cli.main import main

    frame = hourly_frame()
    frame["shutdown"] = ((np.arange(len(frame)) // 24) % 4 == 3).astype(float)
    frame.to_csv(tmp_path / "series.csv", index=False)
    (tmp_path / "tiny.yaml").write_text(
        f"data: {{path: {tmp_path / 'series.csv'}, target_columns: [load], future_covariates: [shutdown]}}\n"
        "windows: {lookback: 24, horizon: 6}\nmodel: {units: 4}\ntraining: {epochs: 1, verbose: 0}\n"
        f"report: {{output_dir: {tmp_path / 'reports'}}}\n"
    )
    assert main(["train", str(tmp_path / "tiny.yaml")]) == 0
    (run,) = (tmp_path / "reports").glob("run-*")
    assert main(["forecast", "--run", str(run), "--data", str(tmp_path / "series.csv")]) == 2
    assert "trained with future covariates ['shutdown']" in capsys.readouterr().err
    steps = pd.date_range(frame["date"].iloc[-1], periods=7, freq="h")[1:]
    pd.DataFrame({"date": steps, "shutdown": [0, 0, 1, 1, 1, 1]}).to_csv(tmp_path / "future.csv", index=False)
    command = [
        "forecast",
        "--run",
        str(run),
        "--data",
        str(tmp_path / "series.csv"),
        "--future",
        str(tmp_path / "future.csv"),
    ]
    assert main(command) == 0
    forecasts = pd.read_csv(capsys.readouterr().out.split("forecasts: ")[1].strip())
    python = ForecastPipeline.load(run).predict(frame, future=pd.read_csv(tmp_path / "future.csv"))
    np.testing.assert_allclose(forecasts["forecast"], python["forecast"], rtol=1e-5)
