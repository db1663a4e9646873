"""The ``index.html`` page of a run folder, rendered from a Jinja2 template.

A page is data first: :func:`write_index_html` formats every section for
people, saves it as ``page.json`` in the run folder and renders
``index.html`` from it, so ``forecaster report`` can rebuild the page later
from what the run saved, without recomputing anything. Every link on the page
is relative to the page itself, whatever the run folder's path was when the
run wrote it (relative, absolute, through ``..`` or a symlink), so the folder
can be moved, copied or zipped and opened offline with no server.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any, Iterable, Literal, Mapping

import jinja2
import markupsafe
import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, ValidationError

from forecaster.errors import RunError
from forecaster.reports.style import PNG_DPI
from forecaster.runs import RunFolder

PAGE_FILE = "index.html"
PAGE_DATA_FILE = "page.json"
PAGE_DATA_VERSION = 1
MISSING = "–"
"""How an undefined number (``None``, NaN) is shown in a table."""
CODE_SPAN = re.compile(r"`([^`\n]+)`")
"""A span of page text in single backticks: a command or config key, shown as ``<code>``."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FigureData(_Strict):
    """A figure of a saved page: its link relative to the page, alt text, caption, SVG link, display width (CSS px)."""

    src: str
    alt: str = ""
    caption: str = ""
    svg: str = ""
    width: int | None = None


class CellData(_Strict):
    """A formatted table cell and its CSS class (``pass``, ``fail``, ``text`` or none)."""

    text: str
    css: str = ""


class TableData(_Strict):
    """A formatted table: column headers and rows of cells.

    ``column_css`` is each header's class: ``text`` over a column of text, so
    the header aligns left with its cells (empty in pages saved before it).
    """

    columns: list[str]
    rows: list[list[CellData]]
    column_css: list[str] = []


class SectionData(_Strict):
    """A section of a saved page."""

    heading: str
    anchor: str
    paragraphs: list[str] = []
    table: TableData | None = None
    figures: list[FigureData] = []


class PageData(_Strict):
    """Everything ``index.html`` shows, as saved in ``page.json`` (format :data:`PAGE_DATA_VERSION`)."""

    version: Literal[1]
    title: str
    subtitle: str = ""
    summary: list[str] = []
    warnings: list[str] = []
    sections: list[SectionData]
    footer: str = ""


@dataclass
class HtmlSection:
    """One section of a run page.

    Attributes:
        heading: section title.
        text: plain text (escaped); a blank line starts a new paragraph and
            a span in single backticks (a command, a config key) shows as code
            (:func:`prose_html`).
        table: rows as dicts; the union of their keys, in order of first
            appearance, becomes the column headers. Values are formatted by
            :func:`format_cell`.
        figures: figure files (PNG) inside the run folder, absolute or
            relative to the working directory, shown in order; an SVG with
            the same stem beside a PNG is linked under it.
        captions: plain text shown under each figure, one per figure in
            order, or none (the default); backtick spans show as code.
    """

    heading: str
    text: str = ""
    table: list[dict[str, Any]] | None = None
    figures: list[Path] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)


def write_index_html(
    run: RunFolder,
    title: str,
    sections: list[HtmlSection],
    summary: Iterable[str] = (),
    warnings: Iterable[str] = (),
    subtitle: str = "",
) -> Path:
    """Write ``page.json`` and ``index.html`` for a run folder and return the page's path.

    Args:
        run: the open run folder.
        title: the page title.
        sections: the page's sections, in order.
        summary: sentences shown in a box under the title: what the run found.
        warnings: sentences shown above the summary, highlighted: what a reader
            must know first (a model losing to a baseline, filled inputs...).
            In both, as in section text, a span in single backticks shows as code.
        subtitle: one line under the title (data, command). Default ``""``.

    Returns:
        The path of ``index.html``.

    Raises:
        ValueError: when a figure lies outside the run folder or does not exist, or a
            section's captions do not match its figures one to one.
    """
    assert run.path is not None
    page = PageData(
        version=PAGE_DATA_VERSION,
        title=title,
        subtitle=subtitle,
        summary=list(summary),
        warnings=list(warnings),
        sections=[_section_data(section, run.path, index) for index, section in enumerate(sections)],
        footer=_footer(run.name),
    )
    run.write_json(PAGE_DATA_FILE, page.model_dump())
    return run.write_text(PAGE_FILE, render_page(page))


def render_page(page: PageData) -> str:
    """Render saved page data as HTML (autoescaped)."""
    return _environment().get_template("page.html.j2").render(page=page)


def rebuild_index_html(run_dir: str | Path) -> Path:
    """Render ``index.html`` of a finished run folder again from its ``page.json``.

    The new page replaces the old one atomically (written beside it, then
    renamed), so a reader never sees half a page.

    Args:
        run_dir: a run folder written by any ``forecaster`` command.

    Returns:
        The path of ``index.html``.

    Raises:
        RunError: when the folder has no readable ``page.json`` or a figure it
            names is missing.
    """
    folder = Path(run_dir)
    source = folder / PAGE_DATA_FILE
    try:
        page = json.loads(source.read_text())
    except FileNotFoundError:
        raise RunError(f"{folder}: no {PAGE_DATA_FILE}; pass a run folder written by a forecaster command") from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise RunError(f"{source}: not readable page data ({exc}); run the command again to rewrite it") from None
    try:
        page = PageData.model_validate(page)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or "the top level"
        raise RunError(
            f"{source}: not page data of version {PAGE_DATA_VERSION} ({where}: {error['msg']}); "
            "run the command again to rewrite it"
        ) from None
    for link in (
        link for section in page.sections for figure in section.figures for link in (figure.src, figure.svg) if link
    ):
        try:
            inside = (folder / link).is_file() and relative_link(folder / link, folder) == PurePosixPath(
                link
            ).as_posix()
        except ValueError:
            inside = False
        if not inside:
            raise RunError(f"{source}: figure {link} is missing or outside the run folder; run the command again")
    target = folder / PAGE_FILE
    staging = folder / f".{PAGE_FILE}.tmp"
    try:
        staging.write_text(render_page(page))
        os.replace(staging, target)
    except OSError as exc:
        staging.unlink(missing_ok=True)
        raise RunError(f"{target}: cannot write the page ({exc.strerror})") from None
    return target


def relative_link(target: str | Path, page_dir: str | Path) -> str:
    """Return the link from a page in ``page_dir`` to ``target``, as a relative POSIX path.

    Both paths are resolved first (symlinks, ``..``, the working directory),
    so the link is right whichever way either was spelled.

    Raises:
        ValueError: when ``target`` does not lie inside ``page_dir``.
    """
    resolved, base = Path(target).resolve(), Path(page_dir).resolve()
    if not resolved.is_relative_to(base):
        raise ValueError(f"{target} is outside the run folder {page_dir}; write figures with run.figure_path()")
    return resolved.relative_to(base).as_posix()


def prose_html(text: str) -> markupsafe.Markup:
    """Page text as HTML: escaped, with each span in single backticks set as ``<code>``.

    ``forecast with `forecaster forecast --run <this folder>``` becomes
    ``forecast with <code>forecaster forecast --run &lt;this folder&gt;</code>``;
    a lone backtick stays as it is.
    """
    return markupsafe.Markup(CODE_SPAN.sub(r"<code>\1</code>", str(markupsafe.escape(text))))


def count_noun(n: int, noun: str) -> str:
    """``n`` and the noun, plural unless ``n`` is 1: ``1 event``, ``1,024 events``."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def format_cell(value: Any) -> str:
    """Format one table value for people.

    Floats get four significant digits with thousands separators (``12,345``,
    ``0.04671``), tiny or huge ones scientific notation; integers get
    thousands separators; ``None`` and NaN show as :data:`MISSING`;
    timestamps drop a midnight time; lists are joined with commas; booleans
    read ``yes``/``no``.
    """
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    elif isinstance(value, np.generic):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return _format_float(value)
    if isinstance(value, (list, tuple)):
        return ", ".join(format_cell(item) for item in value)
    if isinstance(value, dt.datetime) or hasattr(value, "isoformat"):
        text = value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
        return text[:-9] if text.endswith(" 00:00:00") else text
    return str(value)


def mapping_rows(
    mapping: Mapping[str, Any], key_label: str = "item", value_label: str = "value"
) -> list[dict[str, Any]]:
    """Turn a (nested) mapping into table rows, one per leaf, nested keys joined by ``›``.

    ``{"missing_values": {"OT": 3}}`` becomes ``[{"item": "missing values › OT", "value": 3}]``:
    a table a person reads, never a printed Python dict.
    """
    rows: list[dict[str, Any]] = []
    for key, value in mapping.items():
        label = str(key).replace("_", " ")
        if isinstance(value, Mapping) and value:
            rows += [
                {key_label: f"{label} › {row[key_label]}", value_label: row[value_label]}
                for row in mapping_rows(value, key_label, value_label)
            ]
        elif isinstance(value, (Mapping, list, tuple)) and not value:
            rows.append({key_label: label, value_label: "none"})
        else:
            rows.append({key_label: label, value_label: value})
    return rows


def _format_float(value: float) -> str:
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-3 or magnitude >= 1e9):
        return f"{value:.3e}"
    if magnitude >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _section_data(section: HtmlSection, run_path: Path, index: int) -> SectionData:
    if section.captions and len(section.captions) != len(section.figures):
        raise ValueError(
            f"section '{section.heading}' has {len(section.captions)} captions for {len(section.figures)} figures"
        )
    figures = []
    for figure, caption in zip(section.figures, section.captions or [""] * len(section.figures)):
        if not Path(figure).is_file():
            raise ValueError(f"figure {figure} of section '{section.heading}' was not written")
        src = relative_link(figure, run_path)
        svg = Path(figure).with_suffix(".svg")
        figures.append(
            FigureData(
                src=src,
                alt=_alt_text(Path(figure).stem),
                caption=caption,
                width=_display_width(Path(figure)),
                svg=relative_link(svg, run_path) if svg.is_file() and svg != Path(figure) else "",
            )
        )
    return SectionData(
        heading=section.heading,
        anchor=f"s{index + 1}-{re.sub(r'[^a-z0-9]+', '-', section.heading.lower()).strip('-')}",
        paragraphs=[part.strip() for part in section.text.split("\n\n") if part.strip()],
        table=_table_data(section.table) if section.table else None,
        figures=figures,
    )


def _table_data(rows: list[dict[str, Any]]) -> TableData:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    time_formats = {column: _time_format([row.get(column) for row in rows]) for column in columns}
    body = []
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column)
            css = "pass" if value == "pass" else "fail" if value == "FAIL" else "text" if isinstance(value, str) else ""
            text = pd.Timestamp(value).strftime(time_formats[column]) if time_formats[column] else format_cell(value)
            cells.append(CellData(text=text, css=css))
        body.append(cells)
    text_columns = [all(cell.css == "text" for cell in column if cell.text != MISSING) for column in zip(*body)]
    return TableData(
        columns=[str(column) for column in columns],
        rows=body,
        column_css=["text" if text else "" for text in text_columns],
    )


def _time_format(values: list[Any]) -> str | None:
    """One ``strftime`` format for a column of timestamps, so every row reads alike; ``None`` for other columns.

    Dates alone when every time is midnight, minutes when no time has seconds, else seconds.
    """
    if not values or not all(isinstance(value, (dt.datetime, np.datetime64)) for value in values):
        return None
    times = pd.DatetimeIndex([pd.Timestamp(value) for value in values])
    if (times == times.normalize()).all():
        return "%Y-%m-%d"
    return "%Y-%m-%d %H:%M" if (times.second == 0).all() and (times.microsecond == 0).all() else "%Y-%m-%d %H:%M:%S"


def _display_width(png: Path) -> int | None:
    """CSS pixels to show a PNG at: 100 per inch of figure (two thirds of its 150 dpi pixels), sharp on HiDPI screens."""
    with png.open("rb") as file:
        header = file.read(24)
    if not header.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    return round(int.from_bytes(header[16:20], "big") * 100 / PNG_DPI)


def _alt_text(stem: str) -> str:
    return stem.replace("_", " ").strip().capitalize()


def _footer(run_name: str) -> str:
    from forecaster import __version__

    versions = [f"forecaster {__version__}"]
    keras = sys.modules.get("keras")
    if keras is not None:
        versions.append(f"Keras {keras.__version__} ({keras.backend.backend()} backend)")
    stamp = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    return f"Run {run_name} · written {stamp} · {' · '.join(versions)}"


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("forecaster.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["prose"] = prose_html
    return environment
