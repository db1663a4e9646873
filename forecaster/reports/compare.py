"""Figures comparing several runs: test error by horizon step, one line per run."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

from forecaster.reports.style import MUTED_COLOUR, SERIES_COLOURS, new_figure, styled

BASELINE_STYLES = ("--", ":", "-.")  # the baselines share one grey, so each gets its own dash


def plot_runs_error_by_step(
    curves: dict[str, list[float]], reference: dict[str, list[float]] | None = None, metric: str = "mae"
) -> Figure:
    """Draw each run's test error by horizon step, and optionally a reference baseline's, on one axis.

    Args:
        curves: run name -> per-step error ``(horizon,)`` on the normalised scale; runs may differ in horizon.
        reference: baseline name -> per-step error of the first run, drawn in grey, each with its own dash
            pattern. Default ``None``.
        metric: the metric's name for the labels. Default ``"mae"``.

    Returns:
        The figure.
    """
    figure = new_figure(3.8, width=11)
    axis = styled(figure.subplots())
    for index, (name, values) in enumerate(curves.items()):
        axis.plot(
            np.arange(1, len(values) + 1), values, lw=2, color=SERIES_COLOURS[index % len(SERIES_COLOURS)], label=name
        )
    for index, (name, values) in enumerate((reference or {}).items()):
        axis.plot(
            np.arange(1, len(values) + 1),
            values,
            lw=1,
            ls=BASELINE_STYLES[index % len(BASELINE_STYLES)],
            color=MUTED_COLOUR,
            label=f"{name} (first run's baseline)",
        )
    axis.set_xlabel("horizon step (steps ahead)")
    axis.set_ylabel(f"{metric.upper()} (normalised units)")
    axis.set_title(f"Test {metric.upper()} by horizon step, run by run")
    figure.legend(*axis.get_legend_handles_labels(), loc="outside right upper")
    return figure
