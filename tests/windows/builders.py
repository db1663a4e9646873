"""Series collections for the windows tests, built directly (no file loading)."""

import numpy as np
import pandas as pd

from forecaster.data.series import SeriesCollection


def build_collection(lengths, n_columns=2, seed=0, start="2024-01-01", frequency="h"):
    """Stack ``len(lengths)`` regular series with random values; column ``c0`` holds the global row number."""
    rng = np.random.default_rng(seed)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    index = pd.DatetimeIndex(np.concatenate([pd.date_range(start, periods=n, freq=frequency) for n in lengths]))
    values = rng.normal(10.0, 3.0, size=(offsets[-1], n_columns))
    values[:, 0] = np.arange(offsets[-1])
    frame = pd.DataFrame(values, index=index, columns=[f"c{j}" for j in range(n_columns)])
    return SeriesCollection(frame, tuple(f"s{k}" for k in range(len(lengths))), offsets, frequency)
