"""Detection quality against labels: point-wise F1, event-wise (range) precision/recall/F1 and PR-AUC.

Point-adjusted F1 (a whole labelled event counted as found when any of its
points is flagged, applied to point-wise counts) is deliberately absent: it
rates random scores highly (Kim et al., AAAI 2022).
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score

from forecaster.anomaly.events import flag_runs


def point_scores(labels: np.ndarray, flags: np.ndarray) -> dict[str, float]:
    """Point-wise precision, recall and F1 of flags against labels.

    Args:
        labels: bool ``(n,)`` true anomalous points.
        flags: bool ``(n,)`` flagged points.

    Returns:
        ``{"precision", "recall", "f1"}``; a ratio with a zero denominator is NaN.
    """
    labels, flags = np.asarray(labels, dtype=bool), np.asarray(flags, dtype=bool)
    true_positives = float(np.sum(labels & flags))
    return _precision_recall_f1(true_positives, float(flags.sum()), true_positives, float(labels.sum()))


def event_scores(labels: np.ndarray, flags: np.ndarray) -> dict[str, float]:
    """Event-wise (range) precision, recall and F1.

    A labelled event (run of labelled points) is found when at least one of
    its points is flagged; a predicted event (run of flagged points) is correct
    when it overlaps a labelled event.

    Args:
        labels: bool ``(n,)`` true anomalous points.
        flags: bool ``(n,)`` flagged points.

    Returns:
        ``{"precision", "recall", "f1", "n_true_events", "n_predicted_events"}``; a
        ratio with a zero denominator is NaN.
    """
    labels, flags = np.asarray(labels, dtype=bool), np.asarray(flags, dtype=bool)
    true_starts, true_ends = flag_runs(labels)
    predicted_starts, predicted_ends = flag_runs(flags)
    flagged_before = np.concatenate([[0], np.cumsum(flags)])
    labelled_before = np.concatenate([[0], np.cumsum(labels)])
    found = float(np.sum(flagged_before[true_ends] > flagged_before[true_starts]))
    correct = float(np.sum(labelled_before[predicted_ends] > labelled_before[predicted_starts]))
    scores = _precision_recall_f1(correct, float(predicted_starts.size), found, float(true_starts.size))
    scores.update(n_true_events=int(true_starts.size), n_predicted_events=int(predicted_starts.size))
    return scores


def pr_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """Area under the precision-recall curve (average precision) of scores against labels.

    Args:
        labels: bool ``(n,)`` true anomalous points.
        scores: float ``(n,)`` anomaly scores; NaN count as the lowest score.

    Returns:
        The average precision, or NaN when there is no labelled point.
    """
    labels = np.asarray(labels, dtype=bool)
    if not labels.any():
        return float("nan")
    scores = np.nan_to_num(np.asarray(scores, dtype=np.float64), nan=-np.inf)
    return float(average_precision_score(labels, np.maximum(scores, np.finfo(np.float64).min)))


def _precision_recall_f1(hits_p: float, n_predicted: float, hits_r: float, n_true: float) -> dict[str, float]:
    precision = hits_p / n_predicted if n_predicted else float("nan")
    recall = hits_r / n_true if n_true else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else float("nan")
    if n_predicted and n_true and precision + recall == 0:
        f1 = 0.0
    return {"precision": precision, "recall": recall, "f1": f1}
