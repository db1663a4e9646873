"""The recurrent encoder-decoder network that the autoencoder anomaly detector trains."""

from __future__ import annotations

import keras

from forecaster.models.encoders import make_recurrent_layer


def build_autoencoder(
    n_features: int,
    *,
    lookback: int = 32,
    units: int = 16,
    kind: str = "lstm",
    gated_cell: str = "lstm",
    l2: float = 0.0,
    name: str = "autoencoder",
) -> keras.Model:
    """Build the (uncompiled) recurrent encoder-decoder of :class:`~forecaster.anomaly.AutoencoderDetector`.

    The encoder reads the window; its last state is repeated over the window
    and decoded by a second recurrent layer and a dense projection back to the
    features (an LSTM encoder-decoder as in Malhotra et al., 2016,
    "LSTM-based encoder-decoder for multi-sensor anomaly detection").

    Args:
        n_features: columns of each window (>= 1).
        lookback: rows per window (>= 2). Default 32.
        units: hidden units of the encoder and the decoder. Default 16.
        kind: recurrent layer: ``lstm`` / ``gru`` (Keras layers) or ``gated``
            (the hand-written cells of :mod:`forecaster.cells`). Default ``"lstm"``.
        gated_cell: ``lstm``, ``gru`` or ``peephole`` when ``kind`` is ``gated``. Default ``"lstm"``.
        l2: L2 penalty on the recurrent kernels. Default 0.
        name: the model's name (members of an ensemble need distinct names). Default ``"autoencoder"``.

    Returns:
        A functional :class:`keras.Model` mapping ``(batch, lookback, n_features)`` to the same shape.

    Raises:
        ValueError: for an unknown ``kind`` or ``gated_cell``.
    """
    windows = keras.Input((lookback, n_features), name="window")
    encoded = make_recurrent_layer(kind, gated_cell, units, l2=l2, name="encoder")(windows)
    summary = keras.layers.Cropping1D((lookback - 1, 0), name="last_state")(encoded)
    repeated = keras.layers.UpSampling1D(lookback, name="repeat_state")(summary)
    decoded = make_recurrent_layer(kind, gated_cell, units, l2=l2, name="decoder")(repeated)
    reconstruction = keras.layers.Dense(n_features, name="reconstruction")(decoded)
    return keras.Model(windows, reconstruction, name=name)
