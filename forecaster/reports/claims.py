"""Figures of ``forecaster claims``: gradient norms by lag, recall accuracy by lag, GRU against LSTM.

Each function draws measured numbers it is given (it computes nothing new)
into a titled :class:`~matplotlib.figure.Figure` and writes a PNG. Series are
labelled by cell (``SimpleRNN``, ``GRU``, ``LSTM``, ...) and each label keeps
one colour across every figure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from forecaster.reports.style import MUTED_COLOUR, PALETTE, SERIES_COLOURS, new_figure, save_figure, styled

LABEL_COLOURS = {
    "SimpleRNN": PALETTE["vermillion"],
    "GRU": PALETTE["orange"],
    "LSTM": PALETTE["blue"],
    "LSTM, forget bias 1": PALETTE["blue"],
    "LSTM, forget bias 0": PALETTE["purple"],
}
"""Colour of each series label; other labels take :data:`SERIES_COLOURS` in order."""

RATIO_COLOURS = (PALETTE["black"], PALETTE["green"])
"""Colours of the parameter-ratio curves, apart from the cells' own colours in the panels beside them."""


def _colour(label: str, position: int) -> str:
    return LABEL_COLOURS.get(label, SERIES_COLOURS[position % len(SERIES_COLOURS)])


def plot_gradient_norms(norms: Mapping[str, Mapping[str, np.ndarray]], path: Path, title: str) -> Path:
    """Draw the Jacobian norm against the lag, relative to lag 0, one panel per model state.

    Args:
        norms: ``{state: {label: (lags,) norms}}``, e.g. ``{"at initialisation":
            {"SimpleRNN": ..., "GRU": ..., "LSTM": ...}, "after training": {...}}``;
            entry ``k`` is ``||dh_T/dx_{T-k}||``.
        path: PNG file to write.
        title: figure title.

    Returns:
        ``path``.
    """
    figure = new_figure(3.8)
    panels = figure.subplots(1, len(norms), sharey=True, squeeze=False)[0]
    for axes, (state, by_label) in zip(panels, norms.items()):
        styled(axes)
        for position, (label, values) in enumerate(by_label.items()):
            relative = np.asarray(values, np.float64) / values[0]
            axes.semilogy(np.arange(len(relative)), relative, color=_colour(label, position), label=label)
        axes.set_title(state)
        axes.set_xlabel("lag k (steps before the last input)")
    panels[0].set_ylabel(r"$\Vert\partial h_T / \partial x_{T-k}\Vert$ relative to lag 0" "\n(ratio, log scale)")
    panels[0].legend(fontsize=8, frameon=False)
    figure.suptitle(title)
    return save_figure(figure, path)


def plot_recall(
    lags: Sequence[int],
    curves: Mapping[str, np.ndarray],
    chance: float,
    threshold: float,
    path: Path,
    title: str,
) -> Path:
    """Draw held-out recall accuracy against the lag, and by epoch at the longest lag.

    Lines are means over the seeds; faint markers and lines are the seeds.

    Args:
        lags: lags of the recall task.
        curves: ``{label: (lags, seeds, epochs) held-out accuracy after each epoch}``.
        chance: accuracy of guessing (dotted line).
        threshold: accuracy counted as remembering (dashed line).
        path: PNG file to write.
        title: figure title.

    Returns:
        ``path``.
    """
    figure = new_figure(4.2)
    by_lag, by_epoch = (styled(axes) for axes in figure.subplots(1, 2, sharey=True))
    for position, (label, values) in enumerate(curves.items()):
        colour = _colour(label, position)
        final = values[:, :, -1]
        by_lag.plot(lags, final.mean(axis=1), marker="o", color=colour, label=label)
        by_lag.plot(
            np.repeat(lags, final.shape[1]), final.ravel(), linestyle="none", marker=".", color=colour, alpha=0.35
        )
        epochs = np.arange(1, values.shape[2] + 1)
        by_epoch.plot(epochs, values[-1].T, color=colour, alpha=0.25, linewidth=0.8)
        by_epoch.plot(epochs, values[-1].mean(axis=0), color=colour, linewidth=2)
    by_lag.set_xscale("log", base=2)
    by_lag.set_xticks(list(lags), [str(lag) for lag in lags])
    by_lag.minorticks_off()
    by_lag.set_xlabel("lag k (steps the answer lies back)")
    by_lag.set_ylabel("held-out accuracy (fraction correct)")
    by_lag.set_title("after the last epoch, by lag (dots: single seeds)")
    by_epoch.xaxis.set_major_locator(MaxNLocator(integer=True))
    by_epoch.set_xlabel("epoch")
    by_epoch.set_title(f"during training at lag {lags[-1]} (thin: single seeds)")
    for axes in (by_lag, by_epoch):
        _level_line(axes, chance, ":", f"chance {chance:.3g}")
        _level_line(axes, threshold, "--", f"threshold {threshold:g}")
    by_lag.set_ylim(0, 1.05)
    figure.legend(
        *by_lag.get_legend_handles_labels(), loc="outside lower center", ncols=len(curves), frameon=False, fontsize=8
    )
    figure.suptitle(title)
    return save_figure(figure, path)


def _level_line(axes: Axes, level: float, style: str, text: str) -> None:
    """Draw a grey horizontal line at ``level`` with ``text`` above its right end."""
    axes.axhline(level, color=MUTED_COLOUR, linestyle=style, linewidth=1)
    axes.annotate(
        text,
        (1.0, level),
        xycoords=("axes fraction", "data"),
        xytext=(-2, 2),
        textcoords="offset points",
        ha="right",
        va="bottom",
        fontsize=7,
        color=MUTED_COLOUR,
    )


def plot_gru_vs_lstm(
    units: Sequence[int],
    ratio: Mapping[str, Sequence[float]],
    claimed_ratio: float,
    seconds_per_epoch: Mapping[str, float],
    test_mse: Mapping[str, float],
    naive_mse: float,
    path: Path,
    title: str,
) -> Path:
    """Draw the GRU/LSTM parameter ratio by width, and each cell's epoch time and test MSE.

    Args:
        units: layer widths of the ratio curves.
        ratio: ``{label: GRU/LSTM weight ratio at each width}`` (e.g. per GRU variant).
        claimed_ratio: the ratio the quoted claim implies (2/3 for "a third fewer").
        seconds_per_epoch: ``{label: median seconds per epoch}``.
        test_mse: ``{label: test MSE}`` on the same labels.
        naive_mse: test MSE of the last-value forecast (a grey bar).
        path: PNG file to write.
        title: figure title.

    Returns:
        ``path``.
    """
    figure = new_figure(3.8)
    params, timing, error = (styled(axes) for axes in figure.subplots(1, 3, width_ratios=[1.4, 1, 1]))
    for colour, (label, values) in zip(RATIO_COLOURS, ratio.items()):
        params.plot(units, values, marker=".", color=colour, label=label)
    params.axhline(
        claimed_ratio, color=MUTED_COLOUR, linestyle="--", linewidth=1, label=f"claimed ({claimed_ratio:.3f})"
    )
    params.axhline(0.75, color=MUTED_COLOUR, linestyle=":", linewidth=1, label="3/4 (gate count 3 vs 4)")
    params.set_xscale("log", base=2)
    params.set_xticks(list(units), [str(u) for u in units])
    params.minorticks_off()
    params.set_xlabel("units")
    params.set_ylabel("GRU / LSTM weights (ratio)")
    params.set_title("parameter ratio")
    params.legend(fontsize=7, frameon=False)
    _labelled_bars(timing, dict(seconds_per_epoch))
    timing.set_ylabel("median time per epoch (s)")
    timing.set_title("training time")
    _labelled_bars(error, {**test_mse, "last value": naive_mse})
    error.set_ylabel("test MSE (standardised units²)")
    error.set_title("forecast error")
    figure.suptitle(title)
    return save_figure(figure, path)


def _labelled_bars(axes: Axes, values: dict[str, float]) -> None:
    """Draw one bar per label, in its colour (``last value``: grey), with its value on top."""
    labels = list(values)
    colours = [MUTED_COLOUR if label == "last value" else _colour(label, k) for k, label in enumerate(labels)]
    bars = axes.bar(labels, list(values.values()), color=colours)
    axes.bar_label(bars, [f"{value:.3g}" for value in values.values()], fontsize=7, padding=1)
