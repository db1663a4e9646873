"""Tiny in-memory datasets in the windowing pipeline's batch format, for the model tests."""

from __future__ import annotations

import keras
import numpy as np


class ArrayDataset(keras.utils.PyDataset):
    """Batches ``({"past", ["future"]}, targets[, sample_weight])`` cut from whole arrays, in order."""

    def __init__(self, inputs: dict[str, np.ndarray], targets: np.ndarray, batch_size: int, sample_weight=None):
        super().__init__()
        self.inputs, self.targets, self.batch_size, self.sample_weight = inputs, targets, batch_size, sample_weight

    def __len__(self) -> int:
        return -(-len(self.targets) // self.batch_size)

    def __getitem__(self, index: int):
        rows = slice(index * self.batch_size, (index + 1) * self.batch_size)
        batch = ({name: values[rows] for name, values in self.inputs.items()}, self.targets[rows])
        return batch if self.sample_weight is None else (*batch, self.sample_weight[rows])


def make_sine_windows(
    n_windows: int, lookback: int, horizon: int, n_targets: int = 2, n_calendar: int = 0, seed: int = 0
):
    """Windows of phase-shifted noisy sines (period 12), one channel per target column.

    Returns:
        ``(inputs, targets)``: ``{"past": (n, lookback, n_targets), ["future": (n, horizon, n_calendar)]}``
        and ``(n, horizon, n_targets)``, float32.
    """
    rng = np.random.default_rng(seed)
    steps = np.arange(n_windows)[:, None] + np.arange(lookback + horizon)[None, :]
    phases = np.arange(n_targets) * 0.7
    series = np.sin(2 * np.pi * steps[..., None] / 12 + phases) + 0.05 * rng.standard_normal((*steps.shape, n_targets))
    series = series.astype("float32")
    inputs = {"past": series[:, :lookback]}
    if n_calendar:
        hours = (steps[:, lookback:, None] % 12) / 12.0
        inputs["future"] = np.repeat(hours, n_calendar, axis=-1).astype("float32")
    return inputs, series[:, lookback:]
