"""Every command's page, made the way a user makes it: from a project folder, relative paths, default output dir.

One module-scoped fixture runs each command once on tiny settings; the tests
then check the pages: every link resolves relative to the page, also after
the whole reports folder moved; ``forecaster report`` rebuilds the same page;
and, where Chromium is installed, a real browser loads every image with no
console error.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from page_links import broken_links, page_links

ROOT = Path(__file__).resolve().parents[2]
SMALL_FORECASTER = [
    "--set",
    "data.max_rows=2000",
    "--set",
    "training.epochs=1",
    "--set",
    "training.ensemble=1",
    "--set",
    "anomaly.training.epochs=1",
    "--set",
    "anomaly.training.max_train_windows=256",
]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.slow


def forecaster(*args, cwd: Path) -> str:
    """Run the CLI in ``cwd``; fail the test with its stderr unless it exits 0; return stdout.

    TensorFlow's native log lines (``E0000 ...``, ``W0000 ...``) must not reach
    the user's terminal either.
    """
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"} | {"PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "forecaster.cli.main", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert not re.findall(r"^[EWIF]\d{4} ", result.stderr, flags=re.MULTILINE), result.stderr
    return result.stdout


def _new_folder(reports: Path, before: set[Path]) -> Path:
    """The one run folder a command added to ``reports`` (hidden folders and the scan store's files aside)."""
    (folder,) = {p for p in set(reports.iterdir()) - before if p.is_dir() and not p.name.startswith(".")}
    return folder


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, Path]:
    """Run every page-writing command once from a project copy; return command -> run folder (relative to it)."""
    work = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "configs", work / "configs")
    shutil.copytree(ROOT / "data", work / "data")
    reports = work / "reports"
    commands = {
        "run": ["run", "configs/etth1_demo.yaml", *SMALL_FORECASTER],
        "train": ["train", "configs/etth1_demo.yaml", *SMALL_FORECASTER, "--set", "name=demo_train"],
        "detect": [
            "detect",
            "configs/detect_machine_temperature.yaml",
            "--set",
            "anomaly.training.epochs=1",
            "--set",
            "data.max_rows=3000",
            "--set",
            "anomaly.seasonal_periods=[]",
        ],
        "check-cell": ["check-cell", "--set", "cell_check.n_random_cases=1", "--set", "cell_check.time_steps=8"],
        "inspect": ["inspect", "data/ett/ETTh1.csv"],
    }
    folders: dict[str, Path] = {}
    for name, args in commands.items():
        before = set(reports.iterdir()) if reports.exists() else set()
        forecaster(*args, cwd=work)
        folders[name] = _new_folder(reports, before)
    trained = folders["train"].relative_to(work)
    detector = folders["detect"].relative_to(work)
    for name, args in {
        "scan": ["scan", *commands["detect"][1:], "--run", detector],
        "backtest": ["backtest", "configs/etth1_demo.yaml", "--run", trained, *SMALL_FORECASTER],
        "forecast": ["forecast", "--run", trained, "--data", "data/ett/ETTh1.csv"],
        "compare": ["compare", folders["run"].relative_to(work), trained],
    }.items():
        before = set(reports.iterdir())
        forecaster(*args, cwd=work)
        folders[name] = _new_folder(reports, before)
    return folders


COMMANDS = ["run", "train", "backtest", "forecast", "detect", "check-cell", "inspect", "compare", "scan"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_writes_a_page_whose_links_resolve(pages, command):
    page = pages[command] / "index.html"
    text = page.read_text()
    assert text.startswith("<!DOCTYPE html>") and "<h1>" in text and 'class="summary"' in text
    assert broken_links(page) == []
    assert all(not link.startswith(".staging") and "/.staging" not in link for link in page_links(page))
    data = json.loads((pages[command] / "page.json").read_text())
    assert data["sections"], "a page with no section tells no story"


def test_commands_show_as_code_never_as_literal_backticks(pages):
    for command in COMMANDS:
        assert "`" not in (pages[command] / "index.html").read_text(), command
    assert (
        "<li>Saved as a trained run: forecast with <code>forecaster forecast --run &lt;this folder&gt; --data "
        "NEW.csv</code>.</li>" in (pages["train"] / "index.html").read_text()
    )


def test_main_job_page_shows_forecasting_and_anomaly_figures(pages):
    links = page_links(pages["run"] / "index.html")
    for stem in (
        "series_overview",
        "training_history",
        "error_by_step",
        "actual_vs_predicted",
        "forecast_examples",
        "residuals",
        "forecast",
    ):
        assert f"figures/{stem}.png" in links
    assert any("detection" in link or "anomaly" in link for link in links)


def test_pages_stay_valid_after_the_reports_folder_moves(pages, tmp_path):
    moved = Path(shutil.copytree(pages["run"].parent, tmp_path / "moved"))
    for folder in pages.values():
        assert broken_links(moved / folder.name / "index.html") == []


def test_report_rebuilds_the_main_jobs_page_from_saved_results(pages, tmp_path):
    copy = Path(shutil.copytree(pages["run"], tmp_path / "copy"))
    original = (copy / "index.html").read_text()
    (copy / "index.html").unlink()
    stdout = forecaster("report", "copy", cwd=tmp_path)
    assert "copy/index.html" in stdout
    assert (copy / "index.html").read_text() == original


def test_compare_puts_both_runs_side_by_side(pages):
    comparison = json.loads((pages["compare"] / "comparison.json").read_text())
    rows = comparison["rows"]
    assert comparison["not_comparable"] is None, "one config and data file: the scores compare"
    assert [row["run"] for row in rows] == [pages["run"].name, pages["train"].name]
    assert [row["data"] for row in rows] == ["data/ett/ETTh1.csv"] * 2
    assert rows[0]["test MSE"] > 0 and rows[1]["test MSE"] is None and rows[1]["validation MSE"] > 0


@pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="Chromium and chromedriver are not installed (.ci/run installs chromium and chromium-driver)",
)
def test_a_real_browser_loads_every_image_of_the_main_jobs_page(pages):
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    try:
        driver.get((pages["run"] / "index.html").resolve().as_uri())
        driver.execute_script("document.querySelectorAll('img').forEach(img => img.loading = 'eager');")
        driver.set_script_timeout(30)
        images = driver.execute_async_script(
            "const done = arguments[0];"
            "Promise.all([...document.images].map(img => img.decode().catch(() => null)))"
            ".then(() => done([...document.images].map(img => [img.getAttribute('src'), img.naturalWidth])));"
        )
        errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    finally:
        driver.quit()
    assert len(images) >= 8
    assert [src for src, width in images if width == 0] == []
    assert errors == []
