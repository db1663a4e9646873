"""``forecaster claims`` as a user runs it: the run folder, its page and figures, and one-line errors."""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecaster.cli.main import main
from forecaster.errors import DataError
from forecaster.jobs.claims import load_values
from forecaster.reports.claims import plot_gradient_norms, plot_gru_vs_lstm, plot_recall

ROOT = Path(__file__).resolve().parents[2]

TINY = [
    "claims.lookback=8",
    "claims.horizon=2",
    "claims.units=4",
    "claims.epochs=2",
    "claims.max_train_windows=64",
    "claims.gradient_windows=2",
    "claims.recall_lags=[3]",
    "claims.recall_train_sequences=64",
    "claims.recall_test_sequences=32",
    "claims.recall_epochs=2",
    "claims.recall_seeds=1",
    "claims.timing_rounds=2",
]
"""Overrides that shrink the shipped config to seconds."""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch) -> Path:
    """The working folder a user runs from: the shipped config and the bundled ETTh1, relative paths."""
    (tmp_path / "configs").mkdir()
    shutil.copy(ROOT / "configs" / "claims.yaml", tmp_path / "configs")
    (tmp_path / "data" / "ett").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "ett" / "ETTh1.csv", tmp_path / "data" / "ett")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _overrides(*pairs: str) -> list[str]:
    return [part for pair in pairs for part in ("--set", pair)]


@pytest.mark.slow
def test_claims_writes_a_run_folder_whose_page_links_resolve(workdir: Path, capsys) -> None:
    code = main(["claims", "configs/claims.yaml", *_overrides(*TINY)])
    printed = capsys.readouterr().out
    assert code == 0, printed
    (run,) = (workdir / "reports").iterdir()  # the relative default output_dir
    assert f"report: {run.relative_to(workdir)}" in printed
    metrics = json.loads((run / "metrics.json").read_text())
    keys = ["vanishing_gradients", "long_range_memory", "gru_parameters", "gru_speed_accuracy", "forget_bias"]
    assert list(metrics["verdicts"]) == keys
    assert set(metrics["verdicts"].values()) <= {"holds", "holds partly", "does not hold here"}
    for key, verdict in metrics["verdicts"].items():
        assert f"{key.ljust(len('vanishing_gradients'))}  {verdict}" in printed
    assert metrics["verdicts"]["gru_parameters"] == "holds partly"  # 4 units, 7 inputs: 18.8% fewer
    assert len(metrics["gradients"]["at_init"]["lstm"]) == 8
    for row in metrics["gru_vs_lstm"]["parameters"]:
        assert row["closed form"] == row["Keras count_params()"]
    assert (run / "config.yaml").read_text().count("recall_lags") == 1
    page = (run / "index.html").read_text()
    sources = re.findall(r'(?:src|href)="([^"#]+)"', page)
    assert len({s for s in sources if s.endswith(".png")}) == 4
    for source in sources:
        if not source.startswith(("http:", "https:", "data:")):
            assert (run / source).is_file(), source
    moved = shutil.move(run, workdir / "moved")
    assert all((Path(moved) / s).is_file() for s in sources if s.endswith(".png"))


def test_a_misspelled_claims_key_is_a_one_line_error(workdir: Path, capsys) -> None:
    code = main(["claims", "configs/claims.yaml", "--set", "claims.recal_lags=[2]"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == ("error: --set: unknown key 'claims.recal_lags'; did you mean 'claims.recall_lags'?\n")
    assert main(["claims", "configs/claims.yaml", "--set", "claims.recall_lags=[8,4]"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "recall_lags must be increasing lags from 1 to" in err
    assert not (workdir / "reports").exists()


def test_a_missing_target_or_value_is_a_data_error(tmp_path: Path) -> None:
    frame = pd.DataFrame({"date": pd.date_range("2020", periods=5, freq="h"), "a": [1.0, 2, 3, np.nan, 5]})
    frame.to_csv(tmp_path / "series.csv", index=False)
    with pytest.raises(DataError, match="no numeric column 'OT' .*numeric columns: a"):
        load_values(tmp_path / "series.csv", "OT")
    with pytest.raises(DataError, match="column 'a' has a missing or infinite value in data row 4"):
        load_values(tmp_path / "series.csv", "a")


def test_claims_figures_write_pngs(tmp_path: Path) -> None:
    norms = {"SimpleRNN": np.geomspace(1, 1e-6, 6), "GRU": np.geomspace(1, 1e-9, 6), "LSTM": np.geomspace(2, 1e-3, 6)}
    paths = [
        plot_gradient_norms({"at initialisation": norms, "after training": norms}, tmp_path / "a.png", "a"),
        plot_recall(
            [2, 4, 8], {"GRU": np.random.default_rng(0).random((3, 2, 5))}, 0.125, 0.9, tmp_path / "b.png", "b"
        ),
        plot_gru_vs_lstm(
            [4, 8],
            {"reset_after=True": [0.8, 0.78]},
            2 / 3,
            {"GRU": 1.0, "LSTM": 1.2},
            {"GRU": 0.1, "LSTM": 0.11},
            0.12,
            tmp_path / "c.png",
            "c",
        ),
    ]
    for path in paths:
        assert path.read_bytes()[:4] == b"\x89PNG"
