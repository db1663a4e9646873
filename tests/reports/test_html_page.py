"""The run page: relative links whatever the output folder, escaping, tables for people, rebuilds."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from page_links import broken_links, page_links

from forecaster.errors import RunError
from forecaster.reports.html import (
    MISSING,
    HtmlSection,
    format_cell,
    mapping_rows,
    prose_html,
    rebuild_index_html,
    relative_link,
    write_index_html,
)
from forecaster.reports.style import new_figure, save_figure, styled
from forecaster.runs import RunFolder


def _write_run(output_dir, title="Demo") -> Path:
    with RunFolder(output_dir, "demo") as run:
        figure = new_figure(2, 3)
        styled(figure.subplots()).plot([0, 1], [1, 0])
        png = save_figure(figure, run.figure_path("line"), svg=True)
        write_index_html(
            run,
            title,
            [HtmlSection("Figures", text="one\n\ntwo", table=[{"name": "a", "value": 0.123456}], figures=[png])],
            summary=["fine"],
            warnings=["careful"],
        )
    return run.final_path


@pytest.mark.parametrize("spelling", ["relative", "absolute", "dotdot", "symlink"])
def test_links_resolve_relative_to_the_page_whatever_the_output_dir(tmp_path, monkeypatch, spelling):
    (tmp_path / "work" / "sub").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work")
    output_dir = {
        "relative": Path("reports"),
        "absolute": tmp_path / "work" / "reports",
        "dotdot": Path("sub/../reports"),
        "symlink": Path("linked"),
    }[spelling]
    if spelling == "symlink":
        (tmp_path / "target").mkdir()
        os.symlink(tmp_path / "target", "linked")
    run = _write_run(output_dir)
    page = run / "index.html"
    links = page_links(page)
    assert "figures/line.png" in links and "figures/line.svg" in links
    assert broken_links(page) == []
    moved = shutil.move(str(run), tmp_path / "elsewhere")
    assert broken_links(Path(moved) / "index.html") == []


def test_page_is_escaped_and_tells_summary_and_warnings_first(tmp_path):
    run = _write_run(tmp_path, title="<script>alert(1)</script>")
    text = (run / "index.html").read_text()
    assert "<script>alert" not in text and "&lt;script&gt;" in text
    assert text.index("careful") < text.index("fine") < text.index("<h2")
    assert "<p>one</p>" in text and "<p>two</p>" in text
    assert ">0.1235<" in text


def test_backtick_spans_show_as_code_in_every_kind_of_page_text(tmp_path):
    assert prose_html("forecast with `forecaster forecast --run <this folder>`.") == (
        "forecast with <code>forecaster forecast --run &lt;this folder&gt;</code>."
    )
    assert prose_html("a lone ` stays") == "a lone ` stays"
    with RunFolder(tmp_path, "demo") as run:
        figure = new_figure(2, 3)
        styled(figure.subplots()).plot([0, 1], [1, 0])
        png = save_figure(figure, run.figure_path("line"))
        write_index_html(
            run,
            "Demo",
            [HtmlSection("Code", text="run `a`\n\nthen `b`", figures=[png], captions=["see `c`"])],
            summary=["use `d`"],
            warnings=["not `<e>`"],
        )
    text = (run.final_path / "index.html").read_text()
    for html in (
        "<p>run <code>a</code></p>",
        "<p>then <code>b</code></p>",
        "<figcaption>see <code>c</code></figcaption>",
        "<li>use <code>d</code></li>",
        "<li>not <code>&lt;e&gt;</code></li>",
    ):
        assert html in text
    assert "`" not in text


def test_report_rebuilds_the_same_page_from_saved_page_data(tmp_path):
    run = _write_run(tmp_path)
    original = (run / "index.html").read_text()
    (run / "index.html").unlink()
    assert rebuild_index_html(run) == run / "index.html"
    assert (run / "index.html").read_text() == original


def test_report_refuses_folders_without_page_data_or_with_missing_figures(tmp_path):
    with pytest.raises(RunError, match="no page.json"):
        rebuild_index_html(tmp_path)
    run = _write_run(tmp_path / "reports")
    (run / "figures" / "line.png").unlink()
    with pytest.raises(RunError, match="figures/line.png"):
        rebuild_index_html(run)
    (run / "page.json").write_text("[]")
    with pytest.raises(RunError, match="not page data"):
        rebuild_index_html(run)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda page: page.pop("title"), r"not page data of version 1 \(title: Field required\)"),
        (lambda page: page.update(version=2), "version"),
        (lambda page: page["sections"][0]["figures"][0].update(src="../../etc/passwd"), "outside the run folder"),
        (lambda page: page["sections"][0]["figures"][0].update(src="/etc/passwd"), "outside the run folder"),
        (
            lambda page: page["sections"][0].update(table={"columns": ["a"], "rows": [[{"text": 1}]]}),
            "sections.0.table",
        ),
    ],
)
def test_report_refuses_hand_edited_page_data_in_one_line(tmp_path, edit, message):
    run = _write_run(tmp_path)
    page = json.loads((run / "page.json").read_text())
    edit(page)
    (run / "page.json").write_text(json.dumps(page))
    with pytest.raises(RunError, match=message):
        rebuild_index_html(run)


def test_figures_outside_the_run_folder_are_refused(tmp_path):
    outside = save_figure(new_figure(1, 1), tmp_path / "outside.png")
    with pytest.raises(ValueError, match="outside the run folder"):
        relative_link(outside, tmp_path / "run")
    with RunFolder(tmp_path / "reports", "x") as run:
        with pytest.raises(ValueError, match="was not written"):
            write_index_html(run, "t", [HtmlSection("s", figures=[run.figure_path("never")])])
        write_index_html(run, "t", [])


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, MISSING),
        (math.nan, MISSING),
        (np.float32("nan"), MISSING),
        (True, "yes"),
        (17420, "17,420"),
        (np.int64(12), "12"),
        (0.0466612, "0.04666"),
        (12345.6, "12,346"),
        (1.5e-5, "1.500e-05"),
        (math.inf, "∞"),
        (pd.Timestamp("2018-06-26"), "2018-06-26"),
        (pd.Timestamp("2018-06-26 19:00"), "2018-06-26 19:00:00"),
        (np.datetime64("2018-06-26T19:00:00.000000000"), "2018-06-26 19:00:00"),
        (["MUFL", "HULL"], "MUFL, HULL"),
        ("pass", "pass"),
    ],
)
def test_format_cell_formats_numbers_and_times_for_people(value, text):
    assert format_cell(value) == text


def test_mapping_rows_turns_nested_dicts_into_rows():
    rows = mapping_rows({"rows_read": 10, "missing_values": {"OT": 2, "HUFL": 0}, "values_filled": {}, "ignored": []})
    assert rows == [
        {"item": "rows read", "value": 10},
        {"item": "missing values › OT", "value": 2},
        {"item": "missing values › HUFL", "value": 0},
        {"item": "values filled", "value": "none"},
        {"item": "ignored", "value": "none"},
    ]


def test_page_data_is_strict_json(tmp_path):
    run = _write_run(tmp_path)
    page = json.loads((run / "page.json").read_text())
    assert page["sections"][0]["figures"][0]["src"] == "figures/line.png"
    assert page["sections"][0]["figures"][0]["width"] == 300
    assert page["summary"] == ["fine"] and page["warnings"] == ["careful"]


def test_a_column_of_times_reads_alike_in_every_row(tmp_path):
    times = pd.date_range("2018-06-26 22:00", periods=3, freq="h")
    with RunFolder(tmp_path, "t") as run:
        write_index_html(run, "t", [HtmlSection("s", table=[{"time": t, "day": t.normalize()} for t in times])])
    text = (run.final_path / "index.html").read_text()
    assert ">2018-06-27 00:00<" in text and ">2018-06-26 23:00<" in text
    assert text.count(">2018-06-26<") == 2 and ">2018-06-27<" in text


def test_headers_of_text_columns_align_left_with_their_cells(tmp_path):
    rows = [
        {"run": "a", "data": "data/a.csv", "mse": 0.5, "note": None},
        {"run": "b", "data": None, "mse": 1, "note": 2},
    ]
    with RunFolder(tmp_path, "t") as run:
        write_index_html(run, "t", [HtmlSection("s", table=rows)])
    text = (run.final_path / "index.html").read_text()
    # 'data' is text wherever it is given; 'mse' and the mixed 'note' stay right-aligned like their numbers.
    assert '<tr><th class="text">run</th><th class="text">data</th><th>mse</th><th>note</th></tr>' in text
    assert "td:first-child, th:first-child, td.text, th.text { text-align: left; }" in text
