"""Gate heat maps: every gate of a recurrent layer over time, from ``layer.trace``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure


def plot_gate_heatmaps(trace: dict[str, np.ndarray], path: Path, title: str, sample: int = 0) -> Path:
    """Draw one heat map (units x time) per traced array of one sample and save it as PNG.

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
    n_batch = next(iter(trace.values())).shape[0]
    if not 0 <= sample < n_batch:
        raise ValueError(f"Argument `sample` must be in [0, {n_batch}), received sample={sample}")
    figure = Figure(figsize=(10, 1.6 * len(trace) + 0.8), layout="constrained")
    axes = figure.subplots(len(trace), 1, sharex=True, squeeze=False)[:, 0]
    for axis, (name, values) in zip(axes, trace.items()):
        image = values[sample].T
        finite = image[np.isfinite(image)]
        if finite.size and finite.min() >= 0.0 and finite.max() <= 1.0:
            colors = {"cmap": "viridis", "vmin": 0.0, "vmax": 1.0}
        else:
            limit = float(np.max(np.abs(finite), initial=1e-12))
            colors = {"cmap": "coolwarm", "vmin": -limit, "vmax": limit}
        shown = axis.imshow(image, aspect="auto", interpolation="nearest", **colors)
        axis.set_ylabel(f"{name}\nunit")
        figure.colorbar(shown, ax=axis, pad=0.01)
    axes[-1].set_xlabel("time step (processing order)")
    figure.suptitle(title)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path
