"""Shared helpers of the data tests: the real-input fixtures and loading by config."""

from pathlib import Path

import pytest

from forecaster.config import DataConfig
from forecaster.data import load_series

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def load_case():
    """Load a fixture file (or any path) with ``data`` settings; returns (collection, report)."""

    def load(name, min_rows=1, **data):
        path = FIXTURES / name if not Path(name).is_absolute() else Path(name)
        return load_series(DataConfig(path=path, **data), min_rows=min_rows)

    return load
