"""Point-wise, event-wise and ranking metrics on hand-made labels."""

import numpy as np
import pytest

from forecaster.anomaly.metrics import event_scores, point_scores, pr_auc


def as_flags(text):
    return np.array([c == "x" for c in text])


def test_point_scores():
    scores = point_scores(as_flags("..xxxx...."), as_flags("...xx.x..."))
    assert scores["precision"] == pytest.approx(2 / 3) and scores["recall"] == pytest.approx(0.5)
    assert scores["f1"] == pytest.approx(2 * (2 / 3) * 0.5 / (2 / 3 + 0.5))


def test_event_scores_count_overlaps_not_points():
    labels = as_flags("..xxxx....xxx.....")
    flags = as_flags("....x...x.........")
    scores = event_scores(labels, flags)
    assert scores["n_true_events"] == 2 and scores["n_predicted_events"] == 2
    assert scores["recall"] == 0.5 and scores["precision"] == 0.5


def test_pr_auc_of_perfect_and_constant_scores():
    labels = as_flags("...xx.....")
    assert pr_auc(labels, labels.astype(float)) == pytest.approx(1.0)
    assert pr_auc(labels, np.zeros(10)) == pytest.approx(0.2)
    assert np.isnan(pr_auc(np.zeros(10, bool), np.arange(10.0)))
