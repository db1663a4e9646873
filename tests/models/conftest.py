"""Fixtures of the model tests."""

from __future__ import annotations

import pytest
from model_data import ArrayDataset, make_sine_windows


@pytest.fixture
def sine_data():
    """Train and validation datasets of 2-channel sines, lookback 24, horizon 6."""
    train = ArrayDataset(*make_sine_windows(96, 24, 6, seed=0), batch_size=32)
    val = ArrayDataset(*make_sine_windows(32, 24, 6, seed=1), batch_size=32)
    return train, val
