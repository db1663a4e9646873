"""The backend-specific steps of the cell checks: gradients of a layer call, and float64.

Keras 3 leaves two things the checks need to each backend: taking gradients
(:func:`outputs_and_gradients`) and computing in float64 (:func:`float64_scope`,
:func:`float64_atol`, :func:`float64_rtol`; JAX truncates float64 to float32 unless x64 is enabled,
and Keras computes ``ops.tanh`` of float64 tensors in float32 on every backend
but TensorFlow). Each supported
backend has one implementation of each behind these signatures, picked by
``keras.backend.backend()`` in :func:`_active_backend` only. Implementations
import their backend lazily, so importing ``forecaster`` never needs
TensorFlow or JAX beyond what Keras itself loads.
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, ContextManager, NamedTuple

import keras
import numpy as np

from forecaster.errors import ForecasterError

LossFn = Callable[[list[Any]], Any]
"""Maps the list of a layer's outputs (backend tensors) to a scalar tensor."""


def outputs_and_gradients(
    layer: keras.layers.Layer, inputs: np.ndarray, loss_fn: LossFn, **call_kwargs: Any
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Call ``layer`` on ``inputs`` and differentiate ``loss_fn`` of its outputs.

    The call runs eagerly, so a stateful layer updates its states exactly as a
    plain ``layer(inputs, **call_kwargs)`` would.

    Args:
        layer: a built layer.
        inputs: ``(batch, time, features)`` array.
        loss_fn: maps the list of outputs (the output, then any states) to a
            scalar tensor.
        **call_kwargs: passed to the layer call (``mask``, ``initial_state``,
            ``training``).

    Returns:
        ``(outputs, gradients)``: the outputs as numpy arrays, and the
        gradients of the loss with respect to ``inputs`` and then each of
        ``layer.trainable_weights``, as numpy arrays (zeros for a weight the
        loss does not depend on).

    Raises:
        ForecasterError: on a backend with no gradient implementation here
            (supported: ``tensorflow``, ``jax``).
    """
    outputs, gradients = _active_backend().outputs_and_gradients(layer, inputs, loss_fn, call_kwargs)
    return [keras.ops.convert_to_numpy(o) for o in outputs], [keras.ops.convert_to_numpy(g) for g in gradients]


def float64_scope() -> ContextManager[None]:
    """Return a context in which layers, variables and ops of dtype ``float64`` really are float64.

    Build, run and differentiate a float64 layer entirely inside it: on JAX,
    float64 arrays used outside the scope are computed in float32 again.

    Raises:
        ForecasterError: on a backend not supported here (see :func:`outputs_and_gradients`).
    """
    return _active_backend().float64_scope()


def float64_atol() -> float:
    """Return the absolute difference a float64 layer's outputs reach from the float64 numpy reference.

    ``1e-6`` on TensorFlow, where float64 is float64 throughout (measured
    ~1e-15); ``1e-5`` on JAX, where Keras's ``ops.tanh`` (the default
    ``activation``) returns float32 for float64 inputs
    (``keras.src.backend.common.dtypes.BIT64_TO_BIT32_DTYPE``), so rounding
    at float32 precision accumulates over the steps (measured up to 1.8e-6
    over 48 steps).

    Raises:
        ForecasterError: on a backend not supported here (see :func:`outputs_and_gradients`).
    """
    return _active_backend().float64_atol


def float64_rtol() -> float:
    """Return the relative precision a float64 layer's gradients reach on the active backend.

    ``1e-6`` on TensorFlow, where float64 is float64 throughout; ``1e-4`` on
    JAX (measured up to 5.3e-5 against central differences), where Keras's
    ``ops.tanh`` (the default ``activation``) returns float32 for float64 inputs (``keras.src.backend.common.dtypes.BIT64_TO_BIT32_DTYPE``).

    Raises:
        ForecasterError: on a backend not supported here (see :func:`outputs_and_gradients`).
    """
    return _active_backend().float64_rtol


def _as_list(result: Any) -> list[Any]:
    return list(result) if isinstance(result, (list, tuple)) else [result]


def _tensorflow_outputs_and_gradients(
    layer: keras.layers.Layer, inputs: np.ndarray, loss_fn: LossFn, call_kwargs: dict[str, Any]
) -> tuple[list[Any], list[Any]]:
    import tensorflow as tf

    x = tf.convert_to_tensor(inputs)
    with tf.GradientTape() as tape:
        tape.watch(x)
        outputs = _as_list(layer(x, **call_kwargs))
        loss = loss_fn(outputs)
    sources = [x, *layer.trainable_weights]
    gradients = tape.gradient(loss, sources)
    return outputs, [tf.zeros(s.shape, s.dtype) if g is None else g for s, g in zip(sources, gradients)]


def _jax_outputs_and_gradients(
    layer: keras.layers.Layer, inputs: np.ndarray, loss_fn: LossFn, call_kwargs: dict[str, Any]
) -> tuple[list[Any], list[Any]]:
    import jax

    trainable = [v.value for v in layer.trainable_variables]
    non_trainable = [v.value for v in layer.non_trainable_variables]

    def loss_and_state(x: Any, trainable_values: list[Any]) -> tuple[Any, tuple[list[Any], list[Any]]]:
        result, new_non_trainable = layer.stateless_call(
            trainable_values, non_trainable, x, return_losses=False, **call_kwargs
        )
        outputs = _as_list(result)
        return loss_fn(outputs), (outputs, new_non_trainable)

    x = keras.ops.convert_to_tensor(inputs)
    (_, (outputs, new_non_trainable)), (x_gradient, weight_gradients) = jax.value_and_grad(
        loss_and_state, argnums=(0, 1), has_aux=True
    )(x, trainable)
    for variable, value in zip(layer.non_trainable_variables, new_non_trainable):
        variable.assign(value)
    return outputs, [x_gradient, *weight_gradients]


def _jax_float64_scope() -> ContextManager[None]:
    import jax

    return jax.enable_x64(True)


class _Backend(NamedTuple):
    """One backend's implementations of the module's functions."""

    outputs_and_gradients: Callable[..., tuple[list[Any], list[Any]]]
    float64_scope: Callable[[], ContextManager[None]]
    float64_atol: float
    float64_rtol: float


_BACKENDS = {
    "tensorflow": _Backend(_tensorflow_outputs_and_gradients, contextlib.nullcontext, 1e-6, 1e-6),
    "jax": _Backend(_jax_outputs_and_gradients, _jax_float64_scope, 1e-5, 1e-4),
}


def _active_backend() -> _Backend:
    """Return the implementations for ``keras.backend.backend()``; the one place a backend is chosen."""
    backend = keras.backend.backend()
    if backend not in _BACKENDS:
        raise ForecasterError(
            f"cell checks support the backends {sorted(_BACKENDS)}, got KERAS_BACKEND={backend!r}; "
            "set KERAS_BACKEND to one of them"
        )
    return _BACKENDS[backend]
