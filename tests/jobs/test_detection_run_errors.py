"""What `scan --run` and `detect --run` say when the folder is not a detection run."""

import pytest

from forecaster.config import load_config
from forecaster.errors import RunError
from forecaster.workflow.detection import load_detection_run


def test_a_missing_folder_and_a_broken_link_are_named(tmp_path):
    config = load_config(None)
    with pytest.raises(RunError, match=r"nope: no such run folder; pass a run folder written by forecaster detect"):
        load_detection_run(tmp_path / "nope", config)
    (tmp_path / "detector").symlink_to(tmp_path / "reports" / "gone")
    with pytest.raises(RunError, match=r"detector: no such run folder \(a link to .*gone, which does not exist\)"):
        load_detection_run(tmp_path / "detector", config)


def test_a_forecaster_run_folder_points_to_its_detector(tmp_path):
    (tmp_path / "run" / "anomaly").mkdir(parents=True)
    (tmp_path / "run" / "anomaly" / "schema.json").write_text("{}")
    with pytest.raises(
        RunError, match=r"this is a forecaster run folder, whose detector is in .*run/anomaly: pass that"
    ):
        load_detection_run(tmp_path / "run", load_config(None))
