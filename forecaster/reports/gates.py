"""Gate figures: when a recurrent layer keeps and when it forgets, as heat maps of its gates over time.

:func:`plot_gate_heatmaps` draws every array of a ``layer.trace`` against the
step index (``forecaster check-cell``). :func:`plot_window_gates` draws a
trained network's gates over one real window, under the window's series in
original units on the same time axis; :func:`gate_section` puts it on the
main job's page.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from forecaster.models.tracing import GateTrace, trace_gates
from forecaster.reports.html import HtmlSection
from forecaster.reports.style import (
    ACTUAL_COLOUR,
    MODEL_COLOUR,
    MUTED_COLOUR,
    SERIES_COLOURS,
    new_figure,
    save_figure,
    styled,
)
from forecaster.reports.timeaxis import format_moment, format_x_axis, plot_positions
from forecaster.runs import RunFolder
from forecaster.windows.pipeline import WindowedData

if TYPE_CHECKING:
    from forecaster.models import Forecaster

logger = logging.getLogger(__name__)

GATE_NAMES = {
    "f": "forget gate f",
    "i": "input gate i",
    "g": "candidate g",
    "o": "output gate o",
    "c": "cell state c",
    "h": "hidden state h",
    "z": "update gate z",
    "r": "reset gate r",
    "candidate": "candidate",
}
"""What each array of ``GatedLSTM.trace`` / ``GatedGRU.trace`` is, for axis labels."""

GATE_PANELS = {
    "lstm": (
        ("f", "1 keeps the cell state, 0 forgets it"),
        ("i", "1 writes the new candidate into the cell"),
        ("o", "1 shows the cell state to the output"),
        ("c", "the memory the gates keep and write"),
    ),
    "gru": (
        ("z", "1 keeps the previous state, 0 replaces it (Keras convention)"),
        ("r", "0 hides the previous state from the candidate"),
        ("h", "the memory carried to the next step"),
    ),
}
"""Per cell kind, the traced arrays drawn by :func:`plot_window_gates` and what each means."""

MAX_UNITS = 32
"""Units drawn per heat map at most: those whose state varies most over the window."""

GATE_COLOURS = {"cmap": "viridis", "vmin": 0.0, "vmax": 1.0}
"""Colour scale of gates (values in [0, 1]); viridis is ordered in lightness, so it reads without colour vision."""

STATE_CMAP = "PuOr_r"
"""Diverging colour scale (ColorBrewer, colour-blind safe) of states and candidates, centred on 0."""


def _draw_heatmap(
    figure: Figure, axis: Axes, colourbar_axis: Axes, image: np.ndarray, x_edges: np.ndarray, label: str
) -> None:
    """Draw ``image`` ``(units, steps)`` with cell borders ``x_edges`` ``(steps + 1,)``, and its colour bar.

    Values within [0, 1] (the sigmoid gates) use :data:`GATE_COLOURS`; others a
    symmetric :data:`STATE_CMAP` scale. NaN (masked steps) is left blank.
    """
    finite = image[np.isfinite(image)]
    if finite.size and finite.min() >= 0.0 and finite.max() <= 1.0:
        colours, label = GATE_COLOURS, f"{label} (0 closed, 1 open)"
    else:
        limit = float(np.max(np.abs(finite), initial=1e-12))
        colours, label = {"cmap": STATE_CMAP, "vmin": -limit, "vmax": limit}, f"{label} (no unit)"
    y_edges = np.arange(image.shape[0] + 1) - 0.5
    mesh = axis.pcolormesh(x_edges, y_edges, np.ma.masked_invalid(image), shading="flat", **colours)
    axis.set_ylim(y_edges[-1], y_edges[0])
    axis.grid(False)
    colourbar = figure.colorbar(mesh, cax=colourbar_axis)
    colourbar.set_label(label, fontsize=8)
    colourbar_axis.tick_params(labelsize=7)


def _panel_grid(figure: Figure, heights: list[float]) -> tuple[list[Axes], list[Axes]]:
    """Stack one plot per height in a column sharing the x axis, each with a narrow colour-bar column beside it."""
    grid = figure.add_gridspec(len(heights), 2, width_ratios=[60, 1], height_ratios=heights)
    axes: list[Axes] = []
    for row in range(len(heights)):
        axes.append(styled(figure.add_subplot(grid[row, 0], sharex=axes[0] if axes else None)))
    colourbars = [figure.add_subplot(grid[row, 1]) for row in range(len(heights))]
    for axis in axes[:-1]:
        axis.tick_params(labelbottom=False)
    return axes, colourbars


def plot_gate_heatmaps(trace: dict[str, np.ndarray], path: Path, title: str, sample: int = 0) -> Path:
    """Draw one heat map (units x time step) per traced array of one sample and save it as PNG.

    Arrays within [0, 1] (the sigmoid gates) share a 0..1 colour scale; the
    others (candidate, cell and hidden state) a symmetric diverging scale.

    Args:
        trace: named arrays ``(batch, time, units)`` as returned by
            ``GatedLSTM.trace`` / ``GatedGRU.trace``; NaN (masked steps) is drawn blank.
        path: PNG file to write.
        title: figure title.
        sample: batch index to draw; default 0.

    Returns:
        ``path``.

    Raises:
        ValueError: when ``trace`` is empty or ``sample`` is out of range.
    """
    if not trace:
        raise ValueError("Argument `trace` is empty; pass the dict returned by layer.trace(x)")
    n_batch, n_steps = next(iter(trace.values())).shape[:2]
    if not 0 <= sample < n_batch:
        raise ValueError(f"Argument `sample` must be in [0, {n_batch}), received sample={sample}")
    figure = new_figure(1.5 * len(trace) + 0.8)
    axes, colourbars = _panel_grid(figure, [1.0] * len(trace))
    edges = np.arange(n_steps + 1) - 0.5
    for axis, colourbar_axis, (name, values) in zip(axes, colourbars, trace.items()):
        _draw_heatmap(figure, axis, colourbar_axis, values[sample].T, edges, name)
        axis.set_ylabel(f"{GATE_NAMES.get(name, name)}\nunit", fontsize=8)
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[-1].set_xlabel("time step (processing order)")
    figure.suptitle(title)
    return save_figure(figure, path)


def _span(step: pd.Timedelta | int) -> str:
    """Say a duration in the largest whole unit: ``24 h``, ``15 min``, ``2 days``, ``3 steps``."""
    if isinstance(step, (int, np.integer)):
        return f"{step} step" if step == 1 else f"{step} steps"
    for unit, name in ((pd.Timedelta(days=1), "days"), (pd.Timedelta(hours=1), "h"), (pd.Timedelta(minutes=1), "min")):
        if step >= unit and step % unit == pd.Timedelta(0):
            count = step // unit
            return f"{count} {'day' if name == 'days' and count == 1 else name}"
    return str(step)


def plot_window_gates(
    trace: GateTrace,
    window: pd.DataFrame,
    lookback: int,
    targets: list[str],
    forecast: pd.DataFrame,
    path: Path,
    title: str,
) -> Path:
    """Draw a window's series and the traced gates beneath them on one time axis; save as PNG.

    The top panel shows the target columns over the lookback and the horizon
    (actuals, with the model's forecast dashed from the forecast origin), the
    next one the past covariates over the lookback, all in original units.
    Each heat map below has one row per unit (at most :data:`MAX_UNITS`: those
    whose state varies most over the window, ordered by their mean keep gate,
    ``f`` or ``z``, highest on top) and one column per step of the layer,
    spanning the input rows it read: one row of data for a recurrent encoder,
    one segment for a segment encoder.

    Args:
        trace: the gates of one window (see :func:`~forecaster.models.tracing.trace_gates`).
        window: the window's ``lookback + horizon`` rows in original units,
            indexed by timestamp: the target columns, then the past covariates.
        lookback: rows of the window the network reads.
        targets: the target columns of ``window``; the others are drawn as covariates.
        forecast: the model's forecast, one column per target, indexed by the
            ``horizon`` target timestamps.
        path: PNG file to write.
        title: figure title.

    Returns:
        ``path``.

    Raises:
        ValueError: when the trace's steps do not cover the lookback exactly.
    """
    if trace.n_steps * trace.input_steps_per_step != lookback:
        raise ValueError(
            f"the trace has {trace.n_steps} steps of {trace.input_steps_per_step} rows, which do not cover "
            f"the lookback of {lookback} rows"
        )
    panels = GATE_PANELS[trace.cell]
    covariates = [column for column in window.columns if column not in targets]
    figure = new_figure(2.2 + 1.6 * (bool(covariates) + len(panels)))
    axes, colourbars = _panel_grid(figure, [1.4] * (1 + bool(covariates)) + [1.0] * len(panels))
    times = window.index
    origin = times[lookback - 1]
    for colour, column in zip(SERIES_COLOURS, targets):
        axes[0].plot(
            times,
            window[column],
            color=ACTUAL_COLOUR if len(targets) == 1 else colour,
            lw=1.4,
            label=f"{column} (actual)",
        )
        axes[0].plot(
            forecast.index,
            forecast[column],
            color=MODEL_COLOUR if len(targets) == 1 else colour,
            lw=1.4,
            ls="--",
            label=f"{column} (forecast)",
        )
    axes[0].set_ylabel(f"{', '.join(targets)}\n(original units)", fontsize=8)
    axes[0].legend(fontsize=7, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2 * len(targets), frameon=False)
    if covariates:
        for colour, column in zip(SERIES_COLOURS, covariates):
            axes[1].plot(times[:lookback], window[column].iloc[:lookback], color=colour, lw=0.9, label=column)
        axes[1].set_ylabel("past covariates\n(original units)", fontsize=8)
        axes[1].legend(
            fontsize=7, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=min(len(covariates), 8), frameon=False
        )
    for colourbar_axis in colourbars[: 1 + bool(covariates)]:
        colourbar_axis.set_axis_off()

    step = times[1] - times[0]
    positions = plot_positions(times)
    half = (positions[1] - positions[0]) / 2
    x_edges = np.append(positions[: lookback : trace.input_steps_per_step] - half, positions[lookback - 1] + half)
    keep, state = panels[0][0], panels[-1][0]
    units = np.argsort(-np.nanstd(trace.values[state], axis=0), kind="stable")[:MAX_UNITS]
    units = units[np.argsort(-np.nanmean(trace.values[keep][:, units], axis=0), kind="stable")]
    n_units = trace.values[state].shape[1]
    for axis, colourbar_axis, (name, meaning) in zip(axes[-len(panels) :], colourbars[-len(panels) :], panels):
        _draw_heatmap(figure, axis, colourbar_axis, trace.values[name][:, units].T, x_edges, name)
        axis.set_ylabel(f"{GATE_NAMES[name]}\nunit", fontsize=8)
        axis.set_title(meaning, fontsize=8, loc="left")
        axis.set_yticks([])
    for axis in axes:
        axis.axvline(origin, color=MUTED_COLOUR, lw=1, ls=":")
    axes[0].axvspan(origin, times[-1], color=MUTED_COLOUR, alpha=0.08, lw=0)
    axes[0].annotate(
        "forecast origin",
        (origin, 1.0),
        xycoords=("data", "axes fraction"),
        fontsize=7,
        color=MUTED_COLOUR,
        ha="left",
        va="top",
    )
    if trace.input_steps_per_step == 1:
        columns = f"each column: one input row, {_span(step)}"
    else:
        columns = (
            f"each column: one segment of {trace.input_steps_per_step} input rows, "
            f"{_span(step * trace.input_steps_per_step)}, read as one step"
        )
    shown = f"all {n_units} units" if len(units) == n_units else f"{len(units)} of the {n_units} units"
    format_x_axis(axes[-1], times)
    axes[-1].set_xlabel(f"{axes[-1].get_xlabel()} ({columns}); heat-map rows: {shown}")
    figure.suptitle(title)
    return save_figure(figure, path)


def gate_section(run: RunFolder, forecaster: "Forecaster", windowed: WindowedData) -> HtmlSection | None:
    """Trace the trained network's first recurrent layer over the last test window and describe it for the page.

    Args:
        run: the run folder the figure is written into.
        forecaster: the fitted :class:`~forecaster.models.Forecaster`.
        windowed: the windowed data the network was trained and tested on.

    Returns:
        The page section with the gate figure, or ``None`` (logged) when the
        data has no test window or the network has no LSTM or GRU layer.
    """
    test = windowed.dataset("test")
    if test is None:
        logger.info("no gate figure: the data has no test window to trace")
        return None
    inputs = {name: values[-1:] for name, values in test[len(test) - 1][0].items()}
    trace = trace_gates(forecaster.model_, inputs)
    if trace is None:
        logger.info("no gate figure: the model has no recurrent cells")
        return None
    spec = windowed.spec
    targets = list(spec.target_columns)
    start = int(test.starts[-1])
    window = windowed.collection.frame.iloc[start : start + spec.lookback + spec.horizon][
        targets + list(spec.past_covariates)
    ]
    series = int(np.searchsorted(windowed.collection.offsets, start, side="right") - 1)
    point = windowed.scaler.inverse_transform_targets(forecaster.predict(inputs), series)[0]
    forecast = pd.DataFrame(point, index=window.index[spec.lookback :], columns=targets)
    kind = trace.cell.upper()
    figure = plot_window_gates(
        trace,
        window,
        spec.lookback,
        targets,
        forecast,
        run.figure_path("gates"),
        f"What the {kind} kept and forgot over the last test window ({targets[0]}, forecast from {format_moment(window.index[spec.lookback - 1])})",
    )
    reading = (
        "Forget gate f near 1 (yellow) means the unit carries its memory on; near 0 (dark) it drops it and the "
        "input gate i decides how much of the new input is written instead."
        if trace.cell == "lstm"
        else "Update gate z near 1 (yellow) means the unit carries its state on (Keras's GRU keeps the old state "
        "where z is 1); near 0 (dark) it replaces the state with the new candidate, which the reset gate r shapes."
    )
    steps = (
        "Each column is one input row."
        if trace.input_steps_per_step == 1
        else f"The network reads the lookback in segments of {trace.input_steps_per_step} rows, each embedded into "
        "one vector, so the GRU takes one step per segment: each column spans one segment."
    )
    n_units = trace.values["h"].shape[1]
    rows = (
        f"Rows are its {n_units} units"
        if n_units <= MAX_UNITS
        else f"Rows are the {MAX_UNITS} of its {n_units} units whose state varies most"
    )
    return HtmlSection(
        "What the network remembers (gate activations)",
        text=(
            f"The trained network's first recurrent layer ({kind} '{trace.layer_name}') copied into the hand-written "
            f"gated cell and run step by step over the last test window of {targets[0]}, with the series it read "
            f"on the same time axis. {steps} {reading} {rows}, sorted by how much they keep."
        ),
        figures=[figure],
    )
