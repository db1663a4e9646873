"""The ``index.html`` page of a run folder: headings, text, tables and figures."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from forecaster.runs import RunFolder

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 72rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }
th { background: #f3f3f3; } td:first-child, th:first-child { text-align: left; }
img { max-width: 100%; border: 1px solid #eee; margin: 0.5rem 0; }
.fail { color: #b00020; font-weight: bold; } .pass { color: #1b7f3b; }
"""


@dataclass
class HtmlSection:
    """One section of a run page.

    Attributes:
        heading: section title.
        text: a paragraph of plain text (escaped).
        table: rows as dicts sharing keys; keys become column headers.
        figures: PNG paths inside the run folder, shown in order.
    """

    heading: str
    text: str = ""
    table: list[dict[str, Any]] | None = None
    figures: list[Path] = field(default_factory=list)


def write_index_html(run: RunFolder, title: str, sections: list[HtmlSection]) -> Path:
    """Write ``index.html`` for a run folder and return its path.

    Figures are linked relative to the run folder so the page works wherever
    the folder is moved.
    """
    assert run.path is not None
    body = [f"<h1>{html.escape(title)}</h1>"]
    for section in sections:
        body.append(f"<h2>{html.escape(section.heading)}</h2>")
        if section.text:
            body.append(f"<p>{html.escape(section.text)}</p>")
        if section.table:
            body.append(_render_table(section.table))
        for figure in section.figures:
            relative = Path(figure).relative_to(run.path) if Path(figure).is_absolute() else Path(figure)
            body.append(f'<img src="{html.escape(relative.as_posix())}" alt="{html.escape(relative.stem)}">')
    page = (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n<body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )
    return run.write_text("index.html", page)


def _render_table(rows: list[dict[str, Any]]) -> str:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    header = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    lines = [f"<table><tr>{header}</tr>"]
    for row in rows:
        cells = []
        for column in columns:
            value = row.get(column, "")
            css = ' class="pass"' if value == "pass" else ' class="fail"' if value == "FAIL" else ""
            cells.append(f"<td{css}>{html.escape(_format_cell(value))}</td>")
        lines.append(f"<tr>{''.join(cells)}</tr>")
    lines.append("</table>")
    return "\n".join(lines)


def _format_cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
