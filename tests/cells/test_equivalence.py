"""Gated layers vs keras.layers.LSTM/GRU and the float64 reference, through the shared check engine."""

import dataclasses

import keras
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forecaster.cells.check import GRADIENT_RTOL, OUTPUT_ATOL, CheckCase, feature_cases, run_case
from forecaster.cells.gradients import float64_atol


@pytest.mark.parametrize("case", feature_cases(), ids=lambda case: case.name)
def test_feature_case_matches_keras_and_reference(case: CheckCase) -> None:
    result = run_case(case)
    assert result.passed, result.as_row()


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="the bug is in Keras's unrolled TensorFlow loop; other backends' Keras outputs are right (deviation 0)",
)
def test_keras_unroll_backwards_zero_output_bug_is_reported_and_ours_follows_the_reference() -> None:
    case = next(c for c in feature_cases() if c.unroll and c.zero_output_for_mask and c.kind == "lstm")
    result = run_case(case)
    assert result.keras_deviation is not None and result.keras_deviation > 1e-3
    assert result.reference is not None and result.reference <= OUTPUT_ATOL
    assert result.states is not None and result.states <= OUTPUT_ATOL


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_masked_steps_before_the_first_valid_one_output_zeros_on_every_backend(kind: str) -> None:
    # go_backwards over right-padded rows starts with masked steps; with an
    # initial state, Keras's JAX loop outputs that state there, its TensorFlow
    # loop and the reference output zeros.
    case = CheckCase(
        name="leading masked steps",
        kind=kind,
        n_batch=4,
        n_steps=9,
        n_features=3,
        units=5,
        go_backwards=True,
        ragged=True,
        initial_state=True,
        seed=2,
    )
    result = run_case(case)
    assert result.passed, result.as_row()
    assert result.reference <= float64_atol()
    if keras.backend.backend() == "tensorflow":
        assert result.outputs == 0.0 and result.keras_deviation is None
    else:
        assert result.keras_deviation is not None and result.keras_deviation > 1e-3


@st.composite
def random_case(draw: st.DrawFn) -> CheckCase:
    kind = draw(st.sampled_from(["lstm", "gru", "peephole_lstm"]))
    return CheckCase(
        name="hypothesis",
        kind=kind,
        n_batch=draw(st.integers(1, 6)),
        n_steps=draw(st.integers(1, 64)),
        n_features=draw(st.integers(1, 6)),
        units=draw(st.integers(1, 12)),
        return_sequences=draw(st.booleans()),
        go_backwards=draw(st.booleans()),
        ragged=draw(st.booleans()),
        initial_state=draw(st.booleans()),
        reset_after=draw(st.booleans()),
        seed=draw(st.integers(0, 2**31 - 1)),
    )


@settings(max_examples=20, deadline=None)
@given(case=random_case())
def test_random_shapes_match_within_tolerance(case: CheckCase) -> None:
    result = run_case(case)
    assert result.passed, result.as_row()
    if case.kind != "peephole_lstm" and result.keras_deviation is None:
        assert result.outputs <= OUTPUT_ATOL and result.gradients <= GRADIENT_RTOL


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), kind=st.sampled_from(["lstm", "gru"]))
def test_stateful_bidirectional_and_dropout_hold_for_random_seeds(seed: int, kind: str) -> None:
    base = CheckCase(name="h", kind=kind, n_batch=2, n_steps=7, n_features=3, units=4, seed=seed)
    for options in (
        {"stateful": True},
        {"bidirectional": True, "ragged": True},
        {"dropout": 0.4, "recurrent_dropout": 0.3, "training": True},
    ):
        result = run_case(dataclasses.replace(base, **options))
        assert result.passed, result.as_row()
