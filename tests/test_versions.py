"""Run folders record the software they were made with, and write numpy values as strict JSON."""

import json
from pathlib import Path

import numpy as np
import pytest

import forecaster
from forecaster.runs import RunFolder
from forecaster.versions import VERSIONS_FILE, software_versions


def test_every_run_folder_records_versions(tmp_path):
    with RunFolder(tmp_path, "demo") as run:
        run.write_text("note.txt", "x")
    versions = json.loads((run.final_path / VERSIONS_FILE).read_text())
    assert versions == software_versions()
    assert versions["forecaster"] == forecaster.__version__
    assert versions["numpy"] == np.__version__ and versions["keras"] and versions["pandas"]
    assert versions["git_commit"] is None or len(versions["git_commit"]) == 40


def test_write_json_takes_numpy_scalars_and_arrays_with_nan(tmp_path):
    payload = {
        "mse": np.float32(0.5),
        "n": np.int64(3),
        "bad": np.float32("nan"),
        "grid": np.array([[1.0, np.nan], [np.inf, 2.0]]),
    }
    with RunFolder(tmp_path, "demo") as run:
        path = run.write_json("metrics.json", payload)
        assert json.loads(path.read_text()) == {"mse": 0.5, "n": 3, "bad": None, "grid": [[1.0, None], [None, 2.0]]}


def test_installed_keras_is_in_the_pinned_range():
    import keras
    from packaging.requirements import Requirement

    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    dependencies = tomllib.loads(Path("pyproject.toml").read_text())["project"]["dependencies"]
    (pin,) = [Requirement(d) for d in dependencies if Requirement(d).name == "keras"]
    assert pin.specifier.contains(keras.__version__) and "<" in str(pin.specifier)
