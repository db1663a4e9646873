"""Folding target channels into the batch and back."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.models import FoldChannels, RepeatPerChannel, UnfoldChannels


def test_fold_puts_channel_c_of_window_b_at_row_b_times_c():
    past = np.arange(2 * 5 * 4, dtype="float32").reshape(2, 5, 4)
    folded = np.asarray(FoldChannels(n_channels=3)(past))
    assert folded.shape == (6, 5, 2)
    for b in range(2):
        for c in range(3):
            np.testing.assert_array_equal(folded[b * 3 + c, :, 0], past[b, :, c])
            np.testing.assert_array_equal(folded[b * 3 + c, :, 1], past[b, :, 3])


def test_fold_without_covariates_keeps_one_column():
    past = np.ones((2, 5, 3), dtype="float32")
    assert np.asarray(FoldChannels(n_channels=3)(past)).shape == (6, 5, 1)


def test_repeat_per_channel_matches_fold_order():
    future = np.arange(2 * 4 * 1, dtype="float32").reshape(2, 4, 1)
    repeated = np.asarray(RepeatPerChannel(n_channels=3)(future))
    np.testing.assert_array_equal(repeated[[0, 1, 2, 3, 4, 5]], future[[0, 0, 0, 1, 1, 1]])


@pytest.mark.parametrize("trailing", [(), (3,)])
def test_unfold_inverts_fold(trailing):
    targets = np.random.default_rng(0).standard_normal((2, 6, 3, *trailing)).astype("float32")
    folded = np.moveaxis(targets, 2, 1).reshape(6, 6, 1, *trailing)
    np.testing.assert_array_equal(np.asarray(UnfoldChannels(n_channels=3)(folded)), targets)


def test_channel_layers_refuse_zero_channels():
    for layer in (FoldChannels, RepeatPerChannel, UnfoldChannels):
        with pytest.raises(ValueError, match="n_channels"):
            layer(n_channels=0)


@settings(max_examples=20, deadline=None)
@given(
    batch=st.integers(1, 4),
    steps=st.integers(1, 6),
    n_channels=st.integers(1, 4),
    n_covariates=st.integers(0, 2),
)
def test_unfold_of_folded_targets_gives_back_the_targets(batch, steps, n_channels, n_covariates):
    """Folding then unfolding the channels' own columns is the identity, for any sizes."""
    rng = np.random.default_rng(batch * 100 + steps * 10 + n_channels)
    past = rng.standard_normal((batch, steps, n_channels + n_covariates)).astype("float32")
    folded = np.asarray(FoldChannels(n_channels)(past))
    assert folded.shape == (batch * n_channels, steps, 1 + n_covariates)
    np.testing.assert_array_equal(np.asarray(UnfoldChannels(n_channels)(folded[..., :1])), past[..., :n_channels])
