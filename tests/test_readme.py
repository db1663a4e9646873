"""The README's two opening commands: set-up + main job, and set-up + tests, which CI runs verbatim."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def opening_commands():
    lines = ROOT.joinpath("README.md").read_text().splitlines()
    start = lines.index("```bash") + 1
    return lines[start : start + 2], lines[start + 2]


def test_readme_opens_with_exactly_two_commands():
    (main_job, tests), closing = opening_commands()
    assert closing == "```"
    assert main_job.startswith("python3.11 -m venv .venv") and "forecaster run configs/" in main_job
    assert tests.startswith("python3.11 -m venv .venv") and "pytest" in tests


def test_ci_runs_the_readme_test_command_verbatim():
    (_, tests), _ = opening_commands()
    assert tests in ROOT.joinpath(".ci", "run").read_text().splitlines()


def test_main_job_config_exists():
    (main_job, _), _ = opening_commands()
    config = main_job.split("forecaster run ")[1].split()[0]
    assert ROOT.joinpath(config).is_file()
