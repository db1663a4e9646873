"""Choosing settings without scoring them on the data they were chosen on.

Leave-one-group-out cross-validation (Stone, J. R. Stat. Soc. B 1974; for
time-series corpora grouped by source, see Bergmeir & Benitez, Inf. Sci. 2012):
each group is scored with the settings that did best on every other group, so
no score comes from settings chosen on its own group.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

Setting = TypeVar("Setting")


def leave_one_group_out(groups: Mapping[str, str]) -> list[tuple[str, list[str], list[str]]]:
    """Split items into folds that each hold out one whole group.

    Args:
        groups: ``{item: group}``, e.g. ``{"realKnownCause/nyc_taxi.csv": "realKnownCause"}``.

    Returns:
        One ``(group, train_items, test_items)`` per group, in sorted group
        order; ``test_items`` are the group's items and ``train_items`` every
        other item, both sorted. Every item is tested exactly once.

    Raises:
        ValueError: with fewer than two groups (nothing to train on).
    """
    names = sorted(set(groups.values()))
    if len(names) < 2:
        raise ValueError(f"leave_one_group_out: need at least two groups, got {names}")
    items = sorted(groups)
    return [
        (name, [item for item in items if groups[item] != name], [item for item in items if groups[item] == name])
        for name in names
    ]


def choose_setting(settings: Sequence[Setting], objective: Callable[[Setting], float]) -> tuple[int, float]:
    """Return the index and value of the setting that maximises ``objective`` (the first one on a tie).

    Args:
        settings: candidates, at least one.
        objective: score of a candidate on the training items (higher is better).

    Returns:
        ``(index, value)``.

    Raises:
        ValueError: for no candidates.
    """
    if not settings:
        raise ValueError("choose_setting: no candidate settings")
    values = [objective(setting) for setting in settings]
    best = max(range(len(values)), key=lambda k: (values[k], -k))
    return best, values[best]
