"""What one series' next scan continues from, stored with its watermark.

A point's scores depend on earlier rows: the detector's window, the seasonal
reference cycles back, the EWMA of the errors, the likelihood's history and
the alarm's quiet period. :class:`SeriesContext` keeps exactly those tails (a
:class:`~forecaster.anomaly.pipeline.ScoringState`) and the event machine's
state, so an incremental scan scores each point, and groups it into events,
as a scan of all the data at once would. It is serialised with
``numpy.savez`` (no pickle).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field

import numpy as np

from forecaster.anomaly.pipeline import ScoringState
from forecaster.errors import StoreError


@dataclass
class SeriesContext(ScoringState):
    """The tails of one series that its next scan needs: its scoring state, event state and scaling.

    Attributes:
        times, values, signals, ewma, log_likelihood: the
            :class:`~forecaster.anomaly.pipeline.ScoringState` (``times`` in naive UTC nanoseconds,
            the last one the series' watermark; the zone whose clock the seasonal signals read
            comes with the next scan's rows, :attr:`~forecaster.scan.scoring.SeriesInput.timezone`).
        pending: flagged points not yet in an event, oldest first
            (:class:`~forecaster.anomaly.events.EventState`).
        event: the series' last event (its fields and ``state``; the store finds it by series and start), or ``None``.
        scaling: ``(mean, scale)`` float64 ``(n_features,)`` each, when the scan
            fitted this series' scaling itself (``anomaly.unseen_series: fit``).
    """

    pending: list[dict] = field(default_factory=list)
    event: dict | None = None
    scaling: tuple[np.ndarray, np.ndarray] | None = None

    def to_bytes(self) -> bytes:
        """Serialise to ``numpy.savez`` bytes (compressed, no pickle)."""
        arrays = {"times": self.times, "values": self.values, "log_likelihood": self.log_likelihood}
        arrays.update({f"signal:{name}": values for name, values in self.signals.items()})
        if self.scaling is not None:
            arrays["scaling_mean"], arrays["scaling_scale"] = self.scaling
        meta = {"ewma": self.ewma, "pending": self.pending, "event": self.event}
        arrays["meta"] = np.array(json.dumps(meta, allow_nan=True))
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, series: str) -> "SeriesContext":
        """Read bytes written by :meth:`to_bytes`.

        Args:
            data: the bytes.
            series: the series, for the message.

        Returns:
            The context.

        Raises:
            StoreError: when the bytes are not a context.
        """
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as stored:
                meta = json.loads(str(stored["meta"]))
                scaling = (stored["scaling_mean"], stored["scaling_scale"]) if "scaling_mean" in stored.files else None
                return cls(
                    times=stored["times"],
                    values=stored["values"],
                    log_likelihood=stored["log_likelihood"],
                    signals={
                        name.removeprefix("signal:"): stored[name]
                        for name in stored.files
                        if name.startswith("signal:")
                    },
                    ewma={name: float(value) for name, value in meta["ewma"].items()},
                    pending=meta["pending"],
                    event=meta["event"],
                    scaling=scaling,
                )
        except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
            raise StoreError(
                f"watermarks: the context of series {series!r} is unreadable ({type(exc).__name__}); "
                f"rescore the series with --rescore-from"
            ) from None
