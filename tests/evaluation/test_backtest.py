"""Backtests score the model and baselines on the same windows and save honest predictions."""

import numpy as np
import pandas as pd
import pytest

from forecaster.config import EvaluationConfig, ScalingConfig, SplitConfig
from forecaster.data import SeriesCollection
from forecaster.evaluation import LinearWindowForecaster, losing_baselines
from forecaster.evaluation.backtest import run_backtest
from forecaster.windows.pipeline import prepare_windows
from forecaster.windows.spec import WindowSpec


@pytest.fixture(scope="module")
def windowed():
    index = pd.date_range("2023-01-01", periods=600, freq="h", name="date")
    rng = np.random.default_rng(0)
    level = 10 + 3 * np.sin(2 * np.pi * np.arange(600) / 24)
    frame = pd.DataFrame({"a": level + rng.normal(0, 0.3, 600), "b": 2 * level + rng.normal(0, 0.3, 600)}, index=index)
    collection = SeriesCollection(frame, ("s",), np.array([0, 600]), "h")
    spec = WindowSpec(lookback=48, horizon=12, stride=1, target_columns=("a", "b"))
    return prepare_windows(collection, spec, SplitConfig(), ScalingConfig(), batch_size=64, seed=0)


def linear_predict(windowed):
    train_inputs, train_targets = windowed.train.arrays()[:2]
    model = LinearWindowForecaster().fit(train_inputs["past"][..., :2], train_targets)
    return lambda dataset: model.predict(dataset.arrays()[0]["past"][..., :2])


def test_model_and_baselines_are_scored_on_the_same_windows(windowed):
    result = run_backtest(linear_predict(windowed), windowed, [], EvaluationConfig())
    metrics = result.metrics
    assert metrics["n_test_windows"] == windowed.test.n_windows
    linear = metrics["baselines"]["linear"]["scaled"]["overall"]
    model = metrics["model"]["scaled"]["overall"]
    assert {name: model[name] for name in linear} == pytest.approx(linear, nan_ok=True)  # MAPE: NaN, actuals cross 0
    assert set(metrics["baselines"]) == {"naive", "seasonal_naive", "linear"}
    assert metrics["mse"] < metrics["baselines"]["naive"]["scaled"]["overall"]["mse"]
    assert metrics["skill"]["reference"] == "seasonal_naive"
    assert len(metrics["model"]["scaled"]["per_step"]["mse"]) == 12
    assert 0.5 < metrics["intervals"]["test_coverage"] <= 1.0


def test_validation_scores_are_reported_for_choosing_configurations(windowed):
    predict = linear_predict(windowed)
    metrics = run_backtest(predict, windowed, [], EvaluationConfig()).metrics
    targets = windowed.val.arrays()[1]
    expected = np.mean((predict(windowed.val) - targets) ** 2)
    assert metrics["validation"]["windows"] == windowed.val.n_windows
    assert metrics["validation"]["mse"] == pytest.approx(expected, rel=1e-5)
    assert metrics["validation"]["mse"] != pytest.approx(metrics["mse"])


def test_every_baseline_is_scored_on_the_validation_windows(windowed):
    metrics = run_backtest(linear_predict(windowed), windowed, [], EvaluationConfig()).metrics
    validation = metrics["validation"]
    assert set(validation["baselines"]) == {"naive", "seasonal_naive", "linear"}
    inputs, targets = windowed.val.arrays()[:2]
    last = inputs["past"][:, -1:, :2]
    day_ago = inputs["past"][:, -24:-12, :2]  # horizon 12 <= period 24: step h repeats x[lookback - 24 + h - 1]
    assert validation["baselines"]["naive"]["mse"] == pytest.approx(np.mean((last - targets) ** 2), rel=1e-5)
    assert validation["baselines"]["naive"]["mae"] == pytest.approx(np.mean(np.abs(last - targets)), rel=1e-5)
    assert validation["baselines"]["seasonal_naive"]["mse"] == pytest.approx(
        np.mean((day_ago - targets) ** 2), rel=1e-5
    )
    # the model is the linear baseline refitted, so the two score alike on validation as on test
    assert validation["baselines"]["linear"] == pytest.approx(
        {"mse": validation["mse"], "mae": validation["mae"]}, rel=1e-4
    )
    assert validation["baselines"]["naive"]["mse"] != pytest.approx(
        metrics["baselines"]["naive"]["scaled"]["overall"]["mse"]
    )


def _scores(model: float, **baselines: float) -> dict:
    """Metrics shaped as a backtest writes them, with the same MSE on test and validation."""
    return {
        "mse": model,
        "baselines": {name: {"scaled": {"overall": {"mse": mse}}} for name, mse in baselines.items()},
        "validation": {
            "mse": model,
            "windows": 10,
            "baselines": {name: {"mse": mse} for name, mse in baselines.items()},
        },
    }


@pytest.mark.parametrize("split", ["test", "validation"])
def test_losing_baselines_names_those_that_beat_the_model_best_first(split):
    assert losing_baselines(_scores(0.5, naive=0.9, seasonal_naive=0.4, linear=0.3), split) == [
        "linear",
        "seasonal_naive",
    ]
    assert losing_baselines(_scores(0.5, naive=0.9, linear=0.5), split) == []  # a tie is no loss


def test_losing_baselines_reads_a_real_backtest(windowed):
    metrics = run_backtest(linear_predict(windowed), windowed, [], EvaluationConfig()).metrics
    assert "naive" not in losing_baselines(metrics, "test")
    assert "naive" not in losing_baselines(metrics, "validation", metric="mae")


def test_losing_baselines_refuses_what_it_cannot_answer():
    scores = _scores(0.5, naive=0.9)
    with pytest.raises(ValueError, match="split must be 'test' or 'validation'; got 'val'"):
        losing_baselines(scores, "val")
    with pytest.raises(ValueError, match="metric must be 'mse' or 'mae'; got 'rmse'"):
        losing_baselines(scores, metric="rmse")
    del scores["validation"]
    with pytest.raises(ValueError, match="no validation scores"):
        losing_baselines(scores, "validation")


def test_predictions_table_holds_every_window_step_and_target_with_true_actuals(windowed):
    result = run_backtest(linear_predict(windowed), windowed, [], EvaluationConfig())
    table = result.predictions
    assert len(table) == windowed.test.n_windows * 12 * 2
    raw = windowed.collection.frame
    actual = raw.to_numpy()[raw.index.get_indexer(table["target_time"]), np.where(table["column"] == "a", 0, 1)]
    np.testing.assert_allclose(table["actual"].to_numpy(), actual, rtol=1e-5)
    assert (table["lower"] <= table["forecast"]).all() and (table["forecast"] <= table["upper"]).all()
    assert (table["target_time"] > table["origin"]).all()
    first = table[table["origin"] == table["origin"].iloc[0]]
    assert sorted(first["step"].unique()) == list(range(1, 13))


def test_predictions_every_keeps_every_kth_origin(windowed):
    result = run_backtest(linear_predict(windowed), windowed, [], EvaluationConfig(predictions_every=5))
    assert result.predictions["origin"].nunique() == len(range(0, windowed.test.n_windows, 5))
    assert result.metrics["n_test_windows"] == windowed.test.n_windows


def test_quantile_models_get_conformalised_quantile_intervals(windowed):
    point = linear_predict(windowed)
    quantiles = [0.1, 0.5, 0.9]
    result = run_backtest(
        lambda dataset: np.stack([point(dataset) - 0.2, point(dataset), point(dataset) + 0.2], axis=-1),
        windowed,
        quantiles,
        EvaluationConfig(),
    )
    assert result.metrics["intervals"]["method"] == "conformalised quantiles"
    assert {"q0.1", "q0.5", "q0.9"} <= set(result.predictions.columns)
    np.testing.assert_allclose(result.predictions["q0.5"], result.predictions["forecast"])
    assert "pinball" in result.metrics["model"]["scaled"]["overall"]


def test_backtest_without_a_validation_split_says_what_to_change(windowed):
    from dataclasses import replace

    from forecaster.errors import ConfigError

    with pytest.raises(ConfigError, match="a backtest needs a 'val' split; give split.val some rows"):
        run_backtest(linear_predict(windowed), replace(windowed, val=None), [], EvaluationConfig())


def test_mase_is_left_out_when_training_rows_are_shorter_than_the_period(windowed):
    result = run_backtest(linear_predict(windowed), windowed, [], EvaluationConfig(seasonal_period=480))
    assert "mase" not in result.metrics["model"]["original"]["overall"]
    assert "seasonal_naive" not in result.metrics["baselines"]
