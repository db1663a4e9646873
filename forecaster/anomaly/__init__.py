"""Anomaly detection: detectors that learn normal behaviour, thresholds, the anomaly likelihood and events.

- :mod:`~forecaster.anomaly.detectors`: :class:`AutoencoderDetector`, :class:`ResidualDetector`.
- :mod:`~forecaster.anomaly.thresholds`: quantile, mean + k std, Hundman's dynamic threshold, POT.
- :mod:`~forecaster.anomaly.likelihood`: errors to a causal, per-series anomaly likelihood.
- :mod:`~forecaster.anomaly.events`: flagged points to events.
- :mod:`~forecaster.anomaly.metrics`: point-wise, event-wise and ranking metrics against labels.
- :mod:`~forecaster.anomaly.pipeline`: :func:`detect`, a config and series in, scores and events out.
"""

from forecaster.anomaly.detectors import (
    AutoencoderDetector,
    ResidualDetector,
    WindowDetector,
    load_detector,
    make_detector,
    online_point_errors,
)
from forecaster.anomaly.events import find_events, merge_runs
from forecaster.anomaly.metrics import event_scores, point_scores, pr_auc
from forecaster.anomaly.likelihood import anomaly_likelihood, suppress_repeats
from forecaster.anomaly.pipeline import DetectionResult, detect, normal_rows
from forecaster.anomaly.thresholds import dynamic_threshold, flag_errors, pot_threshold, quantile_threshold, std_threshold

__all__ = [
    "AutoencoderDetector",
    "DetectionResult",
    "ResidualDetector",
    "WindowDetector",
    "anomaly_likelihood",
    "detect",
    "dynamic_threshold",
    "find_events",
    "flag_errors",
    "load_detector",
    "make_detector",
    "merge_runs",
    "normal_rows",
    "online_point_errors",
    "point_scores",
    "event_scores",
    "pot_threshold",
    "pr_auc",
    "quantile_threshold",
    "std_threshold",
    "suppress_repeats",
]
