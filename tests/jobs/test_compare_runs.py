"""``forecaster compare``: one row per distinct run folder, names that tell runs apart, scores ranked only on one data."""

import json

import pytest
import yaml

from forecaster.cli.main import main
from forecaster.config import load_config
from forecaster.jobs.compare import comparability, compare_runs

NOT_COMPARABLE = (
    "Not comparable: the runs differ in data file and split; their scores do not measure the same forecasts, so no "
    "run can be chosen on them. Compare runs of the same data, split, targets, scaling and horizon."
)


def _fake_run(folder, mse, data="data/a.csv", rows=(70, 15, 15), center=0.5, targets=("y",), horizon=2):
    folder.mkdir(parents=True)
    scores = {"overall": {"mse": mse, "mae": mse / 2}, "per_step": {"mae": [mse / 2, mse]}}
    windows = {"rows": dict(zip(("train", "val", "test"), rows)), "scaler": {"center": [[center]], "scale": [[2.0]]}}
    metrics = {"validation": {"mse": mse}, "model": {"scaled": scores}, "data": {"rows_read": sum(rows)}}
    (folder / "metrics.json").write_text(json.dumps({**metrics, "windows": windows}))
    settings = {
        "data": {"path": data, "target_columns": list(targets)},
        "split": {"method": "fractions", "train": 0.7, "val": 0.15, "test": 0.15},
        "scaling": {"method": "standard", "scope": "global"},
        "model": {"kind": "gru", "units": 8},
        "windows": {"lookback": 4, "horizon": horizon},
    }
    (folder / "config.yaml").write_text(yaml.safe_dump(settings))
    (folder / "schema.json").write_text(json.dumps({"target_columns": list(targets)}))
    return folder


def test_a_folder_given_twice_is_compared_once(tmp_path):
    run = _fake_run(tmp_path / "runs" / "a", 0.5)
    config = load_config(None, [f"report.output_dir={tmp_path / 'out'}"])
    rows, warning, folder = compare_runs(config, [run, tmp_path / "runs" / ".." / "runs" / "a"])
    assert [row["run"] for row in rows] == ["a"] and warning == ""
    assert "1 folder given more than once compared once" in (folder / "index.html").read_text()


def test_runs_with_the_same_folder_name_are_named_by_path(tmp_path):
    first, second = _fake_run(tmp_path / "x" / "run", 0.5), _fake_run(tmp_path / "y" / "run", 0.25)
    config = load_config(None, [f"report.output_dir={tmp_path / 'out'}"])
    rows, _, _ = compare_runs(config, [first, second])
    assert [row["run"] for row in rows] == [str(first.resolve()), str(second.resolve())]
    assert [row["test MSE"] for row in rows] == [0.5, 0.25]


def test_runs_of_one_data_are_ranked_and_each_shows_its_data_file_and_rows(tmp_path):
    first, second = _fake_run(tmp_path / "a", 0.5), _fake_run(tmp_path / "b", 0.25)
    config = load_config(None, [f"report.output_dir={tmp_path / 'out'}"])
    rows, warning, folder = compare_runs(config, [first, second])
    assert warning == ""
    assert [(row["data"], row["rows (train / val / test)"]) for row in rows] == [("data/a.csv", "70 / 15 / 15")] * 2
    page = (folder / "index.html").read_text()
    assert "<li>Lowest validation MSE: b (0.25); choose on this, not on test.</li>" in page
    assert "Read this first" not in page


def test_runs_of_other_data_are_not_ranked_on_the_page_or_the_cli(tmp_path, capsys):
    big, small = _fake_run(tmp_path / "big", 0.5), _fake_run(tmp_path / "small", 0.25, "data/b.csv", (280, 60, 60))
    out = tmp_path / "out"
    assert main(["compare", str(big), str(small), "--set", f"report.output_dir={out}"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == NOT_COMPARABLE
    assert lines[3].split()[:3] == ["small", "data/b.csv", "280"]
    (folder,) = out.iterdir()
    page = (folder / "index.html").read_text()
    assert f'<div class="warning" role="alert"><strong>Read this first</strong>\n<ul><li>{NOT_COMPARABLE}</li>' in page
    assert "choose on this" not in page and "Lowest" not in page
    assert json.loads((folder / "comparison.json").read_text())["not_comparable"] == NOT_COMPARABLE


@pytest.mark.parametrize(
    ("change", "differs"),
    [
        ({"targets": ("z",)}, "target columns"),
        ({"horizon": 3}, "horizon"),
        ({"rows": (60, 15, 25)}, "split"),
        (
            {"center": 0.75},
            "data (same file and split, but other rows read or training-split statistics: the file changed)",
        ),
    ],
)
def test_a_run_of_other_targets_split_or_changed_data_is_not_comparable(tmp_path, change, differs):
    runs = [_fake_run(tmp_path / "a", 0.5), _fake_run(tmp_path / "b", 0.25, **change)]
    read = [
        (
            json.loads((run / "metrics.json").read_text()),
            yaml.safe_load((run / "config.yaml").read_text()),
            json.loads((run / "schema.json").read_text()),
        )
        for run in runs
    ]
    assert comparability(read) == (
        f"Not comparable: the runs differ in {differs}; their scores do not measure the same forecasts, so no run can "
        "be chosen on them. Compare runs of the same data, split, targets, scaling and horizon."
    )
    assert comparability(read[:1] * 2) == ""
