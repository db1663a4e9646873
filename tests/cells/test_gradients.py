"""The backend dispatch of outputs, gradients and float64, on whichever backend the tests run."""

import keras
import numpy as np
import pytest

from forecaster.cells import gradients
from forecaster.errors import ForecasterError


def test_gradients_of_a_dense_layer_equal_the_closed_form(rng) -> None:
    layer = keras.layers.Dense(3)
    layer.build((2, 4))
    x = rng.normal(size=(2, 4)).astype(np.float32)
    weights = rng.normal(size=(2, 3)).astype(np.float32)
    outputs, (x_gradient, kernel_gradient, bias_gradient) = gradients.outputs_and_gradients(
        layer, x, lambda outs: keras.ops.sum(outs[0] * weights)
    )
    kernel, bias = layer.get_weights()
    np.testing.assert_allclose(outputs[0], x @ kernel + bias, atol=1e-6)
    np.testing.assert_allclose(x_gradient, weights @ kernel.T, atol=1e-6)
    np.testing.assert_allclose(kernel_gradient, x.T @ weights, atol=1e-6)
    np.testing.assert_allclose(bias_gradient, weights.sum(axis=0), atol=1e-6)


def test_float64_scope_keeps_float64_weights_and_outputs(rng) -> None:
    x = rng.normal(size=(2, 4))
    with gradients.float64_scope():
        layer = keras.layers.Dense(3, dtype="float64")
        layer.build((2, 4))
        kernel = rng.normal(size=(4, 3))
        layer.set_weights([kernel, np.zeros(3)])
        outputs, _ = gradients.outputs_and_gradients(layer, x, lambda outs: keras.ops.sum(outs[0]))
    assert outputs[0].dtype == np.float64
    np.testing.assert_allclose(outputs[0], x @ kernel, rtol=1e-14)


def test_unsupported_backend_is_a_forecaster_error_naming_it(monkeypatch, rng) -> None:
    monkeypatch.setattr(keras.backend, "backend", lambda: "torch")
    with pytest.raises(ForecasterError, match="KERAS_BACKEND='torch'"):
        gradients.outputs_and_gradients(keras.layers.Dense(1), np.zeros((1, 1)), keras.ops.sum)
    with pytest.raises(ForecasterError, match="'torch'"):
        gradients.float64_scope()
