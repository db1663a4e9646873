"""``forecaster inspect`` on real inputs: the alias, the calendar gaps, the time unit it assumed; one-line errors."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecaster.data import format_profile, profile_table, read_table

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[2]

# file -> (settings, frequency, seasonal period, missing timestamps, first missing, time read as)
CASES = {
    "c01_epoch_seconds.csv": ({}, "h", 24, 0, [], ("s (inferred)", None)),
    "c02_integer_steps.csv": (
        {"time_column": "t", "id_column": "group", "time_unit": "step"},
        "step",
        None,
        0,
        [],
        ("step", None),
    ),
    "c03_dayfirst_dates.csv": ({}, "D", 7, 0, [], (None, "%d.%m.%Y")),
    "c04_semicolon_decimal_comma.csv": ({"decimal": ","}, "10min", 144, 0, [], (None, "%Y-%m-%d %H:%M:%S")),
    "c08_business_days.csv": ({}, "B", 5, 0, [], (None, "%Y-%m-%d")),
    "c08b_daily_all_days.csv": ({}, "D", 7, 0, [], (None, "%Y-%m-%d")),
    "c10_month_end_missing.csv": ({}, "ME", 12, 1, ["2016-03-31 00:00:00"], (None, "%Y-%m-%d")),
    "c10b_month_end_full.csv": ({}, "ME", 12, 0, [], (None, "%Y-%m-%d")),
    "c10c_month_start_full.csv": ({}, "MS", 12, 0, [], (None, "%Y-%m-%d")),
    "c11_constant_sensor.csv": ({}, "h", 24, 0, [], (None, "%Y-%m-%d %H:%M:%S")),
    "c12_parquet_datetimeindex.parquet": ({}, "h", 24, 0, [], (None, None)),
    "c13_outage_gap.csv": (
        {},
        "h",
        24,
        120,
        ["2024-01-11 10:00:00", "2024-01-11 11:00:00"],
        (None, "%Y-%m-%d %H:%M:%S"),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_profile_of_every_real_input(name):
    settings, frequency, period, n_missing, first_missing, (unit, fmt) = CASES[name]
    settings = dict(settings)
    raw = read_table(FIXTURES / name, decimal=settings.pop("decimal", "."))
    profile = profile_table(raw, name, settings.pop("time_column", None), settings.pop("id_column", None), **settings)
    assert (profile["frequency"], profile["seasonal_period"], profile["missing_timestamps"]) == (
        frequency,
        period,
        n_missing,
    )
    assert profile["first_missing"][: len(first_missing)] == first_missing
    assert (profile["time_unit"], profile["time_format"]) == (unit, fmt)


def forecaster(*args, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "forecaster.cli.main", *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_inspect_names_the_missing_month_and_leaves_one_folder(tmp_path):
    result = forecaster(
        "inspect", FIXTURES / "c10_month_end_missing.csv", "--set", "report.output_dir=out", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "ME" in result.stdout and "2016-03-31" in result.stdout
    assert [p.name.startswith("inspect-c10_month_end_missing") for p in (tmp_path / "out").iterdir()] == [True]


def test_bad_input_is_one_line_naming_the_setting(tmp_path):
    ambiguous = tmp_path / "ambiguous.csv"
    ambiguous.write_text("date,v\n01/02/2021,1\n01/03/2021,2\n01/04/2021,3\n")
    result = forecaster("inspect", ambiguous, "--set", "report.output_dir=out", cwd=tmp_path)
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert lines == [
        f"error: {ambiguous}: column 'date' reads two ways: '01/02/2021' (row 1) is 2021-01-02 as "
        "%m/%d/%Y and 2021-02-01 as %d/%m/%Y; set data.dayfirst (true or false) or data.time_format"
    ]
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_counts_in_the_printed_profile_have_thousands_separators():
    raw = long_frame(("a", "b"), n=1500)
    lines = format_profile(profile_table(raw, "m.csv", "time")).splitlines()
    assert "rows                  3,000" in lines and "duplicate timestamps  1,500" in lines
    assert "rows per series       a 1,500, b 1,500" in lines


def test_missing_business_days_are_named_with_the_holiday_setting():
    days = pd.bdate_range("2023-12-01", "2024-02-01").drop(pd.DatetimeIndex(["2023-12-25", "2024-01-01"]))
    raw = pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "v": np.arange(len(days), dtype=float)})
    profile = profile_table(raw, "f.csv", "date")
    assert (profile["frequency"], profile["first_missing"]) == ("B", ["2023-12-25 00:00:00", "2024-01-01 00:00:00"])
    assert "2024-01-01 00:00:00 (if these are holidays, list them in data.holidays)" in format_profile(profile)
    listed = profile_table(raw, "f.csv", "date", holidays=["2023-12-25", "2024-01-01"])
    assert (listed["frequency"], listed["missing_timestamps"]) == ("C", 0)


def long_frame(metrics=("cpu_a", "cpu_b", "mem_a"), n=6):
    times = pd.date_range("2024-06-01", periods=n, freq="5min").strftime("%Y-%m-%d %H:%M:%S")
    return pd.DataFrame(
        {"time": np.tile(times, len(metrics)), "metric": np.repeat(metrics, n), "value": np.arange(n * len(metrics))}
    )


def test_a_long_file_read_as_one_series_is_named_as_long_format_with_its_series_rows():
    raw = long_frame().drop(index=[0, 1])  # cpu_a has 4 rows, the others 6
    profile = profile_table(raw, "m.csv", "time")
    hint = "looks like long format: one series per 'metric'; set data.id_column: metric"
    assert (profile["n_series"], profile["duplicate_timestamps"], profile["long_format_hint"]) == (1, 10, hint)
    assert profile["rows_per_series"] == {"cpu_a": 4, "cpu_b": 6, "mem_a": 6}
    lines = format_profile(profile).splitlines()
    assert f"hint                  {hint}" in lines
    assert "duplicate timestamps  10" in lines
    assert "rows per series       cpu_a 4, cpu_b 6, mem_a 6" in lines
    with_id = profile_table(raw, "m.csv", "time", id_column="metric")
    assert (with_id["long_format_hint"], with_id["rows_per_series"]) == (None, profile["rows_per_series"])
    assert "hint" not in format_profile(with_id)


def test_no_long_format_is_suggested_without_a_column_that_separates_the_repeated_times():
    raw = long_frame()
    raw["metric"] = raw["metric"].where(raw.index != 3, "cpu_b")  # cpu_b twice at one time: the pair repeats
    raw["note"] = [f"row {k}" for k in range(len(raw))]  # unique per row: a label, not a series id
    profile = profile_table(raw, "m.csv", "time")
    assert (profile["long_format_hint"], profile["rows_per_series"]) == (None, {})
    assert profile_table(long_frame(("a",)), "m.csv", "time")["long_format_hint"] is None  # no repeated time


def test_inspect_shows_the_long_format_hint_on_the_page_and_in_the_json(tmp_path):
    long_frame().to_csv(tmp_path / "metrics.csv", index=False)
    result = forecaster("inspect", "metrics.csv", "--set", "report.output_dir=out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    (folder,) = (tmp_path / "out").iterdir()
    profile = json.loads((folder / "profile.json").read_text())
    assert profile["long_format_hint"] == "looks like long format: one series per 'metric'; set data.id_column: metric"
    page = (folder / "index.html").read_text()
    assert "The file looks like long format: one series per &#39;metric&#39;; set data.id_column: metric." in page
    assert f"{len(long_frame()):,} rows from " in page and ", one every 5 min, in 1 series." in page
