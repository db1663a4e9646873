"""Gate figures: traces of a trained network's recurrent layer, drawn over a real window."""

from __future__ import annotations

import logging

import keras
import numpy as np
import pandas as pd
import pytest

from forecaster.config import ScalingConfig, SplitConfig
from forecaster.data import SeriesCollection
from forecaster.models import Forecaster
from forecaster.models.build import build_model
from forecaster.models.ensemble import average_networks
from forecaster.models.tracing import as_gated_layer, trace_gates
from forecaster.reports.gates import gate_section, plot_gate_heatmaps
from forecaster.runs import RunFolder
from forecaster.windows.pipeline import prepare_windows
from forecaster.windows.spec import WindowSpec

LOOKBACK, HORIZON = 24, 6


@pytest.fixture(scope="module")
def windowed():
    """Hourly target ``load`` and covariate ``temp`` with a daily cycle; calendar hour; 400 rows."""
    index = pd.date_range("2024-01-01", periods=400, freq="h", name="date")
    rng = np.random.default_rng(0)
    daily = np.sin(2 * np.pi * np.arange(400) / 24)
    frame = pd.DataFrame({"load": 50 + 10 * daily + rng.normal(0, 1, 400), "temp": 5 * daily + 12}, index=index)
    collection = SeriesCollection(frame, ("s",), np.array([0, 400]), "h")
    spec = WindowSpec(LOOKBACK, HORIZON, 1, ("load",), ("temp",), ("hour",))
    return prepare_windows(collection, spec, SplitConfig(), ScalingConfig(), batch_size=32, seed=0)


def network(windowed, **model):
    """An untrained network for ``windowed``'s windows (weights are random but fixed by the seed)."""
    inputs = last_test_window(windowed)
    keras.utils.set_random_seed(0)
    return build_model(
        n_past=inputs["past"].shape[2],
        n_targets=1,
        lookback=LOOKBACK,
        horizon=HORIZON,
        n_future=inputs["future"].shape[2],
        units=5,
        **model,
    )


def last_test_window(windowed) -> dict[str, np.ndarray]:
    inputs = windowed.test.arrays()[0]
    return {name: values[-1:] for name, values in inputs.items()}


@pytest.mark.parametrize("layer_class", [keras.layers.LSTM, keras.layers.GRU])
def test_a_keras_layer_copied_into_the_gated_cell_traces_the_keras_output(layer_class):
    keras.utils.set_random_seed(1)
    layer = layer_class(4, return_sequences=True)
    x = np.random.default_rng(1).normal(size=(2, 7, 3)).astype("float32")
    expected = keras.ops.convert_to_numpy(layer(x))
    trace = as_gated_layer(layer).trace(x)
    np.testing.assert_allclose(trace["h"], expected, atol=1e-5)
    keep = trace["f"] if layer_class is keras.layers.LSTM else trace["z"]
    assert keep.shape == (2, 7, 4) and ((keep > 0) & (keep < 1)).all()


def test_as_gated_layer_refuses_a_layer_without_gates():
    with pytest.raises(TypeError, match="expects an LSTM or GRU layer, received Dense"):
        as_gated_layer(keras.layers.Dense(2))


@pytest.mark.parametrize(
    ("model", "steps"),
    [
        ({"kind": "lstm"}, LOOKBACK),
        ({"kind": "gru", "bidirectional": True}, LOOKBACK),
        ({"kind": "gated", "gated_cell": "gru", "channel_independent": True}, LOOKBACK),
        ({"kind": "gru", "encoder": "segment", "segment_length": 6, "instance_norm_method": "last"}, LOOKBACK // 6),
    ],
)
def test_the_traced_state_is_the_encoders_output_on_the_window(windowed, model, steps):
    net = network(windowed, **model)
    inputs = last_test_window(windowed)
    trace = trace_gates(net, inputs)
    assert trace.n_steps == steps and trace.n_steps * trace.input_steps_per_step == LOOKBACK
    sequence = keras.Model(net.input, net.get_layer("encoder").output[0])
    expected = np.asarray(sequence.predict(inputs, verbose=0))[0, :, :5]  # forward direction
    np.testing.assert_allclose(trace.values["h"], expected, atol=1e-5)


def test_an_ensemble_traces_its_first_member(windowed):
    first, second = network(windowed), network(windowed)
    first.name, second.name = "member_0", "member_1"
    inputs = last_test_window(windowed)
    joint = average_networks([first, second])
    np.testing.assert_allclose(
        trace_gates(joint, inputs).values["c"], trace_gates(first, inputs).values["c"], atol=1e-6
    )


def fitted_forecaster(net):
    forecaster = Forecaster(quantiles=())
    forecaster.model_ = net
    return forecaster


@pytest.mark.parametrize("model", [{"kind": "lstm"}, {"kind": "gru", "encoder": "segment", "segment_length": 6}])
def test_gate_section_draws_the_gates_of_the_last_test_window(windowed, model, tmp_path):
    with RunFolder(tmp_path, "run") as run:
        section = gate_section(run, fitted_forecaster(network(windowed, quantiles=[], **model)), windowed)
        figure = section.figures[0]
        assert figure.read_bytes()[:4] == b"\x89PNG" and figure.stat().st_size > 10_000
    assert (
        "segment" in section.text
        if model.get("encoder") == "segment"
        else "Each column is one input row" in section.text
    )


def test_gate_section_is_none_for_a_network_without_recurrent_cells(windowed, tmp_path, caplog):
    inputs = last_test_window(windowed)
    past = keras.Input(inputs["past"].shape[1:], name="past")
    future = keras.Input(inputs["future"].shape[1:], name="future")
    output = keras.layers.Reshape((HORIZON, 1))(keras.layers.Dense(HORIZON)(keras.layers.Flatten()(past)))
    dense = keras.Model({"past": past, "future": future}, output)
    with caplog.at_level(logging.INFO), RunFolder(tmp_path, "run") as run:
        assert gate_section(run, fitted_forecaster(dense), windowed) is None
    assert "no recurrent cells" in caplog.text
    assert not list(tmp_path.glob("**/gates.png"))


def test_gate_heatmaps_of_check_cell_still_draw_every_traced_array(tmp_path):
    trace = {"z": np.full((1, 5, 3), 0.5), "h": np.linspace(-1, 1, 15).reshape(1, 5, 3)}
    path = plot_gate_heatmaps(trace, tmp_path / "gates.png", "test")
    assert path.read_bytes()[:4] == b"\x89PNG"
