"""``forecaster events``: the events stored by scans, filtered, for analysts and alerting scripts.

Kept apart from :mod:`forecaster.jobs.scan` so listing events never imports Keras.
"""

from __future__ import annotations

import difflib

import pandas as pd

from forecaster.config import ForecasterConfig
from forecaster.errors import DataError
from forecaster.store import ScanStore, utc_naive


def list_events(
    config: ForecasterConfig,
    store_url: str | None = None,
    series: str | None = None,
    since: str | None = None,
    state: str | None = None,
    min_severity: float | None = None,
    since_scan: bool = False,
) -> pd.DataFrame:
    """Return the stored events that pass the filters (``forecaster events``).

    Args:
        config: the config (its ``store.url``).
        store_url: a store URL instead of ``store.url``. Default ``None``.
        series: only this series. Default ``None``.
        since: only events ending at or after this timestamp. Default ``None``.
        state: only ``open`` or ``closed`` events. Default ``None``.
        min_severity: only events at least this severe. Default ``None``.
        since_scan: only the events the last finished scan opened, extended or closed (a re-score's silent
            revisions of scores are not among them). Default ``False``.

    Returns:
        One row per event (see :meth:`~forecaster.store.ScanStore.list_events`).

    Raises:
        DataError: for a ``since`` that is not a timestamp (:func:`parse_timestamp`), or a
            ``series`` no scan has scored (naming the nearest stored series, so a typo does
            not read as "no events").
        StoreError: when the store does not exist or cannot be read.
    """
    start = None if since is None else parse_timestamp(since, "--since")
    store = ScanStore(store_url or config.store.url, create=False)
    try:
        if series is not None and not store.read_watermarks([series]):
            raise DataError(f"--series {series!r}: {_no_such_series(series, store)}")
        scan_id = store.last_scan_id() if since_scan else None
        if since_scan and scan_id is None:
            return store.list_events(scan_id=-1)
        return store.list_events(series=series, since=start, state=state, min_severity=min_severity, scan_id=scan_id)
    finally:
        store.close()


def parse_timestamp(text: str, option: str) -> pd.Timestamp:
    """Read a time given on the command line as the store keeps times: naive UTC.

    Args:
        text: a time pandas reads, e.g. ``2024-05-01``, ``'2024-05-01 12:00'`` or
            ``2024-05-01T12:00+02:00`` (converted to UTC).
        option: the option it was given to, e.g. ``--since``, for the message.

    Returns:
        The time, naive UTC.

    Raises:
        DataError: when ``text`` is not a time (pandas reads ``''`` as NaT), naming
            the option and the value, with an example to write instead.
    """
    try:
        time = pd.Timestamp(text)
    except ValueError:
        time = pd.NaT
    if time is pd.NaT:
        raise DataError(f"{option} {text!r}: not a timestamp; write e.g. 2024-05-01 or '2024-05-01 12:00'")
    return utc_naive(time)


def _no_such_series(series: str, store: ScanStore) -> str:
    """Why a series is unknown to the store, with the nearest stored name or a few of them."""
    known = sorted(store.read_table("watermarks")["series"].astype(str))
    near = difflib.get_close_matches(series, known, n=1, cutoff=0.5)
    if near:
        return f"no scan has scored this series; did you mean {near[0]!r}?"
    shown = ", ".join(known[:10]) + (f" and {len(known) - 10} more" if len(known) > 10 else "")
    return f"no scan has scored this series; the store holds {shown or 'no series yet'}"
