"""The window spec: how many steps go in, how many come out, and which columns."""

from __future__ import annotations

from dataclasses import dataclass

from forecaster.config import WindowsConfig
from forecaster.windows.calendar import CALENDAR_PERIODS


@dataclass(frozen=True)
class WindowSpec:
    """Shape and columns of the (lookback, horizon) windows cut from each series.

    A window starting at row ``t`` reads input rows ``[t, t + lookback)`` and
    forecasts target rows ``[t + lookback, t + lookback + horizon)``.

    Args:
        lookback: input steps per window (>= 1).
        horizon: forecast steps per window (>= 1).
        stride: steps between consecutive window starts of one split (>= 1).
        target_columns: columns to forecast (at least one); they are also inputs.
        past_covariates: columns known only up to the forecast origin; inputs only.
            Default ``()``.
        future_covariates: columns known ahead of time (holidays, planned
            maintenance, weather forecasts); inputs over the lookback and, with
            the calendar features, over the horizon. Default ``()``.
        calendar_features: known-future covariates derived from timestamps, a
            subset of ``hour``, ``dayofweek``, ``dayofmonth``, ``dayofyear``,
            ``month``. Each adds a sin and a cos feature. Default ``()``.

    Raises:
        ValueError: naming the argument, for a size below 1, no target column,
            a column listed twice or an unknown calendar feature.
    """

    lookback: int
    horizon: int
    stride: int
    target_columns: tuple[str, ...]
    past_covariates: tuple[str, ...] = ()
    calendar_features: tuple[str, ...] = ()
    future_covariates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("lookback", "horizon", "stride"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"WindowSpec: {name} must be an integer >= 1, got {value!r}")
        # Accept lists from callers but store tuples so the spec stays hashable.
        for name in ("target_columns", "past_covariates", "calendar_features", "future_covariates"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if not self.target_columns:
            raise ValueError("WindowSpec: target_columns must name at least one column, got none")
        columns = self.value_columns
        repeated = sorted({c for c in columns if columns.count(c) > 1})
        if repeated:
            raise ValueError(
                f"WindowSpec: columns {repeated} appear more than once in target_columns + past_covariates + "
                "future_covariates; list each column once"
            )
        unknown = [name for name in self.calendar_features if name not in CALENDAR_PERIODS]
        if unknown or len(set(self.calendar_features)) != len(self.calendar_features):
            raise ValueError(
                f"WindowSpec: calendar_features must be distinct names from {list(CALENDAR_PERIODS)}, "
                f"got {list(self.calendar_features)}"
            )

    @classmethod
    def from_config(
        cls,
        windows_cfg: WindowsConfig,
        target_columns: list[str],
        past_covariates: list[str] = (),
        future_covariates: list[str] = (),
    ) -> "WindowSpec":
        """Build a spec from the ``windows`` config section and resolved column names.

        Args:
            windows_cfg: lookback, horizon, stride and calendar features.
            target_columns: the resolved (non-empty) target columns.
            past_covariates: past-only covariate columns. Default ``()``.
            future_covariates: known-future covariate columns. Default ``()``.

        Returns:
            The :class:`WindowSpec`.
        """
        return cls(
            lookback=windows_cfg.lookback,
            horizon=windows_cfg.horizon,
            stride=windows_cfg.stride,
            target_columns=tuple(target_columns),
            past_covariates=tuple(past_covariates),
            calendar_features=tuple(windows_cfg.calendar_features),
            future_covariates=tuple(future_covariates),
        )

    @property
    def window_length(self) -> int:
        """Rows one window spans: ``lookback + horizon``."""
        return self.lookback + self.horizon

    @property
    def value_columns(self) -> tuple[str, ...]:
        """Data columns read from the series, in array order: targets, past covariates, then future covariates."""
        return self.target_columns + self.past_covariates + self.future_covariates

    @property
    def n_targets(self) -> int:
        """Number of target columns."""
        return len(self.target_columns)

    @property
    def n_calendar(self) -> int:
        """Number of calendar feature columns (a sin and a cos per name)."""
        return 2 * len(self.calendar_features)

    @property
    def n_future(self) -> int:
        """Number of known-future input columns (``inputs["future"]``): future covariates, then calendar features."""
        return len(self.future_covariates) + self.n_calendar

    @property
    def feature_names(self) -> list[str]:
        """Names of the past-input features, in order: targets, past and future covariates, calendar."""
        calendar = [f"{name}_{part}" for name in self.calendar_features for part in ("sin", "cos")]
        return list(self.value_columns) + calendar
