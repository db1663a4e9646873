"""``scan --rescore-from`` refuses what is not a timestamp in one line, as ``events --since`` does."""

import pytest

from forecaster.cli.main import main


@pytest.mark.parametrize("value", ["yesterday", "2024-13-45", ""])
def test_a_rescore_from_that_is_not_a_timestamp_is_one_line_before_any_work(
    project, tmp_path, monkeypatch, capsys, value
):
    folder, run = project
    monkeypatch.chdir(folder)
    store = tmp_path / "scans.db"
    command = ["scan", "config.yaml", "--run", str(run), "--store", f"sqlite:///{store}", "--rescore-from", value]
    assert main(command) == 2
    assert capsys.readouterr().err == (
        f"error: --rescore-from {value!r}: not a timestamp; write e.g. 2024-05-01 or '2024-05-01 12:00'\n"
    )
    assert not store.exists(), "nothing is scanned"
