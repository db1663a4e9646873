"""Profile a data file (``forecaster inspect``) and save the profile in a run folder."""

from __future__ import annotations

from pathlib import Path

from forecaster.config import ForecasterConfig, config_to_dict
from forecaster.data import profile_table, read_table
from forecaster.reports.html import HtmlSection, mapping_rows, write_index_html
from forecaster.reports.timeaxis import frequency_text
from forecaster.runs import RunFolder


def inspect_data(config: ForecasterConfig, source: str) -> tuple[dict, Path]:
    """Profile ``config.data.path`` and write ``profile.json`` and a page into a run folder.

    Args:
        config: the validated config; ``data`` names the file and its columns.
        source: config file name, for messages.

    Returns:
        The profile (see :func:`~forecaster.data.profile_table`) and the run folder.

    Raises:
        ConfigError: when the config has no data section.
        DataError: when the file cannot be read or has no time column.
    """
    data = config.require_data(source)
    profile = profile_table(
        read_table(data.path, data.format, **data.csv.model_dump()),
        str(data.path),
        data.time_column,
        data.id_column,
        time_format=data.time_format,
        dayfirst=data.dayfirst,
        time_unit=data.time_unit,
        timezone=data.timezone,
        holidays=data.holidays,
    )
    with RunFolder(config.report.output_dir, f"inspect-{data.path.stem}") as run:
        run.write_json("profile.json", profile)
        run.write_yaml("config.yaml", config_to_dict(config))
        columns = [{"column": name, **info} for name, info in profile["columns"].items()]
        shown = {key: value for key, value in profile.items() if key != "columns"}
        if not profile["long_format_hint"]:  # they say something only about a file with series
            del shown["long_format_hint"]
        if not profile["rows_per_series"]:
            del shown["rows_per_series"]
        facts = mapping_rows(shown, "fact", "value")
        write_index_html(
            run,
            f"Data profile: {data.path.name}",
            [HtmlSection("The file", table=facts), HtmlSection("Columns", table=columns)],
            summary=[
                f"{profile['rows']:,} rows from {profile['start']} to {profile['end']}, one "
                f"{frequency_text(profile['frequency'])}, in {profile['n_series']} series.",
                *([f"The file {profile['long_format_hint']}."] if profile["long_format_hint"] else []),
            ],
            subtitle=f"forecaster inspect {data.path}",
        )
    return profile, run.final_path
