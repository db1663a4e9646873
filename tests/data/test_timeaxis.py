"""Time columns of every common type: epoch numbers, step numbers, day-first text, Parquet indexes, local times."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.config import DataConfig
from forecaster.data import validate_series
from forecaster.data.timeaxis import parse_time_axis
from forecaster.errors import DataError
from forecaster.windows import future_index

UNIT_NS = {"s": 10**9, "ms": 10**6, "us": 10**3, "ns": 1}


def validate(raw, **data):
    return validate_series(raw, DataConfig(path="f.csv", **data), source="f.csv")


def test_epoch_seconds_are_utc_hours_never_1970(load_case):
    collection, report = load_case("c01_epoch_seconds.csv", time_column="timestamp")
    index = collection.frame.index
    assert len(index) == 300 and collection.frequency == "h"
    assert index[0] == pd.Timestamp("2024-03-01 00:00", tz="UTC")
    assert index[-1] == pd.Timestamp("2024-03-13 11:00", tz="UTC")
    assert report.time_unit == "s (inferred)"
    future = future_index(index[-1], collection.frequency, 2)
    assert list(future) == [pd.Timestamp("2024-03-13 12:00", tz="UTC"), pd.Timestamp("2024-03-13 13:00", tz="UTC")]


@settings(max_examples=40, deadline=None)
@given(
    unit=st.sampled_from(list(UNIT_NS)),
    start_s=st.integers(int(pd.Timestamp("1975-01-01").timestamp()), int(pd.Timestamp("2200-01-01").timestamp())),
    step_s=st.sampled_from([1, 60, 900, 3600, 86400]),
    n_rows=st.integers(3, 40),
    as_float=st.booleans(),
)
def test_epoch_unit_is_inferred_from_magnitude(unit, start_s, step_s, n_rows, as_float):
    numbers = (start_s + step_s * np.arange(n_rows)) * (10**9 // UNIT_NS[unit])
    column = pd.Series(numbers.astype(np.float64) if as_float and unit in ("s", "ms") else numbers, name="t")
    axis = parse_time_axis(column, "f.csv")
    assert (axis.unit, axis.unit_inferred) == (unit, True)
    expected = pd.to_datetime((start_s + step_s * np.arange(n_rows)) * 10**9, utc=True)
    np.testing.assert_array_equal(axis.index.as_unit("ns").asi8, expected.as_unit("ns").asi8)
    stated = parse_time_axis(column, "f.csv", time_unit=unit)
    assert stated.index.equals(axis.index) and not stated.unit_inferred


def test_numbers_that_fit_no_epoch_unit_are_refused_naming_the_setting():
    with pytest.raises(DataError, match=r"column 't' holds numbers from 0 to 149, .*set data.time_unit to step"):
        parse_time_axis(pd.Series(np.arange(150), name="t"), "f.csv")
    dates = pd.Series([20210201, 20210202, 20210203], name="day")
    with pytest.raises(DataError, match=r"data.time_format: '%Y%m%d' if they are dates written as numbers"):
        parse_time_axis(dates, "f.csv")
    axis = parse_time_axis(dates, "f.csv", time_format="%Y%m%d")
    assert list(axis.index) == list(pd.date_range("2021-02-01", periods=3, freq="D"))


def test_a_time_unit_for_text_is_refused():
    with pytest.raises(
        DataError,
        match=r"column 'date' holds text such as '2024-01-01', not numbers in data.time_unit "
        r"'s'; drop data.time_unit",
    ):
        parse_time_axis(pd.Series(["2024-01-01", "2024-01-02"], name="date"), "f.csv", time_unit="s")


def test_integer_steps_continue_their_step_numbers(load_case):
    with pytest.raises(DataError, match="set data.time_unit to step"):
        load_case("c02_integer_steps.csv", time_column="t", id_column="group")
    collection, report = load_case("c02_integer_steps.csv", time_column="t", id_column="group", time_unit="step")
    assert collection.series_ids == ("a", "b") and list(collection.lengths()) == [150, 150]
    assert collection.frequency == "step" and report.time_unit == "step"
    assert list(collection.series(1).index[[0, -1]]) == [0, 149]
    assert list(future_index(collection.series(0).index[-1], collection.frequency, 6)) == [150, 151, 152, 153, 154, 155]
    raw = pd.DataFrame({"t": [0, 5, 15, 20], "x": [0.0, 1.0, 3.0, 4.0]})
    gappy, report = validate(raw, time_column="t", time_unit="step")
    assert gappy.frequency == "5step" and list(gappy.frame.index) == [0, 5, 10, 15, 20]
    assert gappy.frame["x"].iloc[2] == 2.0 and report.timestamps_inserted == 1


def test_day_first_dates_are_read_day_first_from_the_whole_column(load_case):
    collection, report = load_case("c03_dayfirst_dates.csv")
    index = collection.frame.index
    assert len(index) == 120 and report.timestamps_inserted == 0 and collection.frequency == "D"
    assert (index[0], index[-1]) == (pd.Timestamp("2021-02-01"), pd.Timestamp("2021-05-31"))
    assert future_index(index[-1], collection.frequency, 1)[0] == pd.Timestamp("2021-06-01")
    assert report.time_format == "%d.%m.%Y"


@pytest.mark.parametrize(
    ("fmt", "freq"),
    [("%d/%m/%Y", "D"), ("%d-%m-%Y", "D"), ("%d.%m.%Y %H:%M", "h"), ("%m/%d/%Y", "D"), ("%Y/%m/%d", "D")],
)
def test_unambiguous_formats_of_other_writers(fmt, freq):
    times = pd.date_range("2021-01-11", periods=60, freq=freq)
    collection, report = validate(pd.DataFrame({"date": times.strftime(fmt), "v": np.arange(60.0)}))
    assert collection.frame.index.equals(pd.DatetimeIndex(times, name="date"))
    assert report.timestamps_inserted == 0 and report.time_format == fmt


def test_two_digit_years_need_the_format_stated():
    raw = pd.DataFrame({"date": ["11/01/21", "12/01/21", "13/01/21"], "v": [1.0, 2.0, 3.0]})
    with pytest.raises(
        DataError, match=r"'11/01/21' in row 1 is no date format pandas knows\); .*set data.time_format"
    ):
        validate(raw)
    collection, _ = validate(raw, time_format="%d/%m/%y")
    assert collection.frame.index[-1] == pd.Timestamp("2021-01-13")


def test_ambiguous_day_month_order_is_refused_unless_configured():
    raw = pd.DataFrame({"date": ["01/02/2021", "01/03/2021", "01/04/2021"], "v": [1.0, 2.0, 3.0]})
    with pytest.raises(
        DataError,
        match=r"'01/02/2021' \(row 1\) is 2021-01-02 as %m/%d/%Y and 2021-02-01 as "
        r"%d/%m/%Y; set data.dayfirst \(true or false\) or data.time_format",
    ):
        validate(raw)
    day_first, _ = validate(raw, dayfirst=True)
    assert (day_first.frequency, day_first.frame.index[0]) == ("MS", pd.Timestamp("2021-02-01"))
    month_first, _ = validate(raw, dayfirst=False)
    assert (month_first.frequency, month_first.frame.index[0]) == ("D", pd.Timestamp("2021-01-02"))
    stated, _ = validate(raw, time_format="%d/%m/%Y")
    assert stated.frame.index.equals(day_first.frame.index)


def test_a_row_in_another_format_is_named_never_switched_silently():
    raw = pd.DataFrame({"date": ["2021-02-01", "2021-02-02", "03.02.2021"], "v": [1.0, 2.0, 3.0]})
    with pytest.raises(DataError, match=r"'03.02.2021' in row 3, not in the format %Y-%m-%d of the rows before"):
        validate(raw)


@pytest.mark.parametrize("zone", [None, "UTC"])
def test_parquet_time_index_is_the_time_column(load_case, tmp_path, zone):
    collection, _ = load_case("c12_parquet_datetimeindex.parquet", time_column="timestamp")
    assert len(collection.frame) == 300 and collection.frequency == "h"
    assert collection.frame.index[0] == pd.Timestamp("2024-01-01 00:00")
    index = pd.date_range("2024-05-01", periods=30, freq="15min", tz=zone, name="when")
    pd.DataFrame({"load": np.arange(30.0)}, index=index).to_parquet(tmp_path / "x.parquet")
    other, _ = load_case(tmp_path / "x.parquet", time_column="when")
    assert other.frequency == "15min" and other.frame.index.equals(index)
    pd.DataFrame({"load": np.arange(30.0)}, index=index.rename(None)).to_parquet(tmp_path / "unnamed.parquet")
    unnamed, _ = load_case(tmp_path / "unnamed.parquet", time_column="index")
    assert unnamed.frame.index.equals(index.rename("index"))


@pytest.mark.parametrize("zone", ["Europe/Paris", "America/New_York", "Australia/Sydney"])
@pytest.mark.parametrize("descending", [False, True])
def test_local_wall_clock_times_across_both_dst_changes(zone, descending):
    year = pd.date_range("2024-01-01", "2025-01-01", freq="h", tz=zone, inclusive="left")
    wall = year.tz_localize(None)
    raw = pd.DataFrame({"date": wall.strftime("%Y-%m-%d %H:%M"), "v": np.arange(len(year), dtype=float)})
    collection, report = validate(raw.iloc[::-1] if descending else raw, timezone=zone)
    assert collection.frame.index.equals(pd.DatetimeIndex(year, name="date"))
    assert collection.frequency == "h" and report.timestamps_inserted == report.duplicate_rows_merged == 0
    np.testing.assert_array_equal(collection.frame["v"].to_numpy(), np.arange(len(year), dtype=float))
    skipped_hour = wall[np.flatnonzero((wall[1:] - wall[:-1]) == pd.Timedelta(hours=2))[0]] + pd.Timedelta(hours=1)
    bad = pd.DataFrame({"date": [str(skipped_hour - pd.Timedelta(hours=1)), str(skipped_hour)], "v": [1.0, 2.0]})
    with pytest.raises(DataError, match=f"row 2, a wall-clock time that does not exist in {zone}"):
        validate(bad, timezone=zone)


def test_local_midnights_across_dst_are_daily():
    days = pd.date_range("2024-03-20", "2024-11-10", freq="D", tz="Europe/Paris")
    raw = pd.DataFrame({"date": [day.isoformat() for day in days], "v": np.arange(len(days), dtype=float)})
    with pytest.raises(DataError, match="mixes time zones or UTC offsets; set data.timezone"):
        validate(raw)
    collection, report = validate(raw, timezone="Europe/Paris")
    assert collection.frequency == "D" and report.timestamps_inserted == 0
    future = future_index(pd.Timestamp("2024-03-30", tz="Europe/Paris"), "D", 2)
    assert [t.hour for t in future] == [0, 0] and str(future[1].tz) == "Europe/Paris"
