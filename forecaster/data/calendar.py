"""Calendars of time axes: which step a series takes, its grid, and its seasonal period.

Steps are named by the pandas aliases users know, the same under pandas 2 and
3: whole days are ``D`` (pandas 3 alone would say ``24h``), Monday-to-Friday
series are ``B`` (``C`` with holidays), weeks ``W-SUN`` (anchored on their
weekday), months ``MS``/``ME``, quarters ``QS``/``QE`` and years ``YS``/``YE``
(anchored on their month), and monthly series on day N of each month (N up to
28), which pandas has no alias for, ``MS+<N-1>D`` (``MS+14D``: the 15th).
Daily and longer steps are measured in wall-clock time, so a local-midnight
daily series across a DST change is daily. Axes of plain step numbers have the
step ``step`` (or ``<k>step``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.tseries import offsets as pd_offsets
from pandas.tseries.frequencies import to_offset

STEP_PATTERN = re.compile(r"(\d*)step")
MONTH_DAY_PATTERN = re.compile(r"MS\+(\d+)D")
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_ONE_DAY = pd.Timedelta(days=1)
_SHORTEST_DAILY_STEP = pd.Timedelta(minutes=1)
# Offset classes whose one step has a fixed number of steps per year (or week, for days).
_SEASONS = (
    ((pd_offsets.BusinessDay, pd_offsets.CustomBusinessDay), 5),
    ((pd_offsets.Day,), 7),
    ((pd_offsets.Week,), 52),
    ((pd_offsets.MonthBegin, pd_offsets.MonthEnd, pd_offsets.BusinessMonthBegin, pd_offsets.BusinessMonthEnd), 12),
    ((pd_offsets.QuarterBegin, pd_offsets.QuarterEnd, pd_offsets.BQuarterBegin, pd_offsets.BQuarterEnd), 4),
    ((pd_offsets.YearBegin, pd_offsets.YearEnd, pd_offsets.BYearBegin, pd_offsets.BYearEnd), 1),
)


def is_step_frequency(frequency: str) -> bool:
    """Whether ``frequency`` is the step of a step-number axis (``step``, ``5step``)."""
    return STEP_PATTERN.fullmatch(frequency) is not None


def step_size(frequency: str) -> int:
    """Step numbers between rows of a step-number axis (``step`` -> 1, ``5step`` -> 5)."""
    return int(STEP_PATTERN.fullmatch(frequency).group(1) or 1)


def frequency_offset(frequency: str, holidays: Sequence = ()) -> pd.DateOffset:
    """Return the pandas offset of a frequency alias, with ``holidays`` for custom business days.

    Args:
        frequency: a pandas alias (``h``, ``D``, ``B``, ``C``, ``W-SUN``, ``MS`` ...).
        holidays: dates a ``C`` (custom business day) step skips besides weekends.

    Returns:
        The offset.

    Raises:
        ValueError: when pandas does not know the alias.
    """
    if frequency == "C" or holidays:
        return pd_offsets.CustomBusinessDay(holidays=list(holidays))
    if MONTH_DAY_PATTERN.fullmatch(frequency):
        return pd.DateOffset(months=1)
    return to_offset(frequency)


def normalise_frequency(frequency: str) -> str:
    """Return the canonical spelling of a frequency alias (``1h`` -> ``h``, ``QS`` -> ``QS-JAN``).

    Args:
        frequency: a pandas alias, a day-N-monthly alias (``MS+14D``) or a step alias (``step``).

    Returns:
        The alias as this package writes it.

    Raises:
        ValueError: when the alias is none of these.
    """
    if is_step_frequency(frequency) or MONTH_DAY_PATTERN.fullmatch(frequency):
        return frequency
    return to_offset(frequency).freqstr


def infer_frequency(index: pd.Index, ids: np.ndarray | None = None, holidays: Sequence = ()) -> str | None:
    """Infer the regular step of one or many series, tolerating gaps and disorder.

    The step is the most common positive difference between consecutive
    sorted timestamps of the same series, in wall-clock time; calendar steps
    (business days, weeks, months, quarters, years) are recognised when every
    timestamp lies on their grid.

    Args:
        index: timestamps (or step numbers), any order.
        ids: series label per timestamp, or ``None`` for one series.
        holidays: dates a business-day series skips; when given, business
            days are ``C``.

    Returns:
        The alias (see the module docstring), or ``None`` when fewer than two
        distinct timestamps exist.
    """
    wall = index.tz_localize(None) if isinstance(index, pd.DatetimeIndex) and index.tz is not None else index
    keys = pd.DataFrame({"t": np.asarray(wall), "id": 0 if ids is None else ids}).sort_values(["id", "t"])
    same_series = keys["id"].to_numpy()[1:] == keys["id"].to_numpy()[:-1]
    is_time = isinstance(index, pd.DatetimeIndex)
    times = pd.DatetimeIndex(keys["t"]).as_unit("ns") if is_time else None
    deltas = np.diff(times.asi8 if is_time else keys["t"].to_numpy(dtype=np.int64))[same_series]
    deltas = deltas[deltas > 0]
    if len(deltas) == 0:
        return None
    if not is_time:
        return _multiple(_most_common(deltas), "step")
    step = pd.Timedelta(_most_common(deltas), unit="ns")
    if step == _ONE_DAY and _is_business_daily(times):
        return "C" if holidays else "B"
    if step == 7 * _ONE_DAY and times.dayofweek.nunique() == 1:
        return f"W-{WEEKDAYS[times[0].dayofweek]}"
    if step >= 28 * _ONE_DAY:
        calendar = _calendar_alias(times)
        if calendar is not None:
            return calendar
    if step % _ONE_DAY == pd.Timedelta(0):
        return _multiple(step // _ONE_DAY, "D")
    return to_offset(step).freqstr


def _multiple(n: int, unit: str) -> str:
    """An alias for ``n`` units, without the count when it is 1 (``D``, ``3D``, ``step``)."""
    return unit if n == 1 else f"{n}{unit}"


def _most_common(values: np.ndarray) -> int:
    distinct, counts = np.unique(values, return_counts=True)
    return int(distinct[np.argmax(counts)])


def _is_business_daily(times: pd.DatetimeIndex) -> bool:
    """Daily timestamps on weekdays only, with at least one Friday-to-Monday step."""
    if (times.dayofweek >= 5).any():
        return False
    days = times.normalize().unique()
    return bool(((days[1:] - days[:-1]) == 3 * _ONE_DAY).any())


def _calendar_alias(times: pd.DatetimeIndex) -> str | None:
    """The coarsest month/quarter/year alias whose grid holds every timestamp (or day N monthly), else ``None``."""
    first_month = MONTHS[times.min().month - 1]
    last_month = MONTHS[times.max().month - 1]
    candidates = (
        "YS",
        f"YS-{first_month}",
        "YE",
        f"YE-{last_month}",
        "QS",
        f"QS-{first_month}",
        "QE",
        f"QE-{last_month}",
        "MS",
        "ME",
        "BMS",
        "BME",
    )
    for alias in dict.fromkeys(candidates):
        grid = pd.date_range(times.min(), times.max(), freq=alias)
        if len(grid) and times.isin(grid).all():
            return to_offset(alias).freqstr if "-" not in alias else alias
    days = times.day.unique()
    if (
        len(days) == 1
        and days[0] <= 28
        and times.isin(pd.date_range(times.min(), times.max(), freq=pd.DateOffset(months=1))).all()
    ):
        return f"MS+{days[0] - 1}D"
    return None


def calendar_grid(first, last, frequency: str, holidays: Sequence = (), name=None) -> pd.Index:
    """Every step of ``frequency`` from ``first`` to ``last``, both included.

    Args:
        first: first timestamp (or step number).
        last: last timestamp (or step number).
        frequency: the series' step (see :func:`infer_frequency`).
        holidays: dates a business-day step skips.
        name: name of the index.

    Returns:
        A ``DatetimeIndex`` in the zone of ``first`` (an ``int64`` ``Index``
        for step numbers).
    """
    if is_step_frequency(frequency):
        return pd.Index(np.arange(int(first), int(last) + 1, step_size(frequency), dtype=np.int64), name=name)
    return pd.date_range(first, last, freq=frequency_offset(frequency, holidays), name=name)


def seasonal_period(frequency: str) -> int | None:
    """The seasonal period, in steps, that a calendar frequency implies.

    Business days -> 5 (a week), days -> 7, weeks -> 52, months -> 12,
    quarters -> 4, years -> 1; steps that divide a day (from one minute up)
    -> steps per day (``h`` or ``60min`` -> 24, ``15min`` -> 96). Works with
    the aliases of pandas 2 and 3 (``D`` or ``24h``, ``W-SUN``, ``MS``, ``ME``,
    ``QS-JAN``, ``YS``...).

    Args:
        frequency: a pandas alias, or a step-number step (``step``).

    Returns:
        The period, or ``None`` when the frequency implies none (multiples of
        calendar steps, step numbers, steps that do not divide a day).

    Raises:
        ValueError: when pandas does not know the alias.
    """
    if is_step_frequency(frequency):
        return None
    if MONTH_DAY_PATTERN.fullmatch(frequency):
        return 12
    offset = to_offset(frequency)
    if offset.n != 1 and not isinstance(offset, pd_offsets.Tick):
        return None
    for classes, period in _SEASONS:
        if isinstance(offset, classes) and offset.n == 1:
            return period
    step = pd.Timedelta(offset) if isinstance(offset, pd_offsets.Tick) else None
    if step == _ONE_DAY:
        return 7
    if step is not None and _SHORTEST_DAILY_STEP <= step < _ONE_DAY and _ONE_DAY % step == pd.Timedelta(0):
        return int(_ONE_DAY // step)
    return None
