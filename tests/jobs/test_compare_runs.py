"""``forecaster compare``: one row per distinct run folder, names that tell runs apart."""

import json

from forecaster.config import load_config
from forecaster.jobs.compare import compare_runs


def _fake_run(folder, mse):
    folder.mkdir(parents=True)
    scores = {"overall": {"mse": mse, "mae": mse / 2}, "per_step": {"mae": [mse / 2, mse]}}
    (folder / "metrics.json").write_text(json.dumps({"validation": {"mse": mse}, "model": {"scaled": scores}}))
    (folder / "config.yaml").write_text("model:\n  kind: gru\n  units: 8\nwindows:\n  lookback: 4\n  horizon: 2\n")
    return folder


def test_a_folder_given_twice_is_compared_once(tmp_path):
    run = _fake_run(tmp_path / "runs" / "a", 0.5)
    config = load_config(None, [f"report.output_dir={tmp_path / 'out'}"])
    rows, folder = compare_runs(config, [run, tmp_path / "runs" / ".." / "runs" / "a"])
    assert [row["run"] for row in rows] == ["a"]
    assert "1 folder given more than once compared once" in (folder / "index.html").read_text()


def test_runs_with_the_same_folder_name_are_named_by_path(tmp_path):
    first, second = _fake_run(tmp_path / "x" / "run", 0.5), _fake_run(tmp_path / "y" / "run", 0.25)
    config = load_config(None, [f"report.output_dir={tmp_path / 'out'}"])
    rows, _ = compare_runs(config, [first, second])
    assert [row["run"] for row in rows] == [str(first.resolve()), str(second.resolve())]
    assert [row["test MSE"] for row in rows] == [0.5, 0.25]
