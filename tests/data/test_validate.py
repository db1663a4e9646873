"""Validation and repair of raw series: each bad-input case, its policy or its message."""

import numpy as np
import pandas as pd
import pytest

from forecaster.config import DataConfig
from forecaster.data import load_series, missing_times_between, read_table, validate_series
from forecaster.data.validate import FRAME_SOURCE
from forecaster.errors import ConfigError, DataError


def hourly(n, start="2021-03-01", **columns):
    frame = pd.DataFrame({"date": pd.date_range(start, periods=n, freq="h").astype(str)})
    for name, values in columns.items():
        frame[name] = values
    return frame


def validate(frame, min_rows=1, **data):
    return validate_series(frame, DataConfig(path="f.csv", **data), source="f.csv", min_rows=min_rows)


def test_clean_series_passes_unchanged():
    raw = hourly(10, v=np.arange(10.0), w=np.ones(10))
    collection, report = validate(raw)
    assert collection.frequency == "h"
    assert collection.columns == ["v", "w"]
    np.testing.assert_array_equal(collection.frame["v"].to_numpy(), np.arange(10.0))
    assert report.timestamps_inserted == report.rows_reordered == report.duplicate_rows_merged == 0


def test_unsorted_rows_are_sorted_and_counted():
    raw = hourly(6, v=np.arange(6.0)).iloc[[0, 2, 1, 3, 5, 4]]
    collection, report = validate(raw)
    np.testing.assert_array_equal(collection.frame["v"].to_numpy(), np.arange(6.0))
    assert report.rows_reordered == 4


def test_duplicates_are_refused_by_default():
    raw = pd.concat([hourly(4, v=np.arange(4.0)), hourly(1, start="2021-03-01 02:00", v=[9.0])])
    with pytest.raises(
        DataError,
        match=r"f.csv: 2 rows share 1 timestamp \(first 2021-03-01 02:00:00\); remove them or set data.duplicates",
    ):
        validate(raw)


@pytest.mark.parametrize("rule, expected", [("mean", 5.5), ("first", 2.0), ("last", 9.0), ("max", 9.0), ("sum", 11.0)])
def test_duplicates_aggregate_by_rule(rule, expected):
    raw = pd.concat([hourly(4, v=np.arange(4.0)), hourly(1, start="2021-03-01 02:00", v=[9.0])])
    collection, report = validate(raw, duplicates=rule)
    assert collection.frame["v"].iloc[2] == expected
    assert report.duplicate_rows_merged == 1


@pytest.mark.parametrize(
    "policy, expected", [("interpolate", [0.0, 1.0, 2.0, 3.0, 4.0]), ("ffill", [0.0, 1.0, 1.0, 1.0, 4.0])]
)
def test_gaps_are_regularised_and_filled(policy, expected):
    raw = hourly(5, v=np.arange(5.0)).drop(index=[2, 3])
    collection, report = validate(raw, fill=policy)
    np.testing.assert_allclose(collection.frame["v"].to_numpy(), expected)
    assert report.timestamps_inserted == 2
    assert report.values_filled == {"v": 2}


def test_mask_policy_keeps_missing_values_and_counts_them():
    raw = hourly(5, v=[0.0, np.nan, 2.0, np.inf, 4.0])
    collection, report = validate(raw, fill="mask")
    assert collection.frame["v"].isna().tolist() == [False, True, False, True, False]
    assert report.inf_values == 1
    assert report.values_masked == {"v": 2}


def test_refuse_policy_names_column_and_first_missing_time():
    raw = hourly(5, v=[0.0, 1.0, np.nan, 3.0, 4.0])
    with pytest.raises(
        DataError, match=r"column 'v' has 1 missing or infinite value \(first at 2021-03-01 02:00:00\); set data.fill"
    ):
        validate(raw, fill="refuse")


def test_inf_values_are_repaired_and_counted():
    raw = hourly(3, v=[0.0, -np.inf, 2.0])
    collection, report = validate(raw)
    assert collection.frame["v"].tolist() == [0.0, 1.0, 2.0]
    assert report.inf_values == 1


def test_non_numeric_target_is_named_with_its_first_bad_value():
    raw = hourly(3, v=[1.0, 2.0, 3.0], label=["1", "x", "3"])
    with pytest.raises(DataError, match=r"non-numeric target/covariate columns: 'label' has 'x' in row 2"):
        validate(raw, target_columns=["v", "label"])


def test_unknown_target_column_suggests_nearest():
    with pytest.raises(DataError, match=r"f.csv: no column 'vv'; did you mean 'v'\?"):
        validate(hourly(3, v=[1.0, 2.0, 3.0]), target_columns=["vv"])


def test_missing_time_column_is_named():
    with pytest.raises(DataError, match=r"no column 'time' \(data.time_column\); did you mean"):
        validate(hourly(3, v=[1.0, 2.0, 3.0]).rename(columns={"date": "times"}), time_column="time")


def test_unparsable_time_value_is_shown():
    raw = hourly(3, v=[1.0, 2.0, 3.0])
    raw.loc[1, "date"] = "yesterday"
    with pytest.raises(
        DataError,
        match=r"column 'date' has 'yesterday' in row 2, not in the format %Y-%m-%d %H:%M:%S of the rows before; fix the row or set data.time_format",
    ):
        validate(raw)


def test_a_column_fixed_elsewhere_is_named_with_its_key_and_the_files_columns():
    raw = hourly(3, MULL=np.ones(3))
    config = DataConfig(path="f.csv", past_covariates=["HULL"])
    with pytest.raises(DataError, match=r"^f.csv: no column 'HULL'; did you mean 'MULL'\?$"):
        validate_series(raw, config, source="f.csv")
    with pytest.raises(
        DataError,
        match=r"^f.csv: the run was trained with column 'HULL' \(data.past_covariates\); the file has columns: date, MULL$",
    ):
        validate_series(raw, config, source="f.csv", columns_fixed_by="the run was trained with")


def test_a_data_frame_is_called_a_data_frame_not_a_file():
    raw = hourly(3, MULL=np.ones(3))
    with pytest.raises(
        DataError, match=r"^data frame: no column 'stamp' \(data.time_column\); the data frame has columns: date, MULL$"
    ):
        validate_series(raw, DataConfig(time_column="stamp"), source=FRAME_SOURCE)
    with pytest.raises(
        DataError,
        match=r"^data frame: the run was trained with column 'HULL' \(data.past_covariates\); the data frame has columns: date, MULL$",
    ):
        validate_series(
            raw, DataConfig(past_covariates=["HULL"]), source=FRAME_SOURCE, columns_fixed_by="the run was trained with"
        )
    off_grid = hourly(6, v=np.arange(6.0))
    off_grid.loc[3, "date"] = "2021-03-01 03:30:00"
    with pytest.raises(
        DataError, match=r"data.timezone to the zone its days are counted in, or resample the data frame$"
    ):
        validate_series(off_grid, DataConfig(frequency="h"), source=FRAME_SOURCE)


@pytest.mark.parametrize(
    ("n_off", "counted"), [(1, "1 timestamp is off the 'h' grid"), (2, "2 timestamps are off the 'h' grid")]
)
def test_counts_in_messages_agree_with_their_nouns(n_off, counted):
    raw = hourly(8, v=np.arange(8.0))
    raw.loc[[2, 5][:n_off], "date"] = ["2021-03-01 02:30:00", "2021-03-01 05:30:00"][:n_off]
    with pytest.raises(DataError, match=rf"^f.csv: {counted} \(first 2021-03-01 02:30:00\); set data.frequency"):
        validate(raw, frequency="h")
    short = hourly(1, v=[1.0])
    with pytest.raises(DataError, match=r"^f.csv: 1 row after regularising, but at least 2 rows are needed$"):
        validate(short, min_rows=2, frequency="h")
    gaps = hourly(4, v=[1.0, np.nan, np.nan, 4.0])
    with pytest.raises(DataError, match=r"column 'v' has 2 missing or infinite values \(first at"):
        validate(gaps, fill="refuse")


def test_mixed_time_zones_are_refused_unless_a_zone_is_configured():
    raw = pd.DataFrame(
        {"date": ["2021-03-01 00:00+00:00", "2021-03-01 02:00+01:00", "2021-03-01 02:00+00:00"], "v": [1.0, 2.0, 3.0]}
    )
    with pytest.raises(DataError, match="mixes time zones or UTC offsets; set data.timezone"):
        validate(raw)
    collection, _ = validate(raw, timezone="UTC")
    assert str(collection.frame.index.tz) == "UTC"
    assert collection.frame["v"].tolist() == [1.0, 2.0, 3.0]


def test_series_too_short_says_how_many_rows_are_needed_and_what_for():
    short = hourly(5, v=np.arange(5.0))
    with pytest.raises(DataError, match=r"^f.csv: 5 rows after regularising, but at least 30 rows are needed$"):
        validate(short, min_rows=30)
    reason = "a forecast needs the run's lookback of 30 rows; pass at least 30 rows of history"
    with pytest.raises(DataError, match=rf"^f.csv: 5 rows after regularising, but {reason}$"):
        validate_series(short, DataConfig(path="f.csv"), source="f.csv", min_rows=30, too_short=reason)


def test_off_grid_timestamps_are_refused():
    raw = hourly(4, v=np.arange(4.0))
    raw.loc[4] = ["2021-03-01 05:30", 5.0]
    with pytest.raises(DataError, match="off the 'h' grid"):
        validate(raw, frequency="h")


def test_bad_frequency_alias_is_a_config_error():
    with pytest.raises(ConfigError, match="data.frequency: 'fortnightly' is not a pandas frequency"):
        validate(hourly(4, v=np.arange(4.0)), frequency="fortnightly")


def test_long_format_series_are_kept_apart():
    a = hourly(4, v=np.arange(4.0)).assign(id="a")
    b = hourly(3, start="2021-05-01", v=10 + np.arange(3.0)).assign(id="b")
    raw = pd.concat([b.iloc[::-1], a])
    collection, _ = validate(raw, id_column="id")
    assert collection.series_ids == ("b", "a")
    np.testing.assert_array_equal(collection.offsets, [0, 3, 7])
    np.testing.assert_array_equal(collection.series(0)["v"].to_numpy(), [10.0, 11.0, 12.0])
    np.testing.assert_array_equal(collection.series(1)["v"].to_numpy(), np.arange(4.0))


def test_monthly_data_with_a_gap_infers_month_end():
    raw = pd.DataFrame({"date": pd.date_range("2020-01-31", periods=6, freq="ME").delete(2), "v": np.arange(5.0)})
    collection, report = validate(raw)
    assert collection.frequency == "ME"
    assert report.timestamps_inserted == 1


def test_max_rows_truncation_is_counted():
    collection, report = validate(hourly(10, v=np.arange(10.0)), max_rows=6)
    assert len(collection.frame) == 6
    assert report.rows_truncated == 4


def test_unused_columns_are_reported_not_silently_dropped():
    _, report = validate(hourly(3, v=[1.0, 2.0, 3.0], note=["a", "b", "c"], w=[1, 2, 3]), target_columns=["v"])
    assert report.ignored_columns == ["note", "w"]


def test_empty_and_header_only_files_are_refused(tmp_path):
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("date,v\n")
    with pytest.raises(DataError, match="empty.csv: the file is empty"):
        read_table(tmp_path / "empty.csv")
    with pytest.raises(DataError, match="header.csv: the file has a header but no data rows"):
        read_table(tmp_path / "header.csv")


def test_missing_file_and_unknown_suffix_are_refused(tmp_path):
    with pytest.raises(DataError, match="nope.csv: data file not found") as raised:
        read_table(tmp_path / "nope.csv")
    assert "data.path" not in str(raised.value)  # the path may come from a command-line argument, not the config
    (tmp_path / "data.xlsx").write_text("x")
    with pytest.raises(DataError, match=r"cannot tell the format from suffix '.xlsx'"):
        read_table(tmp_path / "data.xlsx")
    (tmp_path / "demo.yaml").write_text("data: {path: data.csv}\n")
    with pytest.raises(DataError) as raised:
        read_table(tmp_path / "demo.yaml")
    assert str(raised.value) == (
        f"{tmp_path / 'demo.yaml'} looks like a config, not a data file: pass the CSV or Parquet file itself "
        "(a config's data.path names it)"
    )


def test_parquet_and_csv_load_the_same_series(tmp_path):
    raw = hourly(6, v=np.arange(6.0))
    raw.to_csv(tmp_path / "s.csv", index=False)
    raw.assign(date=pd.to_datetime(raw["date"])).to_parquet(tmp_path / "s.parquet")
    from_csv, _ = load_series(DataConfig(path=tmp_path / "s.csv"))
    from_parquet, _ = load_series(DataConfig(path=tmp_path / "s.parquet"))
    pd.testing.assert_frame_equal(from_csv.frame, from_parquet.frame, check_index_type=False, check_freq=False)


def test_missing_times_between_follow_the_series_calendar_and_refuse_an_off_grid_row():
    missing = missing_times_between(pd.Timestamp("2024-01-01 00:00"), pd.Timestamp("2024-01-01 00:20"), "5min")
    assert list(missing) == list(pd.date_range("2024-01-01 00:05", periods=3, freq="5min"))
    assert missing_times_between(pd.Timestamp("2024-01-01 00:00"), pd.Timestamp("2024-01-01 00:05"), "5min").empty
    friday, next_tuesday = pd.Timestamp("2024-01-05"), pd.Timestamp("2024-01-09")
    assert list(missing_times_between(friday, next_tuesday, "B")) == [pd.Timestamp("2024-01-08")]
    assert missing_times_between(friday, next_tuesday, "C", holidays=["2024-01-08"]).empty
    with pytest.raises(
        DataError, match=r"series a: 2024-01-01 00:07:00 is off the '5min' grid .*the last at 2024-01-01 00:00:00"
    ):
        missing_times_between(
            pd.Timestamp("2024-01-01 00:00"), pd.Timestamp("2024-01-01 00:07"), "5min", source="series a"
        )


def test_missing_times_of_a_zoned_daily_series_follow_local_midnight_across_a_clock_change():
    local = pd.date_range("2024-03-28", periods=6, freq="D", tz="Europe/Berlin")  # summer time from 31 March
    as_stored = local.tz_convert("UTC").tz_localize(None)  # how scans keep times
    with pytest.raises(DataError, match="off the 'D' grid"):
        missing_times_between(as_stored[1], as_stored[5], "D")  # UTC midnight moved by an hour
    gap = missing_times_between(as_stored[1], as_stored[5], "D", timezone="Europe/Berlin")
    assert gap.equals(as_stored[2:5])


def test_rows_cut_from_a_table_are_named_by_their_row_in_the_table():
    """A series validated alone (a scan's fallback per series) names a bad value by its row in the file."""
    table = pd.DataFrame(
        {
            "date": list(pd.date_range("2024-01-01", periods=60, freq="h").astype(str)) * 2,
            "id": ["a"] * 60 + ["b"] * 60,
            "value": [1.0] * 120,
        }
    ).astype({"value": object})
    table.loc[100, "value"] = "x"
    table.loc[110, "date"] = "2024-01-01 1O:00"
    config = DataConfig(id_column="id", target_columns=["value"])
    series_b = table[table["id"] == "b"]
    with pytest.raises(DataError, match=r"'value' has 'x' in row 101;"):
        validate_series(series_b.drop(index=110), config, source="t.csv")
    with pytest.raises(DataError, match=r"has '2024-01-01 1O:00' in row 111,"):
        validate_series(series_b.drop(index=100), config, source="t.csv")
    # The whole table, and a frame indexed by time, count rows from 1 as before.
    with pytest.raises(DataError, match=r"'value' has 'x' in row 101;"):
        validate_series(table.drop(index=110), config, source="t.csv")
    by_time = series_b.drop(index=110)
    by_time.index = pd.DatetimeIndex(by_time["date"])
    with pytest.raises(DataError, match=r"'value' has 'x' in row 41;"):
        validate_series(by_time, config, source="t.csv")
