"""forecaster: time-series forecasting and anomaly detection with Keras recurrent networks.

The public API: :class:`ForecastPipeline` and :class:`AnomalyPipeline` (see
:mod:`forecaster.api`) fit and predict on pandas DataFrames, running what the
CLI runs. Importing a submodule that uses Keras (api, models, cells, anomaly,
jobs) imports the backend; this package itself stays light so the CLI starts
fast: the pipelines are imported on first use.
"""

import importlib
from importlib.metadata import PackageNotFoundError, version

from forecaster.config import ForecasterConfig, load_config
from forecaster.errors import ConfigError, DataError, ForecasterError, NotFittedError, RunError

try:
    __version__ = version("forecaster")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

_LAZY = {"AnomalyPipeline": "forecaster.api", "ForecastPipeline": "forecaster.api"}


def __getattr__(name: str):
    """Import the pipelines (and with them Keras) only when first used."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'forecaster' has no attribute {name!r}")


__all__ = [
    "AnomalyPipeline",
    "ConfigError",
    "DataError",
    "ForecastPipeline",
    "ForecasterConfig",
    "ForecasterError",
    "NotFittedError",
    "RunError",
    "load_config",
]
