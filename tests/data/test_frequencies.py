"""Calendar frequencies: aliases users know under pandas 2 and 3, gaps filled on the series' own calendar, seasonal periods."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.config import DataConfig
from forecaster.data import validate_series
from forecaster.data.calendar import calendar_grid, infer_frequency, seasonal_period
from forecaster.evaluation import infer_seasonal_period
from forecaster.windows import future_index

# alias written -> (alias inferred, seasonal period)
ALIASES = {
    "15min": ("15min", 96),
    "h": ("h", 24),
    "2h": ("2h", 12),
    "D": ("D", 7),
    "B": ("B", 5),
    "W-SUN": ("W-SUN", 52),
    "W-WED": ("W-WED", 52),
    "MS": ("MS", 12),
    "ME": ("ME", 12),
    "QS-JAN": ("QS-JAN", 4),
    "QE-DEC": ("QE-DEC", 4),
    "YS-JAN": ("YS-JAN", 1),
    "YE-DEC": ("YE-DEC", 1),
}


def validate(raw, **data):
    return validate_series(raw, DataConfig(path="f.csv", **data), source="f.csv")


@settings(max_examples=60, deadline=None)
@given(
    alias=st.sampled_from(sorted(ALIASES)),
    start=st.dates(min_value=pd.Timestamp("1990-01-01").date(), max_value=pd.Timestamp("2030-01-01").date()),
    n_rows=st.integers(12, 60),
    dropped=st.sets(st.integers(1, 10), max_size=3),
)
def test_frequency_alias_is_inferred_and_gaps_filled_on_its_calendar(alias, start, n_rows, dropped):
    grid = pd.date_range(start, periods=n_rows, freq=alias)
    kept = grid.delete(sorted(dropped))
    raw = pd.DataFrame({"date": kept.astype(str), "v": np.arange(len(kept), dtype=float)})
    collection, report = validate(raw)
    expected, period = ALIASES[alias]
    assert collection.frequency == expected and seasonal_period(collection.frequency) == period
    assert collection.frame.index.equals(pd.DatetimeIndex(grid, name="date"))
    assert report.timestamps_inserted == len(dropped) == int(collection.filled.sum())
    assert future_index(grid[-2], collection.frequency, 1)[0] == grid[-1]


@pytest.mark.parametrize(
    ("alias", "period"),
    [
        ("D", 7),
        ("24h", 7),
        ("1D", 7),
        ("B", 5),
        ("C", 5),
        ("W", 52),
        ("W-MON", 52),
        ("MS", 12),
        ("ME", 12),
        ("BME", 12),
        ("QS", 4),
        ("QE", 4),
        ("YS", 1),
        ("YE", 1),
        ("h", 24),
        ("60min", 24),
        ("30min", 48),
        ("2D", None),
        ("step", None),
        ("7h", None),
    ],
)
def test_seasonal_period_of_pandas_2_and_3_aliases(alias, period):
    assert seasonal_period(alias) == period


def test_business_days_invent_no_weekend(load_case):
    collection, report = load_case("c08_business_days.csv")
    index = collection.frame.index
    assert collection.frequency == "B" and len(index) == 260 and report.timestamps_inserted == 0
    assert (index.dayofweek < 5).all() and infer_seasonal_period(collection.frequency) == 5
    assert list(future_index(index[-1], collection.frequency, 6)) == list(
        pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"])
    )
    gappy = pd.read_csv(Path(__file__).parent / "fixtures" / "c08_business_days.csv").drop(index=[10, 11, 12])
    refilled, report = validate(gappy)
    assert refilled.frame.index.equals(index) and report.timestamps_inserted == 3
    assert list(np.flatnonzero(refilled.filled)) == [10, 11, 12]


def test_holidays_make_a_custom_business_calendar():
    days = pd.bdate_range("2023-12-01", "2024-02-01").drop(pd.DatetimeIndex(["2023-12-25", "2023-12-26", "2024-01-01"]))
    raw = pd.DataFrame({"date": days.strftime("%Y-%m-%d"), "v": np.arange(len(days), dtype=float)})
    unlisted, report = validate(raw)
    assert unlisted.frequency == "B" and report.timestamps_inserted == 3
    holidays = ["2023-12-25", "2023-12-26", "2024-01-01", "2024-12-25"]
    listed, report = validate(raw, holidays=holidays)
    assert listed.frequency == "C" and report.timestamps_inserted == 0 and len(listed.frame) == len(days)
    assert list(future_index(days[-1], "C", 2, listed.holidays)) == list(pd.DatetimeIndex(["2024-02-02", "2024-02-05"]))
    assert list(calendar_grid(pd.Timestamp("2024-12-24"), pd.Timestamp("2024-12-27"), "C", listed.holidays)) == list(
        pd.DatetimeIndex(["2024-12-24", "2024-12-26", "2024-12-27"])
    )


def test_plain_daily_data_is_D_with_period_7(load_case):
    collection, _ = load_case("c08b_daily_all_days.csv")
    assert collection.frequency == "D" and len(collection.frame) == 200
    assert infer_seasonal_period(collection.frequency) == 7


@pytest.mark.parametrize(
    ("name", "alias", "rows", "inserted", "last_future"),
    [
        ("c10_month_end_missing.csv", "ME", 120, 1, "2022-01-31"),
        ("c10b_month_end_full.csv", "ME", 36, 0, "2023-01-31"),
        ("c10c_month_start_full.csv", "MS", 36, 0, "2023-01-01"),
    ],
)
def test_month_start_and_end_series(load_case, name, alias, rows, inserted, last_future):
    collection, report = load_case(name)
    assert (collection.frequency, len(collection.frame), report.timestamps_inserted) == (alias, rows, inserted)
    assert infer_seasonal_period(collection.frequency) == 12
    assert future_index(collection.frame.index[-1], alias, 1)[0] == pd.Timestamp(last_future)
    if inserted:
        assert collection.frame.index[collection.filled][0] == pd.Timestamp("2016-03-31")


def test_long_format_series_each_on_their_own_calendar():
    mondays = pd.date_range("2024-01-01", periods=30, freq="W-MON")
    saturdays = pd.date_range("2024-01-06", periods=30, freq="W-SAT")
    both = pd.DataFrame(
        {"id": ["a"] * 30 + ["b"] * 30, "date": mondays.append(saturdays).astype(str), "v": np.arange(60.0)}
    )
    same_day = both.assign(date=mondays.append(mondays).astype(str))
    assert infer_frequency(pd.DatetimeIndex(same_day["date"]), same_day["id"].to_numpy()) == "W-MON"
    collection, report = validate(both.drop(index=[40]), id_column="id")
    assert collection.frequency == "7D" and report.timestamps_inserted == 1
    assert collection.series(1).index.equals(pd.DatetimeIndex(saturdays, name="date"))


@settings(max_examples=20, deadline=None)
@given(day=st.integers(2, 28), n_rows=st.integers(14, 40), dropped=st.integers(1, 12))
def test_monthly_on_day_n(day, n_rows, dropped):
    grid = pd.date_range(f"2019-01-{day:02d}", periods=n_rows, freq=pd.DateOffset(months=1))
    raw = pd.DataFrame({"date": grid.delete(dropped).strftime("%Y-%m-%d"), "v": np.arange(n_rows - 1.0)})
    collection, report = validate(raw)
    assert collection.frequency == f"MS+{day - 1}D" and seasonal_period(collection.frequency) == 12
    assert collection.frame.index.equals(pd.DatetimeIndex(grid, name="date")) and report.timestamps_inserted == 1
    assert future_index(grid[-1], collection.frequency, 1)[0] == grid[-1] + pd.DateOffset(months=1)
    stated, _ = validate(raw, frequency=collection.frequency)
    assert stated.frame.index.equals(collection.frame.index)
