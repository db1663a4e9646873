"""What a trained run says about new data that does not fit it, from the CLI's jobs and the Python API."""

import numpy as np
import pandas as pd
import pytest

from forecaster import AnomalyPipeline, ForecastPipeline
from forecaster.cli.main import main
from forecaster.config import load_config
from forecaster.errors import DataError, RunError
from forecaster.jobs.commands import backtest_job, forecast_job, train_job

pytestmark = pytest.mark.slow


def series_frame(n):
    daily = np.sin(2 * np.pi * np.arange(n) / 24)
    return pd.DataFrame(
        {"date": pd.date_range("2024-01-01", periods=n, freq="h"), "load": 20 + 5 * daily, "temp": 10 + 3 * daily}
    )


def write_series(path, n):
    series_frame(n).to_csv(path, index=False)
    return path


def tiny_config(folder, data):
    path = folder / "tiny.yaml"
    path.write_text(
        f"""
name: tiny
data: {{path: {data}, target_columns: [load], past_covariates: [temp]}}
windows: {{lookback: 24, horizon: 6}}
model: {{units: 4, quantiles: []}}
training: {{epochs: 1, batch_size: 64, verbose: 0}}
report: {{output_dir: {folder / "reports"}}}
"""
    )
    return load_config(path)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("trained")
    return train_job(tiny_config(folder, write_series(folder / "series.csv", 300)), "tiny.yaml")


def test_short_new_data_asks_for_the_runs_lookback_of_history(trained, tmp_path):
    short = write_series(tmp_path / "short.csv", 10)
    with pytest.raises(DataError) as refused:
        forecast_job(trained, short)
    assert str(refused.value) == (
        f"{short}: 10 rows after regularising, but a forecast needs the run's lookback of 24 rows; "
        "pass at least 24 rows of history"
    )


def test_short_training_data_names_lookback_plus_horizon(tmp_path):
    short = write_series(tmp_path / "short.csv", 20)
    with pytest.raises(DataError) as refused:
        train_job(tiny_config(tmp_path, short), "tiny.yaml")
    assert str(refused.value) == (
        f"{short}: 20 rows after regularising, but windows.lookback + windows.horizon (24 + 6) needs at least 30; "
        "use a longer series or a smaller windows.lookback/windows.horizon"
    )


def test_backtesting_a_trained_run_on_short_data_asks_only_for_more_rows(trained, tmp_path):
    short = write_series(tmp_path / "short.csv", 20)
    with pytest.raises(DataError) as refused:
        backtest_job(tiny_config(tmp_path, short), "tiny.yaml", run_dir=trained)
    assert str(refused.value) == (
        f"{short}: 20 rows after regularising, but the run's lookback + horizon (24 + 6) needs at least 30; "
        "use a longer series"
    )


def test_the_python_api_says_the_same():
    pipeline = ForecastPipeline(lookback=24, horizon=6, units=4, epochs=1, quantiles=())
    with pytest.raises(DataError) as refused:
        pipeline.fit(series_frame(20), target_columns=["load"], past_covariates=["temp"])
    assert str(refused.value) == (  # the keyword arguments a Python caller sets, not the config keys
        "data frame: 20 rows after regularising, but lookback + horizon (24 + 6) needs at least 30; "
        "use a longer series or a smaller lookback/horizon"
    )
    pipeline.fit(series_frame(300), target_columns=["load"], past_covariates=["temp"])
    with pytest.raises(DataError) as refused:
        pipeline.backtest(series_frame(20))
    assert str(refused.value) == (  # the fitted windows are fixed: only more rows help
        "data frame: 20 rows after regularising, but the run's lookback + horizon (24 + 6) needs at least 30; "
        "use a longer series"
    )
    with pytest.raises(
        DataError,
        match=r"^data frame: 10 rows after regularising, but a forecast needs the run's lookback of 24 rows; pass at least 24 rows of history$",
    ):
        pipeline.predict(series_frame(10))
    with pytest.raises(DataError) as refused:
        pipeline.predict(future=series_frame(6))
    assert str(refused.value) == (
        "ForecastPipeline.predict: this pipeline was fitted without future covariates "
        "(future_covariates is empty): drop future"
    )


def test_future_values_for_a_run_trained_without_future_covariates_are_refused(trained, tmp_path, capsys):
    data = write_series(tmp_path / "new.csv", 100)
    code = main(["forecast", "--run", str(trained), "--data", str(data), "--future", str(data)])
    assert code == 2
    assert capsys.readouterr().err == (
        f"error: {trained} was trained without future covariates (data.future_covariates is empty): drop --future\n"
    )


def test_a_column_the_run_was_trained_with_is_named_as_such(trained, tmp_path):
    series_frame(100).rename(columns={"temp": "temps"}).to_csv(tmp_path / "renamed.csv", index=False)
    with pytest.raises(DataError) as refused:
        forecast_job(trained, tmp_path / "renamed.csv")
    assert str(refused.value) == (
        f"{tmp_path / 'renamed.csv'}: the run was trained with column 'temp' (data.past_covariates); "
        "the file has columns: date, load, temps"
    )


def test_a_detection_run_is_not_taken_for_a_broken_trained_run(tmp_path):
    folder = AnomalyPipeline(lookback=8, units=4, epochs=1).fit(series_frame(100)).save(tmp_path / "detected")
    with pytest.raises(RunError) as refused:
        forecast_job(folder, write_series(tmp_path / "new.csv", 100))
    assert str(refused.value) == (
        f"{folder}: this is a detection run (it holds detector/ and no scaler.json); "
        "forecasts need a run folder written by forecaster train or forecaster run"
    )
