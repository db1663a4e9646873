"""Forecasting figures: each draws on small inputs, writes a real PNG, and leaves nothing open."""

from __future__ import annotations

import gc
import resource
import subprocess
import sys
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from forecaster.reports.forecasts import (
    autocorrelation,
    plot_actual_vs_predicted,
    plot_error_by_step,
    plot_forecast_examples,
    plot_residuals,
    plot_training_history,
)
from forecaster.reports.style import PNG_DPI, new_figure, save_figure, styled

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _predictions(n_origins=6, horizon=4):
    origins = pd.date_range("2021-01-02", periods=n_origins, freq=f"{horizon}h")
    steps = np.tile(np.arange(1, horizon + 1), n_origins)
    origin = np.repeat(origins, horizon)
    target = origin + pd.to_timedelta(steps, unit="h")
    actual = np.sin(np.arange(len(steps)) / 3.0)
    forecast = actual + 0.1 * np.cos(np.arange(len(steps)))
    return pd.DataFrame(
        {
            "series_id": "s",
            "origin": origin,
            "target_time": target,
            "step": steps,
            "column": "y",
            "forecast": forecast,
            "lower": forecast - 0.5,
            "upper": forecast + 0.5,
            "actual": actual,
        }
    )


def _history():
    index = pd.date_range("2021-01-01", periods=72, freq="h")
    return pd.DataFrame({"y": np.sin(np.arange(72) / 3.0)}, index=index)


def _metrics(horizon=4):
    per_step = {"mae": list(np.linspace(0.1, 0.3, horizon))}
    scores = {"scaled": {"per_step": per_step}}
    return {"model": scores, "baselines": {"naive": scores, "seasonal_naive": scores, "linear": scores}}


FIGURES = {
    "forecast_examples": lambda: plot_forecast_examples(_predictions(), _history(), "y", lookback=24),
    "future_forecast": lambda: plot_forecast_examples(
        _predictions(1).assign(actual=np.nan), _history(), "y", n_examples=1
    ),
    "actual_vs_predicted": lambda: plot_actual_vs_predicted(_predictions(), "y"),
    "error_by_step": lambda: plot_error_by_step(_metrics()),
    "training_history": lambda: plot_training_history({"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.6, 0.7]}),
    "residuals": lambda: plot_residuals(_predictions(), "y", max_lag=8),
    "constant_residuals": lambda: plot_residuals(_predictions().assign(forecast=lambda f: f["actual"] + 1), "y"),
}


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_every_forecasting_figure_writes_a_titled_png(tmp_path, name):
    figure = FIGURES[name]()
    assert figure._suptitle is not None or any(axis.get_title() for axis in figure.axes)
    assert all(axis.get_ylabel() or axis.get_xlabel() for axis in figure.axes)
    path = save_figure(figure, tmp_path / f"{name}.png")
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC and len(data) > 5_000
    assert plt.get_fignums() == []


def test_png_is_written_at_150_dpi(tmp_path):
    figure = new_figure(2.0, width=4.0)
    styled(figure.subplots()).plot([0, 1])
    path = save_figure(figure, tmp_path / "f.png", svg=True)
    width = int.from_bytes(path.read_bytes()[16:20], "big")
    assert PNG_DPI == 150 and width == 4 * PNG_DPI
    assert path.with_suffix(".svg").read_text().lstrip().startswith("<?xml")


def test_best_epoch_is_marked_on_the_training_curve():
    figure = plot_training_history({"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.6, 0.7]})
    legend = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert "best (epoch 2)" in legend


def test_autocorrelation_matches_the_definition():
    rng = np.random.default_rng(0)
    x = rng.normal(size=200)
    lags, acf = autocorrelation(x, 5)
    centred = x - x.mean()
    expected = [np.dot(centred[:-k], centred[k:]) / np.dot(centred, centred) for k in range(1, 6)]
    np.testing.assert_allclose(acf, expected, rtol=1e-12)
    assert list(lags) == [1, 2, 3, 4, 5]
    assert np.isnan(autocorrelation(np.ones(10), 3)[1]).all()


def test_memory_and_open_figures_stay_flat_over_200_figures(tmp_path):
    """No figure outlives its save: after 200 figures the process holds no more memory and no more figures.

    A figure's parts refer to each other, so Python frees them at its next
    cyclic collection; the test collects before each reading, as the
    interpreter eventually does, and compares resident memory.
    """

    def resident_mib() -> float:
        gc.collect()
        return int(Path("/proc/self/statm").read_text().split()[1]) * resource.getpagesize() / 2**20

    def draw(k):
        save_figure(plot_error_by_step(_metrics(24)), tmp_path / f"f{k % 3}.png")

    def live_figures() -> int:
        return sum(isinstance(item, Figure) for item in gc.get_objects())

    for k in range(20):
        draw(k)
    before, figures_before = resident_mib(), live_figures()
    for k in range(200):
        draw(k)
    grown = resident_mib() - before
    assert plt.get_fignums() == []
    assert live_figures() == figures_before
    assert grown < 20, f"resident memory grew {grown:.0f} MiB over 200 figures"


def test_importing_the_reports_keeps_the_users_matplotlib_backend():
    code = (
        "import matplotlib; matplotlib.use('svg'); "
        "import forecaster.reports.sections, forecaster.reports.anomaly, forecaster.reports.gates; "
        "print(matplotlib.get_backend())"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "svg"


def test_series_overview_keeps_a_one_point_spike_of_a_long_series(tmp_path):
    from forecaster.data.series import SeriesCollection
    from forecaster.reports.series import plot_series_overview
    from forecaster.windows.splits import SplitRows

    n = 200_000
    values = np.sin(np.arange(n) / 50.0)
    values[123_457] = 40.0
    frame = pd.DataFrame({"y": values, "x": -values}, index=pd.date_range("2020-01-01", periods=n, freq="min"))
    collection = SeriesCollection(frame, ("series",), np.array([0, n]), "min")
    figure = plot_series_overview(collection, SplitRows(np.array([[0, 140_000, 170_000, n]])), max_points=2000)
    (line,) = figure.axes[0].get_lines()
    assert len(line.get_xdata()) < 3000 and max(line.get_ydata()) == 40.0
    assert "Input series" in figure._suptitle.get_text()
    assert [axis.get_ylabel() for axis in figure.axes] == ["y", "x"]
    assert save_figure(figure, tmp_path / "overview.png").stat().st_size > 10_000


def test_compare_figure_draws_one_line_per_run_and_the_reference(tmp_path):
    from forecaster.reports.compare import plot_runs_error_by_step

    figure = plot_runs_error_by_step({"a": [0.1, 0.2], "b": [0.1, 0.2, 0.3]}, {"linear": [0.2, 0.2]})
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert labels == ["a", "b", "linear (first run's baseline)"]
    assert [text.get_text() for text in figure.legends[0].get_texts()] == labels
    assert save_figure(figure, tmp_path / "compare.png").stat().st_size > 5_000
    baselines = {"naive": [0.3, 0.3], "seasonal_naive": [0.25, 0.3], "linear": [0.2, 0.2]}
    lines = plot_runs_error_by_step({"a": [0.1, 0.2]}, baselines).axes[0].get_lines()[1:]
    assert len({line.get_linestyle() for line in lines}) == 3  # one grey, so three dash patterns tell them apart
