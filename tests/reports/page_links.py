"""Helpers of the report tests: the links a page holds and whether they resolve."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#"):
                self.links.append(value)


def page_links(page: Path) -> list[str]:
    """Return every ``src`` and ``href`` of an HTML page, except in-page anchors."""
    collector = _LinkCollector()
    collector.feed(page.read_text())
    return collector.links


def broken_links(page: Path) -> list[str]:
    """Return the links of ``page`` that are absolute or do not name a file relative to the page."""
    return [
        link
        for link in page_links(page)
        if link.startswith(("/", "file:", "http:", "https:")) or not (page.parent / link).is_file()
    ]
