"""Textbook claims about gated recurrent cells, measured: tasks, measurements and verdict rules.

Four claims, each measured on small models and judged by a stated rule:

* **vanishing gradients**: the norm of ``dh_T/dx_{T-k}`` falls with the lag
  ``k`` much faster in a ``SimpleRNN`` than in a GRU or an LSTM
  (:func:`gradient_norms_by_lag`, :func:`judge_vanishing_gradients`);
* **long-range memory**: gated cells recall an input many more steps back
  (:func:`make_recall_task`, :func:`train_recall`, :func:`judge_long_memory`);
* **GRU against LSTM**: "a GRU has a third fewer parameters", trains faster
  and forecasts as well (:func:`parameter_count`,
  :func:`judge_parameter_counts`, :func:`train_forecaster`,
  :func:`judge_gru_speed_accuracy`);
* **forget-gate bias 1** (Keras's ``unit_forget_bias``) helps on long-range
  tasks (:func:`judge_forget_bias`).

Every verdict comes from :func:`decide`: a claim is split into named checks,
each a comparison of measured numbers with a stated threshold; all true is
"holds", some "holds partly", none "does not hold here". Functions take plain
keyword arguments and arrays, so they are usable without a config file; the
layers are Keras's own (``forecaster.cells``' gated layers are bit-identical
to them, see ``forecaster check-cell``).
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any, Literal, Sequence

import keras
import numpy as np

from forecaster.cells.gradients import outputs_and_gradients

logger = logging.getLogger(__name__)

CellKind = Literal["simple_rnn", "gru", "lstm"]
CELL_KINDS: tuple[CellKind, ...] = ("simple_rnn", "gru", "lstm")
"""The three cells compared, in the order tables and figures show them."""

CELL_NAMES = {"simple_rnn": "SimpleRNN", "gru": "GRU", "lstm": "LSTM"}
"""Display name of each cell kind."""

HOLDS = "holds"
HOLDS_PARTLY = "holds partly"
DOES_NOT_HOLD = "does not hold here"


@dataclass(frozen=True)
class Claim:
    """One claim, the rule that judges it, the checks measured and the verdict.

    Attributes:
        key: short identifier (``vanishing_gradients``, ...).
        statement: the claim as textbooks state it.
        rule: how the checks are decided, with their thresholds.
        checks: each check's description (with its numbers) and whether it passed.
        verdict: :data:`HOLDS`, :data:`HOLDS_PARTLY` or :data:`DOES_NOT_HOLD`, from :func:`decide`.
    """

    key: str
    statement: str
    rule: str
    checks: dict[str, bool]
    verdict: str

    def as_row(self) -> dict[str, str]:
        """Return the claim as one table row: claim, verdict, and the checks with their outcomes."""
        measured = "; ".join(f"{name} ({'yes' if passed else 'no'})" for name, passed in self.checks.items())
        return {"claim": self.statement, "verdict": self.verdict, "measured": measured}


def decide(checks: Sequence[bool]) -> str:
    """Map a claim's checks to its verdict.

    Args:
        checks: one boolean per check of the claim (at least one).

    Returns:
        :data:`HOLDS` when every check passes, :data:`HOLDS_PARTLY` when some
        do, :data:`DOES_NOT_HOLD` when none does.

    Raises:
        ValueError: when ``checks`` is empty.
    """
    if len(checks) == 0:
        raise ValueError("Argument `checks` must hold at least one check, received none")
    if all(checks):
        return HOLDS
    return HOLDS_PARTLY if any(checks) else DOES_NOT_HOLD


def make_recurrent_layer(
    kind: CellKind, units: int, unit_forget_bias: bool = True, reset_after: bool = True
) -> keras.layers.Layer:
    """Return a Keras recurrent layer returning its last output ``(batch, units)``.

    Args:
        kind: ``simple_rnn``, ``gru`` or ``lstm``.
        units: hidden units.
        unit_forget_bias: LSTM only: start the forget-gate bias at 1 (Keras's
            default) instead of 0. Default ``True``.
        reset_after: GRU only: apply the reset gate after the recurrent
            product, with a separate recurrent bias (Keras's default). Default ``True``.

    Returns:
        An unbuilt ``keras.layers.SimpleRNN``, ``GRU`` or ``LSTM``.

    Raises:
        ValueError: for an unknown ``kind``.
    """
    if kind == "simple_rnn":
        return keras.layers.SimpleRNN(units)
    if kind == "gru":
        return keras.layers.GRU(units, reset_after=reset_after)
    if kind == "lstm":
        return keras.layers.LSTM(units, unit_forget_bias=unit_forget_bias)
    raise ValueError(f"Argument `kind` must be one of {CELL_KINDS}, received kind={kind!r}")


def parameter_count(kind: CellKind, n_features: int, units: int, reset_after: bool = True) -> int:
    """Return the closed-form number of weights of one recurrent layer.

    With ``U`` units and ``F`` input features, one block ``U (F + U) + U``
    (kernel, recurrent kernel, bias) per gate: SimpleRNN 1 block, LSTM 4
    (i, f, c, o), GRU 3 (z, r, h) plus ``3U`` with ``reset_after=True``,
    whose recurrent bias is separate from the input bias.

    Args:
        kind: ``simple_rnn``, ``gru`` or ``lstm``.
        n_features: input features ``F``.
        units: hidden units ``U``.
        reset_after: GRU only, as in ``keras.layers.GRU``. Default ``True``.

    Returns:
        The number of weights.

    Raises:
        ValueError: for an unknown ``kind``.
    """
    block = units * (n_features + units) + units
    if kind == "simple_rnn":
        return block
    if kind == "lstm":
        return 4 * block
    if kind == "gru":
        return 3 * block + (3 * units if reset_after else 0)
    raise ValueError(f"Argument `kind` must be one of {CELL_KINDS}, received kind={kind!r}")


def keras_parameter_count(kind: CellKind, n_features: int, units: int, reset_after: bool = True) -> int:
    """Return ``count_params()`` of the Keras layer built for ``n_features`` inputs.

    Args:
        kind: ``simple_rnn``, ``gru`` or ``lstm``.
        n_features: input features.
        units: hidden units.
        reset_after: GRU only. Default ``True``.

    Returns:
        The number of weights Keras creates.
    """
    layer = make_recurrent_layer(kind, units, reset_after=reset_after)
    layer.build((None, None, n_features))
    return int(layer.count_params())


def gradient_norms_by_lag(layer: keras.layers.Layer, inputs: np.ndarray) -> np.ndarray:
    """Return the mean Frobenius norm of the Jacobian ``dh_T/dx_{T-k}`` for every lag ``k``.

    The whole Jacobian comes from one backward pass: each sequence is repeated
    once per unit, and copy ``u`` differentiates only unit ``u`` of the last
    output, so its input gradient is row ``u`` of the Jacobian.

    Args:
        layer: a recurrent layer returning its last output ``(batch, units)``;
            built here for ``inputs`` if it is not yet.
        inputs: ``(batch, time, features)`` array.

    Returns:
        ``(time,)`` float64 array: entry ``k`` is the mean over the batch of
        ``||dh_T/dx_{T-k}||_F``; entry 0 is the last step's own input.
    """
    n_batch, n_steps, n_features = inputs.shape
    if not layer.built:
        layer.build((None, n_steps, n_features))
    units = int(layer.units)
    repeated = np.repeat(np.asarray(inputs, np.float32), units, axis=0)
    selector = np.tile(np.eye(units, dtype=np.float32), (n_batch, 1))
    _, grads = outputs_and_gradients(layer, repeated, lambda outputs: keras.ops.sum(outputs[0] * selector))
    jacobians = grads[0].astype(np.float64).reshape(n_batch, units, n_steps, n_features)
    norms = np.sqrt(np.sum(jacobians**2, axis=(1, 3))).mean(axis=0)
    return norms[::-1].copy()


def make_recall_task(n_sequences: int, lag: int, n_symbols: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return sequences whose answer is the input ``lag`` steps before the last one.

    Each sequence has ``lag + 1`` steps of one-hot symbols drawn uniformly
    from ``n_symbols``, plus a marker feature that is 1 on the first step
    only; the label is the first step's symbol, so the network has to carry
    it past ``lag`` distractors. Chance accuracy is ``1 / n_symbols``.

    Args:
        n_sequences: sequences to draw.
        lag: steps between the remembered input and the last input (>= 1).
        n_symbols: alphabet size (>= 2).
        seed: seed of the numpy generator.

    Returns:
        ``(inputs, labels)``: float32 ``(n_sequences, lag + 1, n_symbols + 1)``
        and int ``(n_sequences,)``.

    Raises:
        ValueError: when ``lag < 1`` or ``n_symbols < 2``.
    """
    if lag < 1:
        raise ValueError(f"Argument `lag` must be at least 1, received lag={lag}")
    if n_symbols < 2:
        raise ValueError(f"Argument `n_symbols` must be at least 2, received n_symbols={n_symbols}")
    symbols = np.random.default_rng(seed).integers(n_symbols, size=(n_sequences, lag + 1))
    inputs = np.zeros((n_sequences, lag + 1, n_symbols + 1), np.float32)
    np.put_along_axis(inputs, symbols[:, :, None], 1.0, axis=2)
    inputs[:, 0, n_symbols] = 1.0
    return inputs, symbols[:, 0].copy()


def train_recall(
    kind: CellKind,
    lag: int,
    *,
    units: int,
    n_symbols: int,
    n_train: int,
    n_test: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    unit_forget_bias: bool = True,
) -> np.ndarray:
    """Train one recurrent classifier on :func:`make_recall_task` and score it on held-out sequences.

    The model is the recurrent layer and a ``Dense`` softmax over the
    symbols, trained with Adam on cross-entropy for a fixed number of epochs
    (no early stopping, so every cell gets the same budget). Keras is seeded
    with ``seed`` before the model is built.

    Args:
        kind: ``simple_rnn``, ``gru`` or ``lstm``.
        lag: the task's lag.
        units: hidden units.
        n_symbols: alphabet size.
        n_train: training sequences.
        n_test: held-out sequences (drawn with the training ones, never trained on).
        epochs: training epochs.
        batch_size: sequences per batch.
        learning_rate: Adam learning rate.
        seed: seed of the data and of Keras.
        unit_forget_bias: LSTM only, see :func:`make_recurrent_layer`. Default ``True``.

    Returns:
        ``(epochs,)`` held-out accuracy after each epoch.
    """
    inputs, labels = make_recall_task(n_train + n_test, lag, n_symbols, seed)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((lag + 1, n_symbols + 1)),
            make_recurrent_layer(kind, units, unit_forget_bias=unit_forget_bias),
            keras.layers.Dense(n_symbols),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(
        inputs[:n_train],
        labels[:n_train],
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(inputs[n_train:], labels[n_train:]),
        verbose=0,
    )
    return np.asarray(history.history["val_accuracy"], np.float64)


@dataclass(frozen=True)
class RecallCurves:
    """One cell trained on the recall task at every lag, once per seed.

    Attributes:
        kind: the cell.
        unit_forget_bias: whether an LSTM's forget bias started at 1.
        lags: the task's lags.
        curves: ``(lags, seeds, epochs)`` held-out accuracy after each epoch.
    """

    kind: CellKind
    unit_forget_bias: bool
    lags: list[int]
    curves: np.ndarray = field(repr=False)

    @property
    def label(self) -> str:
        """Display name: the cell, and for an LSTM its forget bias (``LSTM, forget bias 1``)."""
        return CELL_NAMES[self.kind] + (f", forget bias {int(self.unit_forget_bias)}" if self.kind == "lstm" else "")

    @property
    def accuracy(self) -> np.ndarray:
        """``(lags,)`` final held-out accuracy, averaged over the seeds."""
        return self.curves[:, :, -1].mean(axis=1)

    @property
    def mean_over_epochs(self) -> np.ndarray:
        """``(lags,)`` held-out accuracy averaged over the epochs and seeds (the area under the learning curve)."""
        return self.curves.mean(axis=(1, 2))


def measure_recall(
    kind: CellKind, lags: Sequence[int], *, seeds: Sequence[int], unit_forget_bias: bool = True, **training: Any
) -> RecallCurves:
    """Train ``kind`` on the recall task at every lag with every seed (see :func:`train_recall`).

    Args:
        kind: ``simple_rnn``, ``gru`` or ``lstm``.
        lags: lags of the recall task.
        seeds: one model per seed and lag.
        unit_forget_bias: LSTM only. Default ``True``.
        **training: the keyword arguments of :func:`train_recall` other than
            ``kind``, ``lag``, ``seed`` and ``unit_forget_bias``.

    Returns:
        The :class:`RecallCurves`.
    """
    curves = np.stack(
        [
            np.stack(
                [train_recall(kind, lag, seed=seed, unit_forget_bias=unit_forget_bias, **training) for seed in seeds]
            )
            for lag in lags
        ]
    )
    result = RecallCurves(kind, unit_forget_bias, list(lags), curves)
    logger.info(
        "recall: %s final accuracy %s at lags %s", result.label, np.round(result.accuracy, 3).tolist(), list(lags)
    )
    return result


@dataclass(frozen=True)
class ForecastWindows:
    """(lookback, horizon) windows of one standardised series for the forecasting comparison.

    Attributes:
        train_inputs: ``(n_train, lookback, features)`` float32.
        train_targets: ``(n_train, horizon)`` float32, the target column.
        test_inputs: ``(n_test, lookback, features)`` float32.
        test_targets: ``(n_test, horizon)`` float32.
    """

    train_inputs: np.ndarray
    train_targets: np.ndarray
    test_inputs: np.ndarray
    test_targets: np.ndarray


def make_forecast_windows(
    values: np.ndarray,
    target_index: int,
    *,
    lookback: int,
    horizon: int,
    train_fraction: float,
    max_train_windows: int | None,
    seed: int,
) -> ForecastWindows:
    """Cut a multivariate series into training and test windows forecasting one column.

    Every column is standardised with the mean and standard deviation of the
    first ``train_fraction`` of the rows; a window is a training window when
    all its targets lie in those rows and a test window when all its targets
    lie after them (its inputs may reach back into the training rows). Each
    window is then taken relative to its last input step: inputs minus their
    last row, targets minus the last observed target value (SegRNN's
    normalisation), so a model learns changes, the level shift between
    training and test rows does not matter, and the naive last-value
    forecast is zero (:func:`naive_mse`).

    Args:
        values: ``(rows, features)`` finite numbers.
        target_index: column forecast.
        lookback: input steps per window.
        horizon: forecast steps per window.
        train_fraction: share of the rows used for training, in (0, 1).
        max_train_windows: keep at most this many training windows (a random
            subset drawn with ``seed``, the same for every cell); ``None`` keeps all.
        seed: seed of the subset.

    Returns:
        The :class:`ForecastWindows`.

    Raises:
        ValueError: when either part holds no complete window.
    """
    n_rows = len(values)
    n_train_rows = int(n_rows * train_fraction)
    mean = values[:n_train_rows].mean(axis=0)
    scale = values[:n_train_rows].std(axis=0)
    scaled = ((values - mean) / np.where(scale > 0, scale, 1.0)).astype(np.float32)
    inputs = np.lib.stride_tricks.sliding_window_view(scaled[: n_rows - horizon], lookback, axis=0).transpose(0, 2, 1)
    targets = np.lib.stride_tricks.sliding_window_view(scaled[lookback:, target_index], horizon)
    first_target = np.arange(len(inputs)) + lookback
    train = np.flatnonzero(first_target + horizon <= n_train_rows)
    test = np.flatnonzero(first_target >= n_train_rows)
    if len(train) == 0 or len(test) == 0:
        raise ValueError(
            f"{n_rows} rows with train_fraction={train_fraction} leave {len(train)} training and {len(test)} test "
            f"windows of lookback {lookback} + horizon {horizon}; use more rows or shorter windows"
        )
    if max_train_windows is not None and len(train) > max_train_windows:
        train = np.sort(np.random.default_rng(seed).choice(train, max_train_windows, replace=False))
    train_last, test_last = inputs[train, -1, :], inputs[test, -1, :]
    return ForecastWindows(
        inputs[train] - train_last[:, None, :],
        targets[train] - train_last[:, target_index, None],
        inputs[test] - test_last[:, None, :],
        targets[test] - test_last[:, target_index, None],
    )


@dataclass(frozen=True)
class ForecastResult:
    """A cell trained on the forecasting windows, with gradient norms before and after training.

    Attributes:
        kind: the cell.
        model: the trained model (recurrent layer, then a ``Dense`` head).
        n_params: weights of the recurrent layer (Keras ``count_params()``).
        test_mse: mean squared error on the test windows (standardised scale).
        gradient_norms_init: ``(lookback,)`` from :func:`gradient_norms_by_lag`, before training.
        gradient_norms_trained: the same after training.
    """

    kind: CellKind
    model: keras.Model = field(repr=False)
    n_params: int
    test_mse: float
    gradient_norms_init: np.ndarray = field(repr=False)
    gradient_norms_trained: np.ndarray = field(repr=False)


def train_forecaster(
    kind: CellKind,
    windows: ForecastWindows,
    *,
    units: int,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    n_probe: int,
) -> ForecastResult:
    """Train a recurrent layer with a linear head to forecast every horizon step at once.

    Args:
        kind: ``simple_rnn``, ``gru`` or ``lstm``.
        windows: the data, from :func:`make_forecast_windows`.
        units: hidden units.
        epochs: training epochs (MSE loss, Adam; no early stopping).
        batch_size: windows per batch.
        learning_rate: Adam learning rate.
        seed: seeds Keras before the model is built.
        n_probe: test windows (the first ones) whose gradient norms are measured.

    Returns:
        The :class:`ForecastResult`.
    """
    _, lookback, n_features = windows.train_inputs.shape
    keras.utils.set_random_seed(seed)
    recurrent = make_recurrent_layer(kind, units)
    model = keras.Sequential(
        [keras.Input((lookback, n_features)), recurrent, keras.layers.Dense(windows.train_targets.shape[1])]
    )
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="mse")
    probe = windows.test_inputs[:n_probe]
    norms_init = gradient_norms_by_lag(recurrent, probe)
    model.fit(windows.train_inputs, windows.train_targets, batch_size=batch_size, epochs=epochs, verbose=0)
    predictions = model.predict(windows.test_inputs, batch_size=1024, verbose=0)
    test_mse = float(np.mean((predictions - windows.test_targets) ** 2))
    logger.info("forecasting: %s test MSE %.4f", CELL_NAMES[kind], test_mse)
    return ForecastResult(
        kind, model, int(recurrent.count_params()), test_mse, norms_init, gradient_norms_by_lag(recurrent, probe)
    )


def time_epochs_in_alternation(
    models: dict[str, keras.Model], inputs: np.ndarray, targets: np.ndarray, *, batch_size: int, n_rounds: int
) -> dict[str, float]:
    """Return each compiled model's training time per epoch, timing single steps in alternation.

    Each round runs one training step (``train_on_batch``) of every model in
    turn on the same batch, so a change in machine load falls on all of them
    alike, which timing whole trainings one after the other does not. One
    untimed round first traces the step functions. The models train on, so
    time them after their other measurements.

    Args:
        models: ``{name: compiled model}``.
        inputs: ``(windows, time, features)`` training inputs; an epoch is
            ``ceil(windows / batch_size)`` steps.
        targets: the matching targets.
        batch_size: windows per step.
        n_rounds: timed rounds (>= 1).

    Returns:
        ``{name: median step time x steps per epoch}`` in seconds.
    """
    batch = inputs[:batch_size], targets[:batch_size]
    seconds: dict[str, list[float]] = {name: [] for name in models}
    for round_ in range(n_rounds + 1):
        for name, model in models.items():
            start = time.perf_counter()
            model.train_on_batch(*batch)
            if round_ > 0:
                seconds[name].append(time.perf_counter() - start)
    steps_per_epoch = math.ceil(len(inputs) / batch_size)
    return {name: float(np.median(times)) * steps_per_epoch for name, times in seconds.items()}


def naive_mse(windows: ForecastWindows) -> float:
    """Return the test MSE of repeating each window's last observed target value over the horizon.

    Args:
        windows: the data, from :func:`make_forecast_windows` (targets are
            changes from that value, so the naive forecast is zero).

    Returns:
        The mean squared error on the standardised scale.
    """
    return float(np.mean(windows.test_targets**2))


def retained_gradient(norms: np.ndarray) -> float:
    """Return the gradient norm at the longest lag relative to lag 0 (``norms[-1] / norms[0]``).

    Args:
        norms: ``(lags,)`` from :func:`gradient_norms_by_lag`.

    Returns:
        The ratio; 0.0 when the norm at lag 0 is 0.
    """
    return float(norms[-1] / norms[0]) if norms[0] > 0 else 0.0


def judge_vanishing_gradients(retained: dict[str, dict[str, float]], max_lag: int, factor: float = 10.0) -> Claim:
    """Judge "gradients vanish over long lags in a SimpleRNN, much less in a GRU or an LSTM".

    Args:
        retained: ``{state: {kind: retained gradient}}`` with states such as
            ``at init`` and ``trained`` and kinds ``simple_rnn``, ``gru``,
            ``lstm``; each value from :func:`retained_gradient`.
        max_lag: the lag the retained gradient is measured at (for the text).
        factor: how many times more a gated cell must retain. Default 10.

    Returns:
        The :class:`Claim`; one check per state and gated cell.
    """
    checks = {}
    for state, by_kind in retained.items():
        simple = by_kind["simple_rnn"]
        for kind in ("gru", "lstm"):
            checks[f"{state}: {CELL_NAMES[kind]} keeps {by_kind[kind]:.2g} vs SimpleRNN {simple:.2g}"] = (
                by_kind[kind] >= factor * simple
            )
    return Claim(
        "vanishing_gradients",
        "The gradient dh_T/dx_{T-k} vanishes with the lag k in a SimpleRNN; gates keep it alive in a GRU and an LSTM.",
        f"For each state (at init, trained) and each gated cell: the norm at lag {max_lag} relative to lag 0 is at "
        f"least {factor:g} times the SimpleRNN's. Holds if all checks pass, partly if some do.",
        checks,
        decide(list(checks.values())),
    )


def memory_span(lags: Sequence[int], accuracy: Sequence[float], threshold: float) -> int:
    """Return the longest lag up to which every accuracy reaches ``threshold`` (0 when the shortest does not).

    Args:
        lags: increasing lags.
        accuracy: accuracy at each lag.
        threshold: accuracy counted as remembering.

    Returns:
        The span in steps.
    """
    span = 0
    for lag, value in zip(lags, accuracy):
        if value < threshold:
            break
        span = lag
    return span


def judge_long_memory(lags: Sequence[int], accuracy: dict[str, Sequence[float]], threshold: float) -> Claim:
    """Judge "a GRU and an LSTM remember an input over many more steps than a SimpleRNN".

    Args:
        lags: increasing lags of the recall task.
        accuracy: ``{kind: accuracy at each lag}`` for ``simple_rnn``, ``gru`` and ``lstm``.
        threshold: accuracy counted as remembering (see :func:`memory_span`).

    Returns:
        The :class:`Claim`; one check per gated cell.
    """
    spans = {kind: memory_span(lags, accuracy[kind], threshold) for kind in CELL_KINDS}
    checks = {
        f"{CELL_NAMES[kind]} span {spans[kind]} vs SimpleRNN {spans['simple_rnn']} steps": spans[kind]
        > spans["simple_rnn"]
        for kind in ("gru", "lstm")
    }
    return Claim(
        "long_range_memory",
        "A GRU and an LSTM remember an input over many more steps than a SimpleRNN.",
        f"Memory span: the longest lag up to which held-out accuracy stays >= {threshold:g} (lags {list(lags)}). "
        "Holds if both gated cells span more lags than the SimpleRNN, partly if one does.",
        checks,
        decide(list(checks.values())),
    )


def judge_parameter_counts(
    gru_params: int, lstm_params: int, claimed_fewer: float = 1 / 3, tolerance: float = 0.05
) -> Claim:
    """Judge "a GRU has a third fewer parameters than an LSTM of the same size".

    Args:
        gru_params: weights of the GRU layer.
        lstm_params: weights of the LSTM layer with the same inputs and units.
        claimed_fewer: the claimed share fewer. Default 1/3.
        tolerance: how far the measured share may lie from the claimed one. Default 0.05.

    Returns:
        The :class:`Claim`; checks "fewer at all" and "within tolerance of the claim".
    """
    fewer = 1.0 - gru_params / lstm_params
    checks = {
        f"GRU has fewer ({gru_params} vs {lstm_params})": fewer > 0,
        f"{fewer:.1%} fewer, {abs(fewer - claimed_fewer) * 100:.1f} points from {claimed_fewer:.1%}": (
            abs(fewer - claimed_fewer) <= tolerance
        ),
    }
    return Claim(
        "gru_parameters",
        "A GRU has a third fewer parameters than an LSTM of the same width.",
        f"Share fewer = 1 - GRU/LSTM exact weight counts. Holds if it is within {tolerance * 100:g} percentage "
        f"points of {claimed_fewer:.1%}; partly if the GRU merely has fewer.",
        checks,
        decide(list(checks.values())),
    )


def judge_gru_speed_accuracy(
    seconds_per_epoch: dict[str, float], test_mse: dict[str, float], mse_tolerance: float = 0.1
) -> Claim:
    """Judge "a GRU trains faster than an LSTM and forecasts as well".

    Args:
        seconds_per_epoch: ``{kind: seconds}`` for ``gru`` and ``lstm``.
        test_mse: ``{kind: test MSE}`` for ``gru`` and ``lstm``.
        mse_tolerance: relative MSE difference counted as "as well". Default 0.1.

    Returns:
        The :class:`Claim`; checks "faster per epoch" and "MSE within tolerance (or better)".
    """
    gru_time, lstm_time = seconds_per_epoch["gru"], seconds_per_epoch["lstm"]
    gru_mse, lstm_mse = test_mse["gru"], test_mse["lstm"]
    checks = {
        f"GRU {gru_time:.2f} s/epoch vs LSTM {lstm_time:.2f}": gru_time < lstm_time,
        f"GRU test MSE {gru_mse:.4f} vs LSTM {lstm_mse:.4f}": gru_mse <= lstm_mse * (1 + mse_tolerance),
    }
    return Claim(
        "gru_speed_accuracy",
        "A GRU trains faster per epoch than an LSTM and forecasts about as well.",
        f"Same task, data, units, epochs and seed. Holds if the GRU's median epoch is shorter and its test MSE is "
        f"at most {mse_tolerance:.0%} above the LSTM's; partly if one of the two.",
        checks,
        decide(list(checks.values())),
    )


def judge_forget_bias(
    lags: Sequence[int],
    curves_bias_one: Sequence[Any],
    curves_bias_zero: Sequence[Any],
    margin: float = 0.05,
) -> Claim:
    """Judge "starting the LSTM forget-gate bias at 1 helps it learn long-range dependencies".

    A model is scored at each lag by its mean held-out accuracy over the
    epochs (the area under its learning curve), so learning sooner counts as
    well as learning at all. The checks are the longer half of the lags (at
    least one), where the bias should matter.

    Args:
        lags: increasing lags of the recall task.
        curves_bias_one: per lag, the held-out accuracies after each epoch
            with ``unit_forget_bias=True`` (of any shape, e.g. ``(seeds, epochs)``; averaged).
        curves_bias_zero: the same with the forget bias starting at 0.
        margin: gain in mean accuracy counted as helping. Default 0.05.

    Returns:
        The :class:`Claim`; one check per long lag.
    """
    checks = {}
    for k in range(len(lags) // 2, len(lags)):
        one, zero = float(np.mean(curves_bias_one[k])), float(np.mean(curves_bias_zero[k]))
        checks[f"lag {lags[k]}: mean accuracy {one:.2f} with bias 1 vs {zero:.2f} with 0"] = one >= zero + margin
    return Claim(
        "forget_bias",
        "Starting the LSTM forget-gate bias at 1 (Keras unit_forget_bias) helps it learn long-range dependencies.",
        f"On the longer half of the recall lags, the mean held-out accuracy over the epochs with bias 1 must exceed "
        f"bias 0's by at least {margin:g}. Holds at every such lag, partly at some.",
        checks,
        decide(list(checks.values())),
    )
