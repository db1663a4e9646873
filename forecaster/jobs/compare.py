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
SCHEMA_FILE = "schema.json"


def compare_runs(config: ForecasterConfig, run_dirs: list[Path]) -> tuple[list[dict], str, Path]:
    """Compare the validation and test scores of forecasting runs; write a comparison run folder.

    Scores are comparable only between runs of the same data: when the runs
    differ in data file, split, target columns, scaling or the data itself
    (:func:`comparability`), the page and the returned warning say so, and the
    page names no lowest score to choose on.

    Args:
        config: the validated config (``report.output_dir`` and ``name`` are used).
        run_dirs: run folders written by ``forecaster run``, ``train`` or ``backtest``.

    Returns:
        The table's rows (one per run, in the order given), the one-line warning that the
        scores are not comparable (``""`` when they are) and the comparison run folder.

    Raises:
        RunError: naming the folder, when it has no forecasting ``metrics.json``.
    """
    folders = list(dict.fromkeys(Path(folder).resolve() for folder in run_dirs))
    repeated = len(run_dirs) - len(folders)
    runs = [(name, *_load_run(folder)) for name, folder in zip(_display_names(folders), folders)]
    rows = [_row(name, metrics, settings) for name, metrics, settings, _ in runs]
    warning = comparability([(metrics, settings, schema) for _, metrics, settings, schema in runs])
    curves = {name: metrics["model"]["scaled"]["per_step"]["mae"] for name, metrics, _, _ in runs if "model" in metrics}
    first = next((metrics for _, metrics, _, _ in runs if "baselines" in metrics), None)
    reference = (
        {name.replace("_", " "): scores["scaled"]["per_step"]["mae"] for name, scores in first["baselines"].items()}
        if first
        else None
    )
    with RunFolder(config.report.output_dir, "compare") as run:
        run.write_yaml("config.yaml", config_to_dict(config))
        run.write_json(
            "comparison.json",
            {"runs": [str(folder) for folder in run_dirs], "not_comparable": warning or None, "rows": rows},
        )
        figures = (
            [save_figure(plot_runs_error_by_step(curves, reference), run.figure_path("error_by_step"), svg=True)]
            if curves
            else []
        )
        summary = [
            f"{len(rows)} runs compared."
            + (f" {count_noun(repeated, 'folder')} given more than once compared once." if repeated else "")
        ]
        if not warning:
            summary += _lowest_scores(rows)
        write_index_html(
            run,
            f"Comparison of {len(rows)} runs",
            [
                HtmlSection(
                    "Scores",
                    text="Normalised scale (training mean 0, scale 1); a dash where a run has no such score "
                    "(a training run has no test scores, a backtest of a saved run no validation scores). "
                    "Skill is how much lower the test MSE is than seasonal naive's on the same run. The rows "
                    "are those of each run's train, validation and test splits.",
                    table=rows,
                    figures=figures,
                )
            ],
            summary,
            [warning] if warning else [],
            subtitle="forecaster compare " + " ".join(str(folder) for folder in run_dirs),
        )
    return rows, warning, run.final_path


def comparability(runs: list[tuple[dict, dict, dict]]) -> str:
    """Say in one line why the runs' scores are not comparable, or return ``""`` when they are.

    Scores on the normalised scale compare only between runs of the same data,
    split the same way, for the same targets, scaled the same way, over the
    same horizon (an overall score averages the horizon's steps, and later
    steps are harder). Each is read
    from what the run folders store: the data file (``data.path``, or
    ``data.url``, of the resolved ``config.yaml``), the split (the rows of each
    split in ``metrics.json``, else the ``split`` settings), the target columns
    (``schema.json``, else ``data.target_columns``) and the ``scaling``
    settings (the scores are on the scaled targets), the horizon
    (``windows.horizon``); when those all agree, the
    data's fingerprint in ``metrics.json``: the rows read and the training
    split's mean and scale of every column (these differ when the file changed
    between the runs). What a run does not record is not compared.

    Args:
        runs: each run's ``(metrics, settings, schema)`` as read from its folder.

    Returns:
        E.g. ``Not comparable: the runs differ in data file and split; their scores do not measure the
        same forecasts, so no run can be chosen on them. Compare runs of the same data, split, targets,
        scaling and horizon.``, or ``""``.
    """
    aspects = {
        "data file": [_data_source(settings) for _, settings, _ in runs],
        "split": [_split(metrics, settings) for metrics, settings, _ in runs],
        "target columns": [
            schema.get("target_columns") or (settings.get("data") or {}).get("target_columns")
            for _, settings, schema in runs
        ],
        "scaling": [settings.get("scaling") for _, settings, _ in runs],
        "horizon": [(settings.get("windows") or {}).get("horizon") for _, settings, _ in runs],
    }
    differ = [name for name, values in aspects.items() if _differ(values)]
    if not differ and _differ([_fingerprint(metrics) for metrics, _, _ in runs]):
        differ = ["data (same file and split, but other rows read or training-split statistics: the file changed)"]
    if not differ:
        return ""
    listed = ", ".join(differ[:-1]) + (" and " if len(differ) > 1 else "") + differ[-1]
    return (
        f"Not comparable: the runs differ in {listed}; their scores do not measure the same forecasts, so no run "
        "can be chosen on them. Compare runs of the same data, split, targets, scaling and horizon."
    )


def _differ(values: list) -> bool:
    """Whether the runs that record a value disagree on it (a run recording none is not compared)."""
    recorded = [json.dumps(value, sort_keys=True) for value in values if value is not None]
    return len(set(recorded)) > 1


def _fingerprint(metrics: dict) -> dict | None:
    """The data's fingerprint a run's metrics record: rows read and the training split's scaler statistics."""
    scaler = (metrics.get("windows") or {}).get("scaler") or {}
    rows_read = (metrics.get("data") or {}).get("rows_read")
    if rows_read is None and not scaler:
        return None
    return {"rows_read": rows_read, "center": scaler.get("center"), "scale": scaler.get("scale")}


def _data_source(settings: dict) -> str | None:
    """The data file a run read (``data.path``), or its database (``data.url``)."""
    data = settings.get("data") or {}
    return data.get("path") or data.get("url")


def _split(metrics: dict, settings: dict) -> tuple[str, dict] | None:
    """A run's split: the rows of each split where its metrics record them, else its ``split`` settings."""
    rows = (metrics.get("windows") or {}).get("rows")
    if rows:
        return ("rows", rows)
    return ("settings", settings["split"]) if settings.get("split") else None


def _lowest_scores(rows: list[dict]) -> list[str]:
    """The runs with the lowest validation and test MSE, as summary lines (validation is the one to choose on)."""
    lines = []
    best_val = min(
        (row for row in rows if row["validation MSE"] is not None), key=lambda row: row["validation MSE"], default=None
    )
    if best_val:
        lines.append(
            f"Lowest validation MSE: {best_val['run']} ({best_val['validation MSE']:.4g}); choose on this, not on test."
        )
    best = min((row for row in rows if row["test MSE"] is not None), key=lambda row: row["test MSE"], default=None)
    if best:
        lines.append(f"Lowest test MSE: {best['run']} ({best['test MSE']:.4g}).")
    return lines


def _display_names(folders: list[Path]) -> list[str]:
    """Each run's folder name, or its whole path where two runs share a folder name."""
    names = [folder.name for folder in folders]
    return [str(folder) if names.count(folder.name) > 1 else folder.name for folder in folders]


def _load_run(folder: Path) -> tuple[dict, dict, dict]:
    """Return a run's metrics, its config and its schema (``{}`` where it has none) as plain data."""
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
    try:
        schema = json.loads((folder / SCHEMA_FILE).read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        schema = {}
    return (
        metrics,
        settings if isinstance(settings, dict) else {},
        schema if isinstance(schema, dict) else {},
    )


def _row(name: str, metrics: dict, settings: dict) -> dict:
    model, windows = settings.get("model") or {}, settings.get("windows") or {}
    validation = metrics.get("validation") or {}
    test = metrics.get("model", {}).get("scaled", {}).get("overall", {})
    skill = metrics.get("skill", {}).get("mse")
    coverage = metrics.get("intervals", {}).get("test_coverage")
    split = (metrics.get("windows") or {}).get("rows") or {}
    parts = [split.get(part) for part in ("train", "val", "test")]
    return {
        "run": name,
        "data": _data_source(settings),
        "rows (train / val / test)": " / ".join(f"{n:,}" for n in parts) if None not in parts else None,
        "model": f"{model.get('kind', '?')} / {model.get('encoder', '?')} / {model.get('units', '?')} units",
        "lookback": windows.get("lookback"),
        "horizon": windows.get("horizon"),
        "validation MSE": validation.get("mse"),
        "test MSE": test.get("mse"),
        "test MAE": test.get("mae"),
        "skill vs seasonal naive (%)": None if skill is None else 100 * skill,
        "interval coverage (%)": None if coverage is None else 100 * coverage,
    }
