"""Anomaly detection: detectors that learn normal behaviour, thresholds, the anomaly likelihood and events.

- :mod:`~forecaster.anomaly.detectors`: :class:`AutoencoderDetector`, :class:`ResidualDetector`.
- :mod:`~forecaster.anomaly.thresholds`: quantile, mean + k std, Hundman's dynamic threshold, POT; fixed levels per series.
- :mod:`~forecaster.anomaly.likelihood`: errors to a causal, per-series anomaly likelihood.
- :mod:`~forecaster.anomaly.events`: flagged points to events, by the state machine detect and scans share.
- :mod:`~forecaster.anomaly.metrics`: point-wise, event-wise and ranking metrics against labels.
- :mod:`~forecaster.anomaly.pipeline`: :func:`score_points`, the one scoring path of detect and scans;
  :func:`detect`, a config and series in, scores and events out.
"""

from forecaster.anomaly.detectors import (
    AutoencoderDetector,
    ResidualDetector,
    WindowDetector,
    load_detector,
    make_detector,
    online_point_errors,
)
from forecaster.anomaly.events import EventRules, EventState, advance_events, event_rules, find_events
from forecaster.anomaly.likelihood import anomaly_likelihood, suppress_repeats
from forecaster.anomaly.metrics import event_scores, point_scores, pr_auc
from forecaster.anomaly.pipeline import DetectionResult, PointScores, ScoringState, detect, normal_rows, score_points
from forecaster.anomaly.thresholds import (
    SeriesThresholds,
    dynamic_threshold,
    fit_series_thresholds,
    flag_errors,
    pot_threshold,
    quantile_threshold,
    std_threshold,
)

__all__ = [
    "AutoencoderDetector",
    "DetectionResult",
    "EventRules",
    "EventState",
    "PointScores",
    "ScoringState",
    "SeriesThresholds",
    "ResidualDetector",
    "WindowDetector",
    "advance_events",
    "anomaly_likelihood",
    "detect",
    "dynamic_threshold",
    "event_rules",
    "find_events",
    "fit_series_thresholds",
    "flag_errors",
    "load_detector",
    "make_detector",
    "normal_rows",
    "online_point_errors",
    "point_scores",
    "event_scores",
    "pot_threshold",
    "pr_auc",
    "quantile_threshold",
    "score_points",
    "std_threshold",
    "suppress_repeats",
]
