"""``forecaster compare``: read the metrics of several run folders and write them side by side."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from forecaster.config import ForecasterConfig, config_to_dict
from forecaster.errors import RunError
from forecaster.reports.compare import plot_runs_error_by_step
from forecaster.reports.html import HtmlSection, count_noun, write_index_html
from forecaster.reports.style import save_figure
from forecaster.runs import RunFolder

METRICS_FILE = "metrics.json"
CONFIG_FILE = "config.yaml"


def compare_runs(config: ForecasterConfig, run_dirs: list[Path]) -> tuple[list[dict], Path]:
    """Compare the validation and test scores of forecasting runs; write a comparison run folder.

    Args:
        config: the validated config (``report.output_dir`` and ``name`` are used).
        run_dirs: run folders written by ``forecaster run``, ``train`` or ``backtest``.

    Returns:
        The table's rows (one per run, in the order given) and the comparison run folder.

    Raises:
        RunError: naming the folder, when it has no forecasting ``metrics.json``.
    """
    folders = list(dict.fromkeys(Path(folder).resolve() for folder in run_dirs))
    repeated = len(run_dirs) - len(folders)
    runs = [(name, *_load_run(folder)) for name, folder in zip(_display_names(folders), folders)]
    rows = [_row(name, metrics, settings) for name, metrics, settings in runs]
    curves = {name: metrics["model"]["scaled"]["per_step"]["mae"] for name, metrics, _ in runs if "model" in metrics}
    first = next((metrics for _, metrics, _ in runs if "baselines" in metrics), None)
    reference = (
        {name.replace("_", " "): scores["scaled"]["per_step"]["mae"] for name, scores in first["baselines"].items()}
        if first
        else None
    )
    with RunFolder(config.report.output_dir, "compare") as run:
        run.write_yaml("config.yaml", config_to_dict(config))
        run.write_json("comparison.json", {"runs": [str(folder) for folder in run_dirs], "rows": rows})
        figures = (
            [save_figure(plot_runs_error_by_step(curves, reference), run.figure_path("error_by_step"), svg=True)]
            if curves
            else []
        )
        best = min((row for row in rows if row["test MSE"] is not None), key=lambda row: row["test MSE"], default=None)
        best_val = min(
            (row for row in rows if row["validation MSE"] is not None),
            key=lambda row: row["validation MSE"],
            default=None,
        )
        summary = [
            f"{len(rows)} runs compared."
            + (f" {count_noun(repeated, 'folder')} given more than once compared once." if repeated else "")
        ]
        if best_val:
            summary.append(
                f"Lowest validation MSE: {best_val['run']} ({best_val['validation MSE']:.4g}); choose on this, not on test."
            )
        if best:
            summary.append(f"Lowest test MSE: {best['run']} ({best['test MSE']:.4g}).")
        write_index_html(
            run,
            f"Comparison of {len(rows)} runs",
            [
                HtmlSection(
                    "Scores",
                    text="Normalised scale (training mean 0, scale 1); a dash where a run has no such score "
                    "(a training run has no test scores, a backtest of a saved run no validation scores). "
                    "Skill is how much lower the test MSE is than seasonal naive's on the same run.",
                    table=rows,
                    figures=figures,
                )
            ],
            summary,
            subtitle="forecaster compare " + " ".join(str(folder) for folder in run_dirs),
        )
    return rows, run.final_path


def _display_names(folders: list[Path]) -> list[str]:
    """Each run's folder name, or its whole path where two runs share a folder name."""
    names = [folder.name for folder in folders]
    return [str(folder) if names.count(folder.name) > 1 else folder.name for folder in folders]


def _load_run(folder: Path) -> tuple[dict, dict]:
    """Return a run's metrics and its config as plain data."""
    try:
        metrics = json.loads((folder / METRICS_FILE).read_text())
    except FileNotFoundError:
        raise RunError(
            f"{folder}: no {METRICS_FILE}; pass run folders written by forecaster run, train or backtest"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunError(f"{folder / METRICS_FILE}: not readable JSON ({exc}); run the job again") from None
    if not isinstance(metrics, dict) or not ("model" in metrics or "validation" in metrics):
        raise RunError(
            f"{folder / METRICS_FILE}: no forecasting scores; pass run folders written by forecaster run, train or backtest"
        )
    try:
        settings = yaml.safe_load((folder / CONFIG_FILE).read_text()) or {}
    except (OSError, yaml.YAMLError):
        settings = {}
    return metrics, settings if isinstance(settings, dict) else {}


def _row(name: str, metrics: dict, settings: dict) -> dict:
    model, windows = settings.get("model") or {}, settings.get("windows") or {}
    validation = metrics.get("validation") or {}
    test = metrics.get("model", {}).get("scaled", {}).get("overall", {})
    skill = metrics.get("skill", {}).get("mse")
    coverage = metrics.get("intervals", {}).get("test_coverage")
    return {
        "run": name,
        "model": f"{model.get('kind', '?')} / {model.get('encoder', '?')} / {model.get('units', '?')} units",
        "lookback": windows.get("lookback"),
        "horizon": windows.get("horizon"),
        "validation MSE": validation.get("mse"),
        "test MSE": test.get("mse"),
        "test MAE": test.get("mae"),
        "skill vs seasonal naive (%)": None if skill is None else 100 * skill,
        "interval coverage (%)": None if coverage is None else 100 * coverage,
    }
