"""``forecaster check-cell`` end to end on a small synthetic series, and the gate heat maps."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecaster.cli.main import main
from forecaster.reports.gates import plot_gate_heatmaps


@pytest.fixture
def series_csv(tmp_path: Path) -> Path:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(64, 3)), columns=["HUFL", "HULL", "OT"])
    frame.insert(0, "date", pd.date_range("2016-07-01", periods=64, freq="h"))
    path = tmp_path / "series.csv"
    frame.to_csv(path, index=False)
    return path


def test_check_cell_passes_and_writes_its_run_folder(series_csv: Path, tmp_path: Path, capsys) -> None:
    reports = tmp_path / "reports"
    code = main(
        [
            "check-cell",
            "--set",
            f"cell_check.data_path={series_csv}",
            "--set",
            "cell_check.n_random_cases=1",
            "--set",
            "cell_check.time_steps=8",
            "--set",
            "cell_check.units=3",
            "--set",
            f"report.output_dir={reports}",
        ]
    )
    printed = capsys.readouterr().out
    assert code == 0, printed
    (run,) = reports.iterdir()
    assert str(run) in printed and "lstm: real data" in printed
    rows = json.loads((run / "checks.json").read_text())
    assert rows and all(row["result"] == "pass" for row in rows)
    assert json.loads((run / "metrics.json").read_text())["n_failed"] == 0
    assert (run / "config.yaml").is_file() and (run / "index.html").is_file()
    assert sorted(p.name for p in (run / "figures").iterdir()) == [
        "gates_gru.png",
        "gates_lstm.png",
        "gates_peephole_lstm.png",
    ]


def test_check_cell_missing_data_file_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    code = main(["check-cell", "--set", f"cell_check.data_path={tmp_path / 'absent.csv'}"])
    assert code == 2
    assert "absent.csv" in capsys.readouterr().err


def test_gate_heatmaps_write_png_and_refuse_bad_sample(tmp_path: Path) -> None:
    trace = {"z": np.full((2, 5, 3), 0.5), "h": np.linspace(-1, 1, 30).reshape(2, 5, 3)}
    trace["z"][0, 4] = np.nan
    path = plot_gate_heatmaps(trace, tmp_path / "gates.png", "test")
    assert path.read_bytes()[:4] == b"\x89PNG"
    with pytest.raises(ValueError, match="`sample`"):
        plot_gate_heatmaps(trace, tmp_path / "x.png", "test", sample=2)


def test_real_windows_from_an_unreadable_or_header_only_csv_are_data_errors(tmp_path: Path) -> None:
    from forecaster.cells.check import load_real_windows
    from forecaster.errors import DataError

    header_only = tmp_path / "header.csv"
    header_only.write_text("date,OT\n")
    with pytest.raises(DataError, match="header but no data rows"):
        load_real_windows(header_only, n_batch=2, n_steps=4)
    binary = tmp_path / "binary.dat"
    binary.write_bytes(b"\x00\x81\x9c\xfe" * 50)  # no byte-order mark: not text in any encoding we guess
    with pytest.raises(DataError, match="binary.dat: byte 1 is not utf-8 text"):
        load_real_windows(binary, n_batch=2, n_steps=4)
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("date,OT\n" + "".join(f"2024-01-01 {h:02d}:00,{h}\n" for h in range(8)))
    windows = load_real_windows(numbers, n_batch=2, n_steps=4)
    assert windows.shape == (2, 4, 1) and windows.dtype == np.float32
