"""Steps shared by the CLI commands: from a config to validated, windowed data."""

from __future__ import annotations

from forecaster.config import ForecasterConfig, WindowsConfig
from forecaster.data import RepairReport, SeriesCollection, load_series
from forecaster.windows.pipeline import WindowedData, prepare_windows
from forecaster.windows.spec import WindowSpec


def load_windows(
    config: ForecasterConfig, source: str, *, windows_fixed: bool = False
) -> tuple[RepairReport, WindowedData]:
    """Load, validate, split, scale and window the data a config names.

    Targets default to every numeric column that is not a past covariate.

    Args:
        config: the validated run config.
        source: config file name, for messages.
        windows_fixed: the windows are a trained run's (``backtest --run``): a
            series too short is refused without advising smaller windows. Default False.

    Returns:
        The report of data repairs and the windowed data.

    Raises:
        ConfigError: when the config has no ``data`` section.
        DataError: for any data problem the policies do not repair.
    """
    data_cfg = config.require_data(source)
    min_rows, too_short = rows_for_training(
        config.windows, keys=None if windows_fixed else ("windows.lookback", "windows.horizon")
    )
    collection, repairs = load_series(data_cfg, min_rows=min_rows, too_short=too_short)
    return repairs, window_collection(config, collection)


def rows_for_training(
    windows: WindowsConfig, *, keys: tuple[str, str] | None = ("windows.lookback", "windows.horizon")
) -> tuple[int, str]:
    """The rows each series needs for one window, and the end of the message refusing fewer.

    Args:
        windows: the ``windows`` section.
        keys: the names the caller sets the lookback and horizon by (config keys
            for a job, keyword arguments for Python), named in the advice; ``None``
            for windows fixed by a trained run, which only more rows can satisfy.
            Default ``("windows.lookback", "windows.horizon")``.

    Returns:
        ``(lookback + horizon, reason and what to do)``, the ``min_rows`` and
        ``too_short`` of :func:`~forecaster.data.load_series`.
    """
    n_rows = windows.lookback + windows.horizon
    if keys is None:
        return n_rows, (
            f"the run's lookback + horizon ({windows.lookback} + {windows.horizon}) needs at least {n_rows}; "
            "use a longer series"
        )
    lookback, horizon = keys
    return n_rows, (
        f"{lookback} + {horizon} ({windows.lookback} + {windows.horizon}) needs at least {n_rows}; "
        f"use a longer series or a smaller {lookback}/{horizon}"
    )


def window_collection(config: ForecasterConfig, collection: SeriesCollection) -> WindowedData:
    """Split, scale and window validated series by a config's windows, split, scaling and training sections.

    Targets default to every numeric column that is not a past or future covariate.

    Args:
        config: the validated run config, with a ``data`` section.
        collection: the series validated with ``config.data``.

    Returns:
        The windowed data.

    Raises:
        DataError: for series too short for the windows or splits without windows.
    """
    data_cfg = config.data
    covariates = data_cfg.past_covariates + data_cfg.future_covariates
    targets = data_cfg.target_columns or [c for c in collection.columns if c not in covariates]
    spec = WindowSpec.from_config(config.windows, targets, data_cfg.past_covariates, data_cfg.future_covariates)
    return prepare_windows(
        collection, spec, config.split, config.scaling, batch_size=config.training.batch_size, seed=config.seed
    )
