"""What the gated cells and layers share: argument checks, weights, dropout, the loop and the trace.

A cell (:class:`GatedCell`) does one time step and owns its weights; a layer
(:class:`GatedRNN`) is a ``keras.layers.RNN`` over its cell, so looping,
masking, state, ``go_backwards`` and ``stateful`` are Keras's own code. Only
``keras.ops`` is used, so the cells run on every Keras backend.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import keras
import numpy as np
from keras import activations, constraints, initializers, ops, regularizers

# RNN prepares and resets dropout masks only for cells that are instances of
# this mixin, and Keras does not export it; the private import keeps the mask
# semantics (one mask per batch, reused at every time step) identical.
try:
    from keras.src.backend import rnn as backend_rnn
    from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell
except ImportError as error:  # pragma: no cover - only with a Keras outside the tested range
    raise ImportError(
        f"forecaster.cells needs keras.src.backend.rnn and keras.src.layers.rnn.dropout_rnn_cell.DropoutRNNCell, "
        f"which Keras {keras.__version__} does not have ({error}); install the tested range: pip install 'keras>=3.5,<3.16'"
    ) from None


def check_units(units: Any) -> int:
    """Return ``units`` if it is a positive integer.

    Raises:
        ValueError: naming ``units`` and the value received.
    """
    if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
        raise ValueError(f"Argument `units` must be a positive integer, received units={units!r}")
    return int(units)


def check_rate(name: str, rate: Any) -> float:
    """Return a dropout ``rate`` if it is a number in ``[0, 1)``.

    Raises:
        ValueError: naming the argument and the value received.
    """
    if isinstance(rate, bool) or not isinstance(rate, (int, float, np.floating)) or not 0.0 <= rate < 1.0:
        raise ValueError(f"Argument `{name}` must be a float in [0, 1), received {name}={rate!r}")
    return float(rate)


def check_flag(name: str, value: Any) -> bool:
    """Return ``value`` if it is a bool.

    Raises:
        ValueError: naming the argument and the value received.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"Argument `{name}` must be True or False, received {name}={value!r}")
    return bool(value)


def resolve(module: Any, name: str, identifier: Any) -> Any:
    """Return ``module.get(identifier)`` for a Keras activation, initializer, regularizer or constraint.

    Raises:
        ValueError: naming the argument when Keras cannot interpret ``identifier``.
    """
    try:
        return module.get(identifier)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"Argument `{name}` is not a valid {module.__name__.split('.')[-1][:-1]}: {exc}") from None


def add_bias(tensor: Any, bias: Any) -> Any:
    """Return ``tensor + bias``, or ``tensor`` when ``bias`` is ``None`` (``use_bias=False``)."""
    return tensor if bias is None else ops.add(tensor, bias)


def gate_columns(tensor: Any, n_gates: int) -> list[Any]:
    """Slice ``tensor`` into ``n_gates`` equal column blocks (last axis); ``None`` gives ``n_gates`` ``None``s.

    Slicing rather than ``ops.split`` where Keras slices keeps gradients bit-equal.
    """
    if tensor is None:
        return [None] * n_gates
    width = tensor.shape[-1] // n_gates
    return [tensor[..., k * width : (k + 1) * width] for k in range(n_gates)]


class GatedCell(keras.layers.Layer, DropoutRNNCell):
    """Base of the hand-written cells: Keras's arguments, weight layout and dropout semantics.

    A subclass sets ``n_gates`` (the kernel is ``(features, n_gates * units)``
    in Keras's gate order), ``state_names`` (the fields of its step result that
    are carried as state, in Keras's state order) and implements
    :meth:`step_gates`.

    Args:
        units: positive int, size of the hidden state.
        activation: activation of the candidate and the output; default ``"tanh"``.
        recurrent_activation: activation of the gates; default ``"sigmoid"``.
        use_bias: whether the cell has a bias; default ``True``.
        kernel_initializer: initializer of ``kernel`` ``(features, n_gates * units)``;
            default ``"glorot_uniform"``.
        recurrent_initializer: initializer of ``recurrent_kernel``
            ``(units, n_gates * units)``; default ``"orthogonal"``.
        bias_initializer: initializer of ``bias``; default ``"zeros"``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: weight
            regularizers; default ``None``.
        kernel_constraint, recurrent_constraint, bias_constraint: weight
            constraints; default ``None``.
        dropout: fraction in ``[0, 1)`` of input features dropped in training;
            default 0.
        recurrent_dropout: fraction in ``[0, 1)`` of the previous hidden state
            dropped in training; default 0. When positive, each gate gets its
            own masks, as in Keras (its ``implementation=1``).
        seed: int seed of the dropout masks; default ``None``.
        **kwargs: base layer arguments (``name``, ``dtype``, ``trainable``).

    Raises:
        ValueError: naming the argument, for a non-positive ``units``, a rate
            outside ``[0, 1)``, a non-bool flag or an unknown activation,
            initializer, regularizer or constraint.
    """

    n_gates: int
    state_names: tuple[str, ...]

    def __init__(
        self,
        units: int,
        activation: Any = "tanh",
        recurrent_activation: Any = "sigmoid",
        use_bias: bool = True,
        kernel_initializer: Any = "glorot_uniform",
        recurrent_initializer: Any = "orthogonal",
        bias_initializer: Any = "zeros",
        kernel_regularizer: Any = None,
        recurrent_regularizer: Any = None,
        bias_regularizer: Any = None,
        kernel_constraint: Any = None,
        recurrent_constraint: Any = None,
        bias_constraint: Any = None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        **kwargs: Any,
    ) -> None:
        units = check_units(units)
        super().__init__(**kwargs)
        self.units = units
        self.activation = resolve(activations, "activation", activation)
        self.recurrent_activation = resolve(activations, "recurrent_activation", recurrent_activation)
        self.use_bias = check_flag("use_bias", use_bias)
        self.kernel_initializer = resolve(initializers, "kernel_initializer", kernel_initializer)
        self.recurrent_initializer = resolve(initializers, "recurrent_initializer", recurrent_initializer)
        self.bias_initializer = resolve(initializers, "bias_initializer", bias_initializer)
        self.kernel_regularizer = resolve(regularizers, "kernel_regularizer", kernel_regularizer)
        self.recurrent_regularizer = resolve(regularizers, "recurrent_regularizer", recurrent_regularizer)
        self.bias_regularizer = resolve(regularizers, "bias_regularizer", bias_regularizer)
        self.kernel_constraint = resolve(constraints, "kernel_constraint", kernel_constraint)
        self.recurrent_constraint = resolve(constraints, "recurrent_constraint", recurrent_constraint)
        self.bias_constraint = resolve(constraints, "bias_constraint", bias_constraint)
        self.dropout = check_rate("dropout", dropout)
        self.recurrent_dropout = check_rate("recurrent_dropout", recurrent_dropout)
        self.per_gate_dropout = self.recurrent_dropout > 0.0
        if self.per_gate_dropout:
            self.dropout_mask_count = self.n_gates
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)
        self.state_size = [units] * len(self.state_names) if len(self.state_names) > 1 else units
        self.output_size = units

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Create ``kernel`` ``(features, n_gates * units)`` and ``recurrent_kernel`` ``(units, n_gates * units)``.

        Subclasses add their bias (and any extra weights) after calling this,
        so ``get_weights()`` lists weights in Keras's order.

        Args:
            input_shape: ``(batch, features)`` of one time step.
        """
        self.kernel = self.add_weight(
            shape=(input_shape[-1], self.n_gates * self.units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.n_gates * self.units),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )

    def add_bias_weight(self, shape: tuple[int, ...], initializer: Any) -> None:
        """Create ``bias`` of ``shape`` when ``use_bias``, else set it to ``None``."""
        self.bias = (
            self.add_weight(
                shape=shape,
                name="bias",
                initializer=initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
            if self.use_bias
            else None
        )

    def dropped_operands(self, inputs: Any, h_tm1: Any, training: bool) -> tuple[Any, Any]:
        """Return the inputs and previous hidden state with this batch's dropout masks applied.

        Args:
            inputs: ``(batch, features)``.
            h_tm1: ``(batch, units)``.
            training: apply the masks only when true.

        Returns:
            ``(x, h)``: two tensors; with ``recurrent_dropout > 0`` two lists
            with one tensor per gate, as Keras's ``implementation=1``.
        """
        input_mask = self.get_dropout_mask(inputs) if training and self.dropout > 0 else None
        recurrent_mask = self.get_recurrent_dropout_mask(h_tm1) if training and self.recurrent_dropout > 0 else None
        return self._apply_mask(inputs, input_mask), self._apply_mask(h_tm1, recurrent_mask)

    def _apply_mask(self, tensor: Any, mask: Any) -> Any:
        if not self.per_gate_dropout:
            return tensor if mask is None else tensor * mask
        return [tensor] * self.n_gates if mask is None else [tensor * gate_mask for gate_mask in mask]

    def step_gates(self, inputs: Any, states: list[Any], training: bool = False) -> NamedTuple:
        """Compute one time step and return every gate, named.

        Args:
            inputs: ``(batch, features)``.
            states: previous states, each ``(batch, units)``, in ``state_names`` order.
            training: whether dropout masks apply.

        Returns:
            A named tuple of ``(batch, units)`` tensors whose fields include
            ``state_names`` and ``h``.
        """
        raise NotImplementedError

    def call(self, inputs: Any, states: list[Any], training: bool = False) -> tuple[Any, list[Any]]:
        """Run one time step.

        Args:
            inputs: ``(batch, features)``.
            states: previous states, each ``(batch, units)``.
            training: whether dropout masks apply.

        Returns:
            ``(h, new_states)``: the output ``(batch, units)`` and the states.
        """
        gates = self.step_gates(inputs, states, training=training)
        return gates.h, [getattr(gates, name) for name in self.state_names]

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments (serialised) plus the base layer's."""
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "recurrent_activation": activations.serialize(self.recurrent_activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers.serialize(self.recurrent_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(self.recurrent_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


_BASE_LAYER_KEYS = ("name", "trainable", "dtype")


class GatedRNN(keras.layers.RNN):
    """Base of the gated layers: a ``keras.layers.RNN`` over a :class:`GatedCell`.

    A subclass sets ``cell_class`` (its cell) and ``keras_class`` (the Keras
    layer it mirrors, for :meth:`from_keras`).

    Args:
        units: positive int, size of the hidden state.
        return_sequences: return the output at every step ``(batch, time, units)``
            instead of the last ``(batch, units)``; default ``False``.
        return_state: also return the final states; default ``False``.
        go_backwards: process the sequence in reverse and return the reversed
            sequence; default ``False``.
        stateful: carry the final states of batch ``i`` into batch ``i + 1``
            (needs a static batch size); default ``False``.
        unroll: unroll the loop (fixed time length only); default ``False``.
        zero_output_for_mask: masked steps output zeros instead of the previous
            output; default ``False`` (``Bidirectional`` sets it to
            ``return_sequences``).
        activity_regularizer: regularizer of the output; default ``None``.
        name, dtype, trainable: base layer arguments.
        **cell_kwargs: the cell's arguments (see the cell class).

    Raises:
        ValueError: naming the argument, for an invalid argument.
    """

    cell_class: type[GatedCell]
    keras_class: type[keras.layers.RNN]

    def __init__(
        self,
        units: int,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        activity_regularizer: Any = None,
        name: str | None = None,
        dtype: Any = None,
        trainable: bool = True,
        **cell_kwargs: Any,
    ) -> None:
        flags = {
            "return_sequences": return_sequences,
            "return_state": return_state,
            "go_backwards": go_backwards,
            "stateful": stateful,
            "unroll": unroll,
            "zero_output_for_mask": zero_output_for_mask,
        }
        flags = {key: check_flag(key, value) for key, value in flags.items()}
        cell = self.cell_class(units, dtype=dtype, trainable=trainable, name="cell", **cell_kwargs)
        super().__init__(
            cell,
            activity_regularizer=resolve(regularizers, "activity_regularizer", activity_regularizer),
            name=name,
            dtype=dtype,
            trainable=trainable,
            **flags,
        )
        self.input_spec = keras.layers.InputSpec(ndim=3)

    @property
    def units(self) -> int:
        """Size of the hidden state."""
        return self.cell.units

    def call(self, sequences: Any, initial_state: Any = None, mask: Any = None, training: bool = False) -> Any:
        """Run the cell over ``sequences`` ``(batch, time, features)``; see ``keras.layers.RNN``."""
        return super().call(sequences, initial_state=initial_state, mask=mask, training=training)

    def inner_loop(self, sequences: Any, initial_state: list[Any], mask: Any, training: bool = False) -> tuple:
        """Loop the cell over time; masked outputs are zeroed here, in processing order.

        A masked step outputs the previous output, or zeros with
        ``zero_output_for_mask``; before a row's first valid step there is no
        previous output and it outputs zeros. Keras's backends disagree on
        both points: its unrolled TensorFlow loop zeroes masked outputs in
        input order while the outputs are in processing order (with
        ``unroll=True``, ``go_backwards=True`` and ``zero_output_for_mask=True``
        it zeroes the wrong steps), and its JAX loop outputs the initial state
        before the first valid step. The backend loop therefore always carries
        the previous output, and the zeroing (a selection, so exact) happens here.

        Args:
            sequences: ``(batch, time, features)``.
            initial_state: list of ``(batch, units)`` states.
            mask: ``(batch, time)`` booleans or ``None``.
            training: whether dropout masks apply.

        Returns:
            ``(last_output, outputs, states)`` as ``keras.layers.RNN`` expects.
        """
        if isinstance(mask, (list, tuple)):
            mask = mask[0]

        def step(inputs: Any, states: Any) -> tuple[Any, list[Any]]:
            return self.cell(inputs, list(states), training=training)

        last_output, outputs, states = backend_rnn(
            step,
            sequences,
            list(initial_state),
            go_backwards=self.go_backwards,
            mask=mask,
            unroll=self.unroll,
            input_length=sequences.shape[1],
            zero_output_for_mask=False,
            return_all_outputs=self.return_sequences,
        )
        if mask is not None:
            valid = ops.expand_dims(ops.cast(mask, "bool"), -1)
            if self.go_backwards:
                valid = ops.flip(valid, axis=1)
            keep = valid if self.zero_output_for_mask else ops.cumsum(ops.cast(valid, "int32"), axis=1) > 0
            last_output = ops.where(keep[:, -1], last_output, ops.zeros_like(last_output))
            if self.return_sequences:
                outputs = ops.where(keep, outputs, ops.zeros_like(outputs))
        return last_output, outputs, states

    def trace(self, inputs: Any, mask: Any = None, initial_state: Any = None) -> dict[str, np.ndarray]:
        """Return every gate and state at every step, in inference mode, without touching the layer's states.

        Runs the cell's own step eagerly, one step at a time, with the trained
        weights; it is a diagnostic path, never used in training.

        Args:
            inputs: ``(batch, time, features)`` array.
            mask: ``(batch, time)`` booleans, ``True`` where a step is valid;
                default ``None`` (all valid).
            initial_state: list of ``(batch, units)`` states; default zeros, or
                the current states of a stateful layer.

        Returns:
            Dict of float numpy arrays ``(batch, time, units)`` named as the
            cell's step fields (``f, i, g, o, c, h`` for LSTM; ``z, r,
            candidate, h`` for GRU), with time in processing order (reversed
            when ``go_backwards``), as the layer's ``return_sequences`` output.
            At masked steps gates are NaN and states repeat the previous step.
        """
        x = ops.convert_to_tensor(inputs, dtype=self.cell.compute_dtype)
        if not self.built:
            self.build(tuple(x.shape))
        n_batch, n_steps = x.shape[0], x.shape[1]
        valid = np.ones((n_batch, n_steps), bool) if mask is None else np.asarray(ops.convert_to_numpy(mask), bool)
        if initial_state is not None:
            states = [ops.convert_to_tensor(s, dtype=self.cell.compute_dtype) for s in initial_state]
        elif self.stateful:
            states = [ops.convert_to_tensor(s) for s in self.states]
        else:
            states = self.get_initial_state(n_batch)
        steps = range(n_steps - 1, -1, -1) if self.go_backwards else range(n_steps)
        records: dict[str, list[np.ndarray]] = {}
        for t in steps:
            gates = self.cell.step_gates(x[:, t], states, training=False)
            keep = ops.convert_to_tensor(valid[:, t, None])
            states = [ops.where(keep, getattr(gates, name), old) for name, old in zip(self.cell.state_names, states)]
            carried = dict(zip(self.cell.state_names, states))
            for name in gates._fields:
                value = ops.convert_to_numpy(carried.get(name, getattr(gates, name)))
                if name not in carried:
                    value = np.where(valid[:, t, None], value, np.nan)
                records.setdefault(name, []).append(value)
        return {name: np.stack(values, axis=1) for name, values in records.items()}

    @classmethod
    def from_keras(cls, layer: keras.layers.RNN) -> "GatedRNN":
        """Return a layer with the configuration and weights of a built Keras layer.

        Args:
            layer: a built ``keras_class`` instance (``keras.layers.LSTM`` for
                :class:`GatedLSTM`, ``keras.layers.GRU`` for :class:`GatedGRU`).

        Returns:
            A built layer computing the same function, with a fresh name.

        Raises:
            TypeError: when ``layer`` is not a ``keras_class``.
            ValueError: when ``layer`` is not built (it has no weights yet).
        """
        if not isinstance(layer, cls.keras_class):
            raise TypeError(
                f"{cls.__name__}.from_keras expects a keras.layers.{cls.keras_class.__name__}, "
                f"received {type(layer).__name__}"
            )
        if not layer.built:
            raise ValueError(
                f"{cls.__name__}.from_keras: layer {layer.name!r} is not built; call it on data first "
                "so it has weights to copy"
            )
        config = layer.get_config()
        for key in ("name", "use_cudnn", "implementation"):
            config.pop(key, None)
        mine = cls.from_config(config)
        n_batch = layer.states[0].shape[0] if layer.stateful and layer.states is not None else None
        mine.build((n_batch, None, layer.cell.kernel.shape[0]))
        mine.set_weights(layer.get_weights())
        return mine

    def get_config(self) -> dict[str, Any]:
        """Return the layer and cell arguments in one flat dict, like ``keras.layers.LSTM``."""
        config = super().get_config()
        del config["cell"]
        cell_config = {k: v for k, v in self.cell.get_config().items() if k not in _BASE_LAYER_KEYS}
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "GatedRNN":
        """Rebuild a layer from :meth:`get_config` output."""
        return cls(**config)
