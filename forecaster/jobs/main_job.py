"""The main job (``forecaster run``): validate, window and report one data file."""

from __future__ import annotations

import logging
from pathlib import Path

import keras

from forecaster.config import ForecasterConfig, config_to_dict
from forecaster.reports.html import HtmlSection, write_index_html
from forecaster.reports.series import plot_series_overview
from forecaster.runs import RunFolder
from forecaster.workflow import load_windows

logger = logging.getLogger(__name__)


def run_main_job(config: ForecasterConfig, source: str) -> Path:
    """Run the main job a config describes and write its run folder.

    Args:
        config: the validated config.
        source: config file name, for messages.

    Returns:
        The run folder.

    Raises:
        ForecasterError: for bad data or config values found while running.
    """
    keras.utils.set_random_seed(config.seed)
    repairs, windowed = load_windows(config, source)
    summary = windowed.summary()
    logger.info(
        "%s: %d rows in %d series; windows train/val/test = %s",
        config.data.path,
        len(windowed.collection.frame),
        windowed.collection.n_series,
        "/".join(str(summary["windows"][s]) for s in ("train", "val", "test")),
    )
    with RunFolder(config.report.output_dir, config.name) as run:
        run.write_yaml("config.yaml", config_to_dict(config))
        run.write_json("metrics.json", {"data": repairs.to_dict(), "windows": summary})
        overview = plot_series_overview(
            windowed.collection, windowed.split_rows, run.figure_path("series_overview"),
            max_points=config.report.max_plot_points,
        )
        repair_rows = [{"repair": key, "count": value} for key, value in repairs.to_dict().items()]
        window_rows = [
            {"split": split, "rows": summary["rows"][split], "windows": summary["windows"][split]}
            for split in ("train", "val", "test")
        ]
        write_index_html(
            run,
            f"Run {config.name}",
            [
                HtmlSection("Data", text=f"{config.data.path}: {len(windowed.collection.frame):,} rows, "
                            f"frequency {windowed.collection.frequency}", table=repair_rows),
                HtmlSection("Windows", text=f"lookback {summary['lookback']}, horizon {summary['horizon']}, "
                            f"stride {summary['stride']}", table=window_rows, figures=[overview]),
            ],
        )
    return run.final_path
