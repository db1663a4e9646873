"""CSV dialects: sniffed separators, decimal commas, thousands separators, encodings, and what to set when reading fails."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.data import read_table
from forecaster.data.dialect import sniff_dialect
from forecaster.errors import DataError


def write(path, text, encoding="utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


@settings(max_examples=20, deadline=None)
@given(sep=st.sampled_from([",", ";", "\t", "|"]), n_rows=st.integers(2, 30), quoted=st.booleans())
def test_separator_is_sniffed(tmp_path_factory, sep, n_rows, quoted):
    times = pd.date_range("2024-01-01", periods=n_rows, freq="h").strftime("%Y-%m-%d %H:%M")
    name = '"load, kW"' if quoted else "load"
    lines = [f"date{sep}{name}{sep}temp"] + [f"{t}{sep}{k}.5{sep}{-k}" for k, t in enumerate(times)]
    path = write(tmp_path_factory.mktemp("sep") / "s.csv", "\n".join(lines) + "\n")
    frame = read_table(path)
    assert frame.attrs["csv_dialect"]["sep"] == sep and frame.attrs["csv_dialect"]["sniffed"]
    assert list(frame.columns) == ["date", "load, kW" if quoted else "load", "temp"]
    np.testing.assert_array_equal(frame.iloc[:, 1].to_numpy(), np.arange(n_rows) + 0.5)


def test_semicolon_file_with_decimal_commas(load_case):
    with pytest.raises(
        DataError,
        match=r"column 'Temperatur \(Celsius\)' holds numbers written with a decimal comma "
        r"\('28,682'\); set data.csv.decimal: ','",
    ):
        load_case("c04_semicolon_decimal_comma.csv", time_column="Datum")
    with pytest.raises(
        DataError,
        match=r"one column 'Datum;Temperatur \(Celsius\)'; it looks ';'-separated: "
        r"set data.csv.sep: ';'",
    ):
        load_case("c04_semicolon_decimal_comma.csv", time_column="Datum", csv={"sep": ","})
    collection, report = load_case("c04_semicolon_decimal_comma.csv", time_column="Datum", csv={"decimal": ","})
    column = collection.frame["Temperatur (Celsius)"]
    assert len(column) == 300 and report.rows_reordered == 300 and collection.frequency == "10min"
    assert column.iloc[-1] == 28.682 and collection.frame.index[-1] == pd.Timestamp("2019-06-12 11:44:17")
    assert report.csv_dialect == "separator ';' (sniffed), decimal ',', utf-8"


def test_thousands_separators(tmp_path):
    european = write(tmp_path / "eu.csv", "date;sales\n2024-01-01;1.234,5\n2024-01-02;12.345,25\n")
    frame = read_table(european, decimal=",", thousands=".")
    np.testing.assert_array_equal(frame["sales"].to_numpy(), [1234.5, 12345.25])
    english = write(tmp_path / "en.csv", 'date,sales\n2024-01-01,"1,234"\n2024-01-02,"12,345.5"\n')
    with pytest.raises(
        DataError,
        match=r"column 'sales' holds numbers written with thousands commas \('1,234'\); "
        r"set data.csv.thousands: ','",
    ):
        read_table(english)
    np.testing.assert_array_equal(read_table(english, thousands=",")["sales"].to_numpy(), [1234.0, 12345.5])


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-32"])
def test_byte_order_marks_are_followed(tmp_path, encoding):
    path = write(tmp_path / "bom.csv", "date;Température\n2024-01-01;1,5\n2024-01-02;2,5\n", encoding)
    frame = read_table(path, decimal=",")
    assert list(frame.columns) == ["date", "Température"]
    np.testing.assert_array_equal(frame["Température"].to_numpy(), [1.5, 2.5])


def test_other_encodings_are_named_in_the_refusal(tmp_path):
    path = write(tmp_path / "latin.csv", "date,Température\n2024-01-01,1.5\n2024-01-02,2.5\n", "cp1252")
    with pytest.raises(DataError, match=r"latin.csv: byte 9 is not utf-8 text; set data.csv.encoding \(e.g. cp1252"):
        read_table(path)
    assert list(read_table(path, encoding="cp1252").columns) == ["date", "Température"]
    assert sniff_dialect(path, encoding="cp1252").encoding == "cp1252"
