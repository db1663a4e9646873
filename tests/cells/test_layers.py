"""Construction, weights, from_keras, serialisation, dropout semantics and traces of the gated layers."""

from pathlib import Path

import keras
import numpy as np
import pytest

from forecaster.cells import GatedGRU, GatedGRUCell, GatedLSTM, GatedLSTMCell

SHAPE = (3, 6, 4)


def _random_weights(layer: keras.layers.Layer, rng: np.random.Generator) -> None:
    layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype(np.float32) for w in layer.get_weights()])


@pytest.mark.parametrize(
    ("mine", "theirs", "kwargs"),
    [
        (GatedLSTM, keras.layers.LSTM, {}),
        (GatedLSTM, keras.layers.LSTM, {"use_bias": False}),
        (GatedGRU, keras.layers.GRU, {"reset_after": True}),
        (GatedGRU, keras.layers.GRU, {"reset_after": False}),
        (GatedGRU, keras.layers.GRU, {"use_bias": False}),
    ],
)
def test_weight_shapes_match_keras_and_set_weights_gives_same_function(mine, theirs, kwargs, rng) -> None:
    x = rng.normal(size=SHAPE).astype(np.float32)
    keras_layer = theirs(5, return_sequences=True, **kwargs)
    keras_layer.build(SHAPE)
    _random_weights(keras_layer, rng)
    layer = mine(5, return_sequences=True, **kwargs)
    layer.build(SHAPE)
    assert [w.shape for w in layer.get_weights()] == [w.shape for w in keras_layer.get_weights()]
    layer.set_weights(keras_layer.get_weights())
    np.testing.assert_array_equal(np.asarray(layer(x)), np.asarray(keras_layer(x)))


def test_from_keras_copies_config_and_weights(rng) -> None:
    keras_layer = keras.layers.GRU(4, reset_after=False, go_backwards=True, recurrent_activation="hard_sigmoid")
    x = rng.normal(size=SHAPE).astype(np.float32)
    keras_layer(x)
    layer = GatedGRU.from_keras(keras_layer)
    assert layer.cell.reset_after is False and layer.go_backwards is True
    np.testing.assert_array_equal(np.asarray(layer(x)), np.asarray(keras_layer(x)))


def test_from_keras_refuses_wrong_class_and_unbuilt_layer() -> None:
    with pytest.raises(TypeError, match="keras.layers.LSTM"):
        GatedLSTM.from_keras(keras.layers.GRU(2))
    with pytest.raises(ValueError, match="not built"):
        GatedLSTM.from_keras(keras.layers.LSTM(2))


def test_peephole_adds_three_vectors_after_keras_weights() -> None:
    layer = GatedLSTM(5, peephole=True)
    layer.build(SHAPE)
    assert [w.shape for w in layer.get_weights()] == [(4, 20), (5, 20), (20,), (5,), (5,), (5,)]
    assert [w.name for w in layer.weights[3:]] == ["peephole_i", "peephole_f", "peephole_o"]


def test_unit_forget_bias_initialises_forget_block_to_one() -> None:
    layer = GatedLSTM(3)
    layer.build(SHAPE)
    np.testing.assert_array_equal(layer.get_weights()[2], [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])


@pytest.mark.parametrize(
    ("factory", "argument"),
    [
        (lambda: GatedLSTM(0), "units"),
        (lambda: GatedLSTM(2.5), "units"),
        (lambda: GatedGRU(True), "units"),
        (lambda: GatedLSTM(4, dropout=1.5), "dropout"),
        (lambda: GatedGRU(4, recurrent_dropout=-0.1), "recurrent_dropout"),
        (lambda: GatedGRU(4, reset_after="yes"), "reset_after"),
        (lambda: GatedLSTM(4, peephole=1), "peephole"),
        (lambda: GatedLSTM(4, return_sequences="no"), "return_sequences"),
        (lambda: GatedLSTM(4, activation="nonsense"), "activation"),
        (lambda: GatedGRU(4, kernel_initializer="nonsense"), "kernel_initializer"),
        (lambda: GatedLSTMCell(-3), "units"),
    ],
)
def test_bad_constructor_argument_is_named(factory, argument) -> None:
    with pytest.raises(ValueError, match=f"`{argument}`"):
        factory()


@pytest.mark.parametrize(
    "layer",
    [
        GatedLSTM(4, return_sequences=True, peephole=True, dropout=0.1, seed=3),
        GatedGRU(4, reset_after=False, go_backwards=True, kernel_regularizer="l2"),
    ],
    ids=["lstm", "gru"],
)
def test_get_config_round_trip(layer) -> None:
    config = layer.get_config()
    rebuilt = type(layer).from_config(config)
    assert rebuilt.get_config() == config


def test_model_saves_and_loads_in_safe_mode_with_identical_outputs(tmp_path: Path, rng) -> None:
    inputs = keras.Input((6, 4))
    masked = keras.layers.Masking(0.0)(inputs)
    hidden = GatedLSTM(5, return_sequences=True, peephole=True, peephole_initializer="random_normal")(masked)
    hidden = keras.layers.Bidirectional(GatedGRU(3, return_sequences=True))(hidden)
    outputs = keras.layers.RNN(GatedGRUCell(2))(hidden)
    model = keras.Model(inputs, outputs)
    x = rng.normal(size=SHAPE).astype(np.float32)
    x[0, 4:] = 0.0
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(np.asarray(loaded(x)), np.asarray(model(x)))


def test_dropout_mask_is_the_same_at_every_step(rng) -> None:
    layer = GatedGRU(3, dropout=0.5, seed=1, return_sequences=True)
    layer.build((2, 5, 8))
    cell = layer.cell
    x = np.ones((2, 5, 8), np.float32)
    layer(x, training=True)  # exercises the mask path once
    masks = []
    original = cell.get_dropout_mask

    def recording(step_input):
        mask = original(step_input)
        masks.append(np.asarray(mask))
        return mask

    cell.get_dropout_mask = recording
    layer(x, training=True)
    assert len(masks) >= 2 and all(np.array_equal(m, masks[0]) for m in masks)
    assert 0 < (masks[0] == 0).mean() < 1


@pytest.mark.parametrize(
    ("rates", "atol"),
    # recurrent_dropout switches to per-gate matmuls (Keras's implementation=1): same function, other rounding
    [({"dropout": 0.5}, 0.0), ({"dropout": 0.5, "recurrent_dropout": 0.5}, 1e-6)],
)
def test_training_false_ignores_dropout(rates, atol, rng) -> None:
    x = rng.normal(size=SHAPE).astype(np.float32)
    plain = GatedLSTM(4)
    plain.build(SHAPE)
    dropped = GatedLSTM(4, **rates)
    dropped.build(SHAPE)
    dropped.set_weights(plain.get_weights())
    np.testing.assert_allclose(np.asarray(dropped(x, training=False)), np.asarray(plain(x)), rtol=0, atol=atol)


@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize(
    ("layer_class", "kwargs", "names"),
    [
        (GatedLSTM, {"peephole": True, "peephole_initializer": "ones"}, ["f", "i", "g", "o", "c", "h"]),
        (GatedGRU, {}, ["z", "r", "candidate", "h"]),
    ],
)
def test_trace_names_shapes_and_final_h_equal_layer_output(layer_class, kwargs, names, go_backwards, rng) -> None:
    layer = layer_class(5, return_sequences=True, go_backwards=go_backwards, **kwargs)
    x = rng.normal(size=SHAPE).astype(np.float32)
    mask = np.ones(SHAPE[:2], bool)
    mask[1, 4:] = False
    initial = [rng.normal(size=(3, 5)).astype(np.float32) for _ in layer.cell.state_names]
    outputs = np.asarray(layer(x, mask=mask, initial_state=initial))
    trace = layer.trace(x, mask=mask, initial_state=initial)
    assert list(trace) == names
    assert all(v.shape == (3, 6, 5) for v in trace.values())
    np.testing.assert_allclose(trace["h"][:, -1], outputs[:, -1], atol=1e-6)
    valid = mask[:, ::-1] if go_backwards else mask
    np.testing.assert_allclose(trace["h"][valid], outputs[valid], atol=1e-6)
    gate = names[0]
    assert np.isnan(trace[gate][~valid]).all() and not np.isnan(trace[gate][valid]).any()


def test_trace_leaves_stateful_layer_states_alone(rng) -> None:
    layer = GatedLSTM(2, stateful=True)
    x = rng.normal(size=(2, 4, 3)).astype(np.float32)
    layer(x)
    before = [np.asarray(s) for s in layer.states]
    trace = layer.trace(x)
    assert trace["h"].shape == (2, 4, 2)
    for old, new in zip(before, layer.states):
        np.testing.assert_array_equal(old, np.asarray(new))
