"""The equivalence checks of the gated layers, shared by the tests and ``forecaster check-cell``.

A :class:`CheckCase` describes one configuration; :func:`run_case` builds a
Keras layer with random weights, copies it into the gated layer and compares
outputs, final states and the gradients of a scalar loss with respect to the
inputs and every weight. It also runs a float64 copy of the gated layer
against the numpy reference. The peephole LSTM, which Keras lacks, is checked
against the reference alone, with finite-difference gradients. Where the
gated layer and Keras disagree, the reference decides (see :func:`run_case`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import keras
import numpy as np

from forecaster.cells import reference
from forecaster.cells.gradients import float64_atol, float64_rtol, float64_scope, outputs_and_gradients
from forecaster.cells.gru import GatedGRU
from forecaster.cells.lstm import GatedLSTM
from forecaster.data import read_table
from forecaster.errors import DataError

OUTPUT_ATOL = 1e-6
"""Largest absolute difference allowed for outputs and states, gated vs Keras (the reference uses ``float64_atol()``)."""
GRADIENT_RTOL = 1e-5
"""Largest difference allowed for gradients, relative to the largest Keras gradient of the same tensor."""

CellKind = Literal["lstm", "gru", "peephole_lstm"]


@dataclass(frozen=True)
class CheckCase:
    """One equivalence case.

    Attributes:
        name: label shown in tables.
        kind: ``lstm`` and ``gru`` are compared with Keras and the reference;
            ``peephole_lstm`` with the reference and finite differences.
        n_batch, n_steps, n_features, units: shapes; inputs are
            ``(n_batch, n_steps, n_features)``.
        return_sequences, go_backwards, stateful, unroll, zero_output_for_mask,
        reset_after, dropout, recurrent_dropout: layer arguments.
        ragged: right-padded ``(batch, time)`` mask with random lengths (>= 1).
        initial_state: pass random initial states.
        bidirectional: wrap both layers in ``keras.layers.Bidirectional``.
        training: call with ``training=True`` (dropout masks from ``seed``).
        seed: seeds the inputs, weights and dropout masks.
        inputs: real data ``(n_batch, n_steps, n_features)``; ``None`` draws normals.
    """

    name: str
    kind: CellKind
    n_batch: int
    n_steps: int
    n_features: int
    units: int
    return_sequences: bool = True
    go_backwards: bool = False
    stateful: bool = False
    unroll: bool = False
    zero_output_for_mask: bool = False
    reset_after: bool = True
    dropout: float = 0.0
    recurrent_dropout: float = 0.0
    ragged: bool = False
    initial_state: bool = False
    bidirectional: bool = False
    training: bool = False
    seed: int = 0
    inputs: np.ndarray | None = field(default=None, repr=False, compare=False)


@dataclass
class CheckResult:
    """Largest differences found for one case; ``None`` where a comparison does not apply.

    Attributes:
        case: the case.
        outputs: max abs difference of the outputs, gated vs Keras.
        states: max abs difference of the final states, gated vs Keras.
        gradients: max relative difference of the gradients, gated vs Keras
            (or analytic vs finite differences for the peephole LSTM).
        reference: max abs difference, float64 gated layer vs numpy reference.
        keras_deviation: max abs difference of Keras's outputs from the gated
            layer's, reported (not judged) where the reference shows Keras is
            wrong; ``outputs`` and ``gradients`` are then ``None``.
    """

    case: CheckCase
    outputs: float | None
    states: float | None
    gradients: float | None
    reference: float | None
    keras_deviation: float | None = None

    @property
    def gradient_rtol(self) -> float:
        """Tolerance of ``gradients``: ``GRADIENT_RTOL``, or ``float64_rtol()`` for the peephole LSTM's finite differences."""
        return float64_rtol() if self.case.kind == "peephole_lstm" else GRADIENT_RTOL

    @property
    def passed(self) -> bool:
        """Whether every applicable difference is within its tolerance (the reference's is ``float64_atol()``)."""
        limits = (
            (self.outputs, OUTPUT_ATOL),
            (self.states, OUTPUT_ATOL),
            (self.gradients, self.gradient_rtol),
            (self.reference, float64_atol()),
        )
        return all(value is None or value <= limit for value, limit in limits)

    def as_row(self) -> dict[str, Any]:
        """Return the result as one table row (plain data, JSON-safe)."""
        case = self.case
        return {
            "case": case.name,
            "shape": f"{case.n_batch}x{case.n_steps}x{case.n_features}->{case.units}",
            "outputs": self.outputs,
            "states": self.states,
            "gradients": self.gradients,
            "reference": self.reference,
            "keras_deviation": self.keras_deviation,
            "tolerance": f"{OUTPUT_ATOL:g} abs / {self.gradient_rtol:g} rel / {float64_atol():g} ref",
            "result": "pass" if self.passed else "FAIL",
        }


def feature_cases(n_steps: int = 12, seed: int = 0) -> list[CheckCase]:
    """Return one case per feature the layers must match Keras on (small shapes).

    Args:
        n_steps: sequence length of every case.
        seed: base seed; case ``k`` uses ``seed + k``.

    Returns:
        Cases for LSTM and GRU (both ``reset_after``) covering return_sequences
        both ways, go_backwards, ragged masks, initial states, stateful,
        Bidirectional, dropout in training, the case of Keras's unroll,
        go_backwards and zero-output bug, and the peephole LSTM.
    """
    shape = {"n_batch": 3, "n_steps": n_steps, "n_features": 4, "units": 5}
    variants: list[tuple[str, dict[str, Any]]] = [
        ("last output", {"return_sequences": False}),
        ("sequences", {}),
        ("go_backwards", {"go_backwards": True}),
        ("ragged mask", {"ragged": True}),
        ("ragged mask, go_backwards", {"ragged": True, "go_backwards": True}),
        ("initial state", {"initial_state": True}),
        ("stateful, 2 batches", {"stateful": True}),
        ("bidirectional, ragged", {"bidirectional": True, "ragged": True}),
        ("dropout, training", {"dropout": 0.3, "recurrent_dropout": 0.2, "training": True}),
        ("dropout, inference", {"dropout": 0.3, "recurrent_dropout": 0.2}),
        (
            "unroll+go_backwards+zero mask",
            {"unroll": True, "go_backwards": True, "ragged": True, "zero_output_for_mask": True},
        ),
    ]
    kinds: list[tuple[str, CellKind, dict[str, Any]]] = [
        ("lstm", "lstm", {}),
        ("gru", "gru", {}),
        ("gru reset_before", "gru", {"reset_after": False}),
    ]
    cases = [
        CheckCase(name=f"{label}: {variant}", kind=kind, seed=seed, **shape, **extra, **options)
        for label, kind, extra in kinds
        for variant, options in variants
    ]
    cases += [
        CheckCase(
            name="peephole_lstm: ragged, initial state",
            kind="peephole_lstm",
            ragged=True,
            initial_state=True,
            seed=seed,
            **shape,
        ),
        CheckCase(name="peephole_lstm: go_backwards", kind="peephole_lstm", go_backwards=True, seed=seed, **shape),
    ]
    return [dataclasses.replace(case, seed=seed + k) for k, case in enumerate(cases)]


def random_cases(n_cases: int, seed: int) -> list[CheckCase]:
    """Return ``n_cases`` random-shape cases per cell kind (LSTM, GRU, peephole LSTM).

    Shapes: batch 1..8, time 1..64, features 1..8, units 1..16; options
    (return_sequences, go_backwards, ragged mask, initial state, reset_after)
    drawn at random.

    Args:
        n_cases: cases per kind.
        seed: seeds the draws.
    """
    rng = np.random.default_rng(seed)
    cases = []
    for kind in ("lstm", "gru", "peephole_lstm"):
        for k in range(n_cases):
            flags = {
                name: bool(rng.integers(2))
                for name in ("return_sequences", "go_backwards", "ragged", "initial_state", "reset_after")
            }
            cases.append(
                CheckCase(
                    name=f"{kind}: random {k + 1}",
                    kind=kind,
                    n_batch=int(rng.integers(1, 9)),
                    n_steps=int(rng.integers(1, 65)),
                    n_features=int(rng.integers(1, 9)),
                    units=int(rng.integers(1, 17)),
                    seed=int(rng.integers(2**31)),
                    **flags,
                )
            )
    return cases


def load_real_windows(path: Path, n_batch: int, n_steps: int) -> np.ndarray:
    """Return ``n_batch`` consecutive standardised windows of a CSV's numeric columns.

    Args:
        path: CSV file (e.g. ETTh1: ``date`` plus numeric columns).
        n_batch: number of windows.
        n_steps: steps per window.

    Returns:
        float32 array ``(n_batch, n_steps, n_numeric_columns)``.

    Raises:
        DataError: when the file is missing, unreadable (see
            :func:`forecaster.data.read_table`), has no numeric column or has
            fewer than ``n_batch * n_steps`` rows.
    """
    if not path.is_file():
        raise DataError(f"{path}: real-data file not found; set cell_check.data_path to the ETTh1 CSV")
    values = read_table(path, "csv").select_dtypes("number").to_numpy(np.float64)
    if values.shape[1] == 0:
        raise DataError(f"{path}: no numeric columns; expected ETTh1-like columns HUFL..OT")
    if len(values) < n_batch * n_steps:
        raise DataError(
            f"{path}: {len(values)} rows, need at least {n_batch * n_steps} "
            f"(cell_check.time_steps={n_steps} x {n_batch} windows); lower cell_check.time_steps"
        )
    values = values[: n_batch * n_steps]
    values = (values - values.mean(axis=0)) / (values.std(axis=0) + 1e-12)
    return values.reshape(n_batch, n_steps, -1).astype(np.float32)


def real_data_cases(windows: np.ndarray, units: int, seed: int) -> list[CheckCase]:
    """Return LSTM, GRU (both ``reset_after``) and peephole-LSTM cases on real ``windows`` ``(batch, time, features)``."""
    n_batch, n_steps, n_features = windows.shape
    common = {"n_batch": n_batch, "n_steps": n_steps, "n_features": n_features, "units": units, "inputs": windows}
    return [
        CheckCase(name="lstm: real data", kind="lstm", seed=seed, **common),
        CheckCase(name="gru: real data", kind="gru", seed=seed + 1, **common),
        CheckCase(name="gru reset_before: real data", kind="gru", reset_after=False, seed=seed + 2, **common),
        CheckCase(name="peephole_lstm: real data", kind="peephole_lstm", seed=seed + 3, **common),
    ]


@dataclass
class _Inputs:
    """The arrays a case runs on: two batches (the second only matters when stateful), mask, initial states."""

    first: np.ndarray
    second: np.ndarray
    mask: np.ndarray | None
    initial_state: list[np.ndarray] | None


def _draw_inputs(case: CheckCase, rng: np.random.Generator) -> _Inputs:
    shape = (case.n_batch, case.n_steps, case.n_features)
    first = case.inputs if case.inputs is not None else rng.normal(size=shape).astype(np.float32)
    second = rng.normal(size=shape).astype(np.float32) if case.stateful else first
    mask = None
    if case.ragged:
        lengths = rng.integers(1, case.n_steps + 1, size=case.n_batch)
        mask = np.arange(case.n_steps)[None, :] < lengths[:, None]
    n_states = 1 if case.kind == "gru" else 2
    initial_state = (
        [rng.normal(size=(case.n_batch, case.units)).astype(np.float32) for _ in range(n_states)]
        if case.initial_state
        else None
    )
    return _Inputs(first, second, mask, initial_state)


def make_layer(case: CheckCase, keras_layer: bool, dtype: str = "float32") -> keras.layers.Layer:
    """Return the Keras or gated layer a case describes, unbuilt.

    Args:
        case: the case.
        keras_layer: build ``keras.layers.LSTM``/``GRU`` instead of the gated layer.
        dtype: layer dtype.

    Returns:
        The layer, wrapped in ``Bidirectional`` when ``case.bidirectional``.
    """
    kwargs: dict[str, Any] = {
        "return_sequences": case.return_sequences,
        "return_state": not case.bidirectional,
        "go_backwards": case.go_backwards,
        "stateful": case.stateful,
        "unroll": case.unroll,
        "zero_output_for_mask": case.zero_output_for_mask,
        "dropout": case.dropout,
        "recurrent_dropout": case.recurrent_dropout,
        "seed": case.seed,
        "dtype": dtype,
    }
    if case.kind == "gru":
        kwargs["reset_after"] = case.reset_after
        layer_class = keras.layers.GRU if keras_layer else GatedGRU
    else:
        layer_class = keras.layers.LSTM if keras_layer else GatedLSTM
        if case.kind == "peephole_lstm":
            kwargs["peephole"] = True
    layer = layer_class(case.units, **kwargs)
    return keras.layers.Bidirectional(layer) if case.bidirectional else layer


def weighted_output_loss(outputs: list[Any]) -> Any:
    """Return the scalar ``sum_k sum(output_k * cos(arange))``, so every output element has a distinct weight.

    Args:
        outputs: the layer's outputs (the output, then any states), backend tensors.

    Returns:
        A scalar tensor of the outputs' dtype.
    """
    return sum(
        keras.ops.sum(out * keras.ops.cast(np.cos(np.arange(int(np.prod(out.shape)))).reshape(out.shape), out.dtype))
        for out in outputs
    )


def _max_abs_diff(first: list[np.ndarray], second: list[np.ndarray]) -> float:
    return max((float(np.max(np.abs(a - b), initial=0.0)) for a, b in zip(first, second)), default=0.0)


def _max_rel_diff(actual: list[np.ndarray], expected: list[np.ndarray]) -> float:
    return max(
        float(np.max(np.abs(a - e), initial=0.0)) / max(float(np.max(np.abs(e), initial=0.0)), 1e-12)
        for a, e in zip(actual, expected)
    )


def _call_kwargs(case: CheckCase, data: _Inputs) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"training": case.training}
    if data.mask is not None:
        kwargs["mask"] = data.mask
    if data.initial_state is not None:
        kwargs["initial_state"] = data.initial_state
    return kwargs


def _run_twice(layer: keras.layers.Layer, case: CheckCase, data: _Inputs) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Forward (and differentiate) the case; a stateful layer first sees the first batch."""
    kwargs = _call_kwargs(case, data)
    if case.stateful:
        layer(data.first, **kwargs)
    return outputs_and_gradients(layer, data.second, weighted_output_loss, **kwargs)


def run_case(case: CheckCase) -> CheckResult:
    """Run one equivalence case and return the largest differences found.

    Where the gated layer's outputs differ from Keras's by more than
    ``OUTPUT_ATOL``, the reference decides: if Keras's outputs are also off the
    reference and the float64 gated layer is on it, Keras is wrong; the
    difference is reported as ``keras_deviation`` and outputs and gradients
    are not judged against Keras (known cases: docs/cells.md, "Known Keras
    deviations").

    Args:
        case: the case.

    Returns:
        :class:`CheckResult`.
    """
    rng = np.random.default_rng(case.seed)
    data = _draw_inputs(case, rng)
    shape = (case.n_batch, case.n_steps, case.n_features)
    if case.kind == "peephole_lstm":
        return _run_peephole_case(case, data, rng, shape)

    keras_layer = make_layer(case, keras_layer=True)
    keras_layer.build(shape)
    keras_layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in keras_layer.get_weights()])
    gated = make_layer(case, keras_layer=False)
    gated.build(shape)
    gated.set_weights(keras_layer.get_weights())

    keras_outputs, keras_gradients = _run_twice(keras_layer, case, data)
    gated_outputs, gated_gradients = _run_twice(gated, case, data)
    output_diff = _max_abs_diff(gated_outputs[:1], keras_outputs[:1])
    keras_is_wrong = False
    reference_diff = None
    if not (case.bidirectional or case.training):
        reference_diff, expected = _reference_diff(case, data, keras_layer.get_weights())
        keras_is_wrong = (
            output_diff > OUTPUT_ATOL
            and reference_diff <= float64_atol()
            and _max_abs_diff(keras_outputs[:1], expected[:1]) > float64_atol()
        )
    return CheckResult(
        case=case,
        outputs=None if keras_is_wrong else output_diff,
        states=None if case.bidirectional else _max_abs_diff(gated_outputs[1:], keras_outputs[1:]),
        gradients=None if keras_is_wrong else _max_rel_diff(gated_gradients, keras_gradients),
        reference=reference_diff,
        keras_deviation=output_diff if keras_is_wrong else None,
    )


def _reference_diff(case: CheckCase, data: _Inputs, weights: list[np.ndarray]) -> tuple[float, list[np.ndarray]]:
    """Return the max abs difference between a float64 copy of the gated layer and the numpy reference, and the reference's outputs (the output, then the states)."""
    shape = (case.n_batch, case.n_steps, case.n_features)
    kwargs = _call_kwargs(case, data)
    with float64_scope():
        layer64 = make_layer(case, keras_layer=False, dtype="float64")
        layer64.build(shape)
        layer64.set_weights([w.astype(np.float64) for w in weights])
        if case.stateful:
            layer64(data.first.astype(np.float64), **kwargs)
        result = layer64(data.second.astype(np.float64), **kwargs)
        ours = [keras.ops.convert_to_numpy(r) for r in result]
    expected = _reference_run(case, data, weights)
    last = expected.outputs[:, -1]
    theirs = [expected.outputs if case.return_sequences else last, *expected.states]
    return _max_abs_diff(ours, theirs), theirs


def _reference_run(case: CheckCase, data: _Inputs, weights: list[np.ndarray]) -> reference.ReferenceResult:
    """Run the numpy reference on the case's (second) batch, after the first when stateful."""
    options = {"mask": data.mask, "go_backwards": case.go_backwards, "zero_output_for_mask": case.zero_output_for_mask}
    if case.kind == "gru":
        bias = weights[2] if len(weights) > 2 else None

        def run(x: np.ndarray, state: Any) -> reference.ReferenceResult:
            return reference.run_gru(x, weights[0], weights[1], bias, case.reset_after, state, **options)

    else:
        bias, peephole = weights[2], weights[3:] if case.kind == "peephole_lstm" else None

        def run(x: np.ndarray, state: Any) -> reference.ReferenceResult:
            return reference.run_lstm(x, weights[0], weights[1], bias, peephole, state, **options)

    state = data.initial_state
    if case.stateful:
        state = run(data.first, state).states
    return run(data.second, state)


def _run_peephole_case(case: CheckCase, data: _Inputs, rng: np.random.Generator, shape: tuple[int, ...]) -> CheckResult:
    """Check the float64 peephole layer against the reference and its gradients by finite differences."""
    data64 = _Inputs(
        data.first.astype(np.float64),
        data.second.astype(np.float64),
        data.mask,
        None if data.initial_state is None else [s.astype(np.float64) for s in data.initial_state],
    )
    with float64_scope():
        layer64 = make_layer(case, keras_layer=False, dtype="float64")
        layer64.build(shape)
        weights = [rng.normal(scale=0.5, size=w.shape) for w in layer64.get_weights()]
        layer64.set_weights(weights)
        outputs, gradients = _run_twice(layer64, case, data64)
    expected = _reference_run(case, data64, weights)
    theirs = [expected.outputs if case.return_sequences else expected.outputs[:, -1], *expected.states]

    def reference_loss(x: np.ndarray, ws: list[np.ndarray]) -> float:
        result = _reference_run(case, dataclasses.replace(data64, second=x), ws)
        outs = [result.outputs if case.return_sequences else result.outputs[:, -1], *result.states]
        return float(sum(np.sum(o * np.cos(np.arange(o.size)).reshape(o.shape)) for o in outs))

    return CheckResult(
        case=case,
        outputs=None,
        states=None,
        gradients=_finite_difference_error(reference_loss, data64.second, weights, gradients, rng),
        reference=_max_abs_diff(outputs, theirs),
    )


def _finite_difference_error(
    loss: Any, x: np.ndarray, weights: list[np.ndarray], gradients: list[np.ndarray], rng: np.random.Generator
) -> float:
    """Largest relative error of analytic directional derivatives against central differences, one random direction per tensor.

    The five-point stencil (error of order ``epsilon ** 4``) allows a step of
    1e-4, so float64 cancellation costs about ``1e-16 * |loss| / 1e-4``; the
    two-point stencil's step of 1e-6 cost a hundred times that, enough to push
    a directional derivative near 1e-4 past a relative tolerance of 1e-6.
    """
    epsilon = 1e-4
    tensors = [x, *weights]
    errors = []
    for index, (tensor, gradient) in enumerate(zip(tensors, gradients)):
        direction = rng.normal(size=tensor.shape)

        def shifted(sign: float) -> float:
            moved = [t + sign * epsilon * direction if k == index else t for k, t in enumerate(tensors)]
            return loss(moved[0], moved[1:])

        numeric = (8 * (shifted(1.0) - shifted(-1.0)) - (shifted(2.0) - shifted(-2.0))) / (12 * epsilon)
        analytic = float(np.sum(gradient * direction))
        errors.append(abs(numeric - analytic) / max(abs(analytic), 1e-8))
    return max(errors)
