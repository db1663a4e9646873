"""The x axis of a figure: calendar times or plain step numbers, drawn and labelled alike by every figure.

A series is indexed either by times (a ``DatetimeIndex``, possibly zoned, on
any calendar: hours, business days, month ends ...) or, with
``data.time_unit: step``, by integer step numbers. Figures place both on the
x axis as float positions (Matplotlib date numbers of the wall-clock time, or
the step numbers themselves) and label the axis to match.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator
from pandas import offsets as pd_offsets

from forecaster.data.calendar import MONTH_DAY_PATTERN, frequency_offset, is_step_frequency, step_size
from forecaster.reports.style import format_date_axis


def is_time_axis(values) -> bool:
    """Whether ``values`` (an index, series or array) are times rather than step numbers."""
    return isinstance(pd.Index(values), pd.DatetimeIndex)


def plot_positions(values) -> np.ndarray:
    """Float x positions of times or step numbers, shape ``(n,)``.

    Times become Matplotlib date numbers of their wall-clock time (a zoned
    series is drawn in its own clock); step numbers are kept as they are.
    """
    index = pd.Index(values)
    if isinstance(index, pd.DatetimeIndex):
        naive = index.tz_localize(None) if index.tz is not None else index
        return mdates.date2num(naive.to_numpy(dtype="datetime64[ns]"))
    return index.to_numpy(dtype=np.float64)


def one_step_later(values, frequency: str, holidays: Sequence = ()) -> pd.Index:
    """Each of ``values`` moved one step of ``frequency`` later (the next business day, month end, step ...).

    Args:
        values: times or step numbers ``(n,)``.
        frequency: the series' frequency alias (``h``, ``B``, ``ME``, ``step`` ...).
        holidays: dates a custom business-day calendar skips. Default none.

    Returns:
        An index of the same kind as ``values``.
    """
    index = pd.Index(values)
    if is_step_frequency(frequency):
        return index + step_size(frequency)
    with warnings.catch_warnings():  # custom business days are applied element-wise: a few events, no matter
        warnings.simplefilter("ignore", pd.errors.PerformanceWarning)
        return pd.DatetimeIndex(index) + frequency_offset(frequency, holidays)


def format_x_axis(axes: Axes, values) -> None:
    """Label the x axis for ``values``: concise dates for times, whole numbers for steps; set its label."""
    if is_time_axis(values):
        format_date_axis(axes)
        zone = pd.DatetimeIndex(values).tz
        axes.set_xlabel(f"time ({zone})" if zone is not None else "time")
    else:
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_xlabel("step")


def format_moment(moment) -> str:
    """A time to the minute (to the second when it has seconds), without a zone suffix; a step number as ``step N``."""
    if isinstance(moment, (int, np.integer)):
        return f"step {int(moment):,}"
    stamp = pd.Timestamp(moment)
    return stamp.strftime("%Y-%m-%d %H:%M:%S" if stamp.second or stamp.microsecond else "%Y-%m-%d %H:%M")


def duration_text(start, stop) -> str:
    """How long ``[start, stop)`` lasts in its two largest units, for people: ``1 d 10 h``, ``45 min``, ``12 steps``.

    Args:
        start: a time or step number.
        stop: the exclusive end, of the same kind.
    """
    if isinstance(start, (int, np.integer)):
        n = int(stop) - int(start)
        return f"{n:,} step" if n == 1 else f"{n:,} steps"
    seconds = int((pd.Timestamp(stop) - pd.Timestamp(start)).total_seconds())
    days, hours, minutes = seconds // 86400, seconds % 86400 // 3600, seconds % 3600 // 60
    parts = [(days, "d"), (hours, "h"), (minutes, "min"), (seconds % 60, "s")]
    first = next((i for i, (amount, _) in enumerate(parts) if amount), len(parts) - 1)
    return " ".join(f"{amount} {unit}" for amount, unit in parts[first : first + 2] if amount) or "0 s"


# Calendar steps in words, by the alias's base (the part before any '-' anchor): (unit, what follows it).
CALENDAR_STEPS = {
    "B": ("business day", ""),
    "C": ("business day", " (holidays skipped)"),
    "W": ("week", ""),
    "MS": ("month", ", on its first day"),
    "ME": ("month", ", on its last day"),
    "QS": ("quarter", ", on its first day"),
    "QE": ("quarter", ", on its last day"),
    "YS": ("year", ", on its first day"),
    "YE": ("year", ", on its last day"),
}


def frequency_text(frequency: str | None) -> str:
    """How often a series has a row, for people: ``every 1 h``, ``every 5 steps``, ``every 2 weeks, on MON``.

    Args:
        frequency: a pandas alias, a day-N-monthly alias (``MS+14D``), a step
            alias (``5step``), or ``None`` for an irregular series.

    Returns:
        ``every ...`` (``at irregular times`` for ``None``); an alias with no
        words here is quoted as it is.
    """
    if frequency is None:
        return "at irregular times"
    if is_step_frequency(frequency):
        return f"every {duration_text(0, step_size(frequency))}"
    if match := MONTH_DAY_PATTERN.fullmatch(frequency):
        return f"every month, on day {int(match.group(1)) + 1}"
    offset = frequency_offset(frequency)
    if isinstance(offset, (pd_offsets.Tick, pd_offsets.Day)):
        start = pd.Timestamp(0)
        return f"every {duration_text(start, start + pd.Timedelta(offset))}"
    base, _, anchor = offset.rule_code.partition("-")
    if base not in CALENDAR_STEPS:
        return f"every '{frequency}'"
    unit, tail = CALENDAR_STEPS[base]
    weekday = f", on {anchor}" if unit == "week" and anchor else ""
    return f"every {unit if offset.n == 1 else f'{offset.n} {unit}s'}{tail}{weekday}"
