"""forecaster: time-series forecasting and anomaly detection with Keras recurrent networks.

The public API: load and validate data, cut it into windows, train and use
forecasters, detect anomalies, and run the same jobs the CLI runs. Importing a
submodule that uses Keras (models, cells, anomaly, jobs) imports the backend;
this package itself stays light so the CLI starts fast.
"""

from importlib.metadata import PackageNotFoundError, version

from forecaster.config import ForecasterConfig, load_config
from forecaster.errors import ConfigError, DataError, ForecasterError, NotFittedError, RunError

try:
    __version__ = version("forecaster")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = [
    "ConfigError",
    "DataError",
    "ForecasterConfig",
    "ForecasterError",
    "NotFittedError",
    "RunError",
    "load_config",
]
