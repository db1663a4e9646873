"""One look for every figure: colour-blind-safe colours, sizes, date axes, and saving.

Figures are :class:`matplotlib.figure.Figure` objects built without
``pyplot``, so drawing a report never switches the user's matplotlib backend
and never leaves a figure registered in pyplot's global state: a figure is
freed as soon as :func:`save_figure` returns and nothing refers to it.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure

PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#7F7F7F",
}
"""The Okabe-Ito palette (Okabe & Ito, *Color Universal Design*, 2008): distinguishable with every common colour-vision deficiency."""

SERIES_COLOURS = [PALETTE[name] for name in ("blue", "orange", "green", "vermillion", "purple", "sky", "black")]
"""Line colours in order of use."""

MODEL_COLOUR = PALETTE["blue"]
ACTUAL_COLOUR = PALETTE["black"]
ALERT_COLOUR = PALETTE["vermillion"]
THRESHOLD_COLOUR = PALETTE["vermillion"]
MUTED_COLOUR = PALETTE["grey"]

PNG_DPI = 150
"""Resolution of every PNG figure (dots per inch)."""

WIDTH = 11.0
"""Width of a full-page figure in inches (1,650 pixels at :data:`PNG_DPI`)."""


def new_figure(height: float, width: float = WIDTH) -> Figure:
    """Return an empty figure with the report style and a constrained layout (no overlapping labels).

    Args:
        height: height in inches.
        width: width in inches. Default :data:`WIDTH`.

    Returns:
        A :class:`~matplotlib.figure.Figure` not registered with ``pyplot``.
    """
    return Figure(figsize=(width, height), layout="constrained")


def styled(axes: Axes) -> Axes:
    """Apply the report style to axes created on a figure from :func:`new_figure` and return them.

    Styling the axes, not the global ``rcParams``, keeps the user's own
    matplotlib settings untouched; every figure function passes its axes
    through this.
    """
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(True, alpha=0.25)
    axes.tick_params(labelsize=8)
    axes.xaxis.label.set_size(9)
    axes.yaxis.label.set_size(9)
    axes.title.set_size(10)
    axes.set_prop_cycle(color=SERIES_COLOURS)
    return axes


def format_date_axis(axes: Axes) -> None:
    """Label a time axis with concise dates (``2017``, ``Mar``, ``04``, ``14:00``) chosen for its span.

    A month start on a day-level axis reads ``Dec 2013``, so an axis that
    crosses a new year never leaves the reader guessing which year a month is in.
    """
    locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(
        mdates.ConciseDateFormatter(locator, zero_formats=["", "%Y", "%b %Y", "%b-%d", "%H:%M", "%H:%M"])
    )
    axes.xaxis.get_offset_text().set_size(8)


def save_figure(figure: Figure, path: Path, svg: bool = False) -> Path:
    """Write ``figure`` as PNG at :data:`PNG_DPI` (and as SVG beside it when asked), then release it.

    Args:
        figure: the figure to write.
        path: the PNG file; its folder is created when missing.
        svg: also write ``path`` with the suffix ``.svg``. Default ``False``.

    Returns:
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=PNG_DPI, metadata={"Software": None})
    if svg:
        figure.savefig(path.with_suffix(".svg"), metadata={"Date": None})
    figure.clear()
    return path
