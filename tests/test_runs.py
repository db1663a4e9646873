"""Run folders: all or nothing, the user's umask, refused places and full disks as one line, one writer per backup."""

import errno
import os

import pytest

from forecaster.errors import BackupBusyError, RunError
from forecaster.runs import RunFolder, TrainingBackup, check_output_dir


def test_a_committed_run_folder_has_the_users_umask_and_no_owner_record(tmp_path):
    previous = os.umask(0o022)
    try:
        with RunFolder(tmp_path, "demo") as run:
            run.write_text("a.txt", "a")
    finally:
        os.umask(previous)
    assert run.final_path.stat().st_mode & 0o777 == 0o755
    assert sorted(path.name for path in run.final_path.iterdir()) == ["a.txt", "figures", "versions.json"]


def test_a_full_disk_while_writing_is_one_line_and_removes_the_partial_folder(tmp_path):
    actions = []
    with pytest.raises(RunError) as info:
        with RunFolder(tmp_path, "demo") as run:
            run.on_commit(lambda: actions.append("committed"))
            run.write_text("a.txt", "a")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert str(info.value) == (
        f"{tmp_path}: cannot write the run folder (No space left on device); the partial folder was removed: "
        "free space or choose another report.output_dir, then run again"
    )
    assert list(tmp_path.iterdir()) == [] and actions == []


def test_other_errors_propagate_unchanged_and_leave_nothing(tmp_path):
    with pytest.raises(KeyError):
        with RunFolder(tmp_path, "demo"):
            raise KeyError("bug")
    assert list(tmp_path.iterdir()) == []


def test_check_output_dir_refuses_a_file_and_creates_a_missing_folder(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(RunError, match="report.output_dir is a file, not a folder"):
        check_output_dir(tmp_path / "file")
    with pytest.raises(RunError, match="cannot write run folders here"):
        check_output_dir(tmp_path / "file" / "below")
    assert check_output_dir(tmp_path / "new" / "reports").is_dir()
    assert list((tmp_path / "new" / "reports").iterdir()) == []


def test_one_process_holds_a_training_backup(tmp_path):
    first = TrainingBackup(tmp_path / ".backup" / "demo-abc").acquire()
    with pytest.raises(
        BackupBusyError, match=rf"^{tmp_path}/.backup/demo-abc: process {os.getpid()} on .* is training"
    ):
        TrainingBackup(tmp_path / ".backup" / "demo-abc").acquire()
    assert BackupBusyError.exit_code == 75
    first.path.mkdir()
    first.remove()
    assert not first.path.exists()
    TrainingBackup(tmp_path / ".backup" / "demo-abc").acquire().release()
