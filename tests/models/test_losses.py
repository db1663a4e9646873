"""Pinball loss against hand-computed values."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.models import PinballLoss, make_loss


def test_pinball_matches_hand_computation():
    y_true = np.array([[[1.0], [2.0]]], dtype="float32")  # (1, 2, 1)
    y_pred = np.array([[[[0.0, 1.5, 3.0]], [[2.0, 2.0, 2.0]]]], dtype="float32")  # (1, 2, 1, 3)
    # step 1: errors 1, -0.5, -2 -> 0.1*1, 0.5*0.5, 0.1*2 = 0.1, 0.25, 0.2; mean 0.55/3
    # step 2: errors 0 -> 0
    expected = (0.55 / 3 + 0.0) / 2
    loss = float(PinballLoss([0.1, 0.5, 0.9])(y_true, y_pred))
    assert loss == pytest.approx(expected, rel=1e-6)


def test_pinball_median_is_half_the_absolute_error():
    rng = np.random.default_rng(0)
    y_true = rng.standard_normal((4, 3, 2)).astype("float32")
    y_pred = rng.standard_normal((4, 3, 2, 1)).astype("float32")
    expected = 0.5 * np.abs(y_true - y_pred[..., 0]).mean()
    assert float(PinballLoss([0.5])(y_true, y_pred)) == pytest.approx(expected, rel=1e-5)


def test_pinball_sample_weight_masks_steps():
    y_true = np.zeros((1, 2, 1), dtype="float32")
    y_pred = np.array([[[[1.0]], [[100.0]]]], dtype="float32")
    weight = np.array([[1.0, 0.0]], dtype="float32")
    # sum_over_batch_size divides by all 2 steps
    assert float(PinballLoss([0.5])(y_true, y_pred, sample_weight=weight)) == pytest.approx(0.5 * 1.0 / 2)


def test_pinball_round_trips_through_serialization():
    loss = PinballLoss([0.2, 0.5, 0.8])
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, PinballLoss) and restored.quantiles == [0.2, 0.5, 0.8]


def test_pinball_refuses_bad_levels():
    with pytest.raises(ValueError, match="quantiles"):
        PinballLoss([0.5, 1.0])


def test_make_loss_picks_pinball_for_quantiles():
    assert isinstance(make_loss("mse", [0.1, 0.5, 0.9]), PinballLoss)
    assert isinstance(make_loss("huber", []), keras.losses.Huber)


@settings(max_examples=25, deadline=None)
@given(
    levels=st.lists(st.floats(0.01, 0.99), min_size=1, max_size=4),
    shift=st.floats(-5.0, 5.0),
)
def test_pinball_is_zero_at_the_truth_and_positive_elsewhere(levels, shift):
    rng = np.random.default_rng(0)
    y_true = rng.standard_normal((3, 4, 2)).astype("float32")
    exact = np.repeat(y_true[..., None], len(levels), axis=-1)
    loss = PinballLoss(levels)
    assert float(loss(y_true, exact)) == pytest.approx(0.0, abs=1e-7)
    expected = np.mean([max(q * -shift, (q - 1) * -shift) for q in levels])
    assert float(loss(y_true, exact + np.float32(shift))) == pytest.approx(expected, rel=1e-4, abs=1e-5)
