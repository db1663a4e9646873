"""The recurrent encoder-decoder network that the autoencoder anomaly detector trains."""

from __future__ import annotations

import keras

from forecaster.config import AnomalyConfig
from forecaster.models.encoders import make_recurrent_layer


def build_autoencoder(config: AnomalyConfig, n_features: int, name: str = "autoencoder") -> keras.Model:
    """Build the (uncompiled) recurrent encoder-decoder of :class:`~forecaster.anomaly.AutoencoderDetector`.

    The encoder reads the window; its last state is repeated over the window
    and decoded by a second recurrent layer and a dense projection back to the
    features.

    Args:
        config: the ``anomaly`` section (``kind``, ``gated_cell``, ``units``, ``lookback``).
        n_features: columns of each window.
        name: the model's name (members of an ensemble need distinct names). Default ``"autoencoder"``.

    Returns:
        A functional :class:`keras.Model` mapping ``(batch, lookback, n_features)`` to the same shape.
    """
    lookback = config.lookback
    windows = keras.Input((lookback, n_features), name="window")
    encoded = make_recurrent_layer(config.kind, config.gated_cell, config.units, name="encoder")(windows)
    summary = keras.layers.Cropping1D((lookback - 1, 0), name="last_state")(encoded)
    repeated = keras.layers.UpSampling1D(lookback, name="repeat_state")(summary)
    decoded = make_recurrent_layer(config.kind, config.gated_cell, config.units, name="decoder")(repeated)
    reconstruction = keras.layers.Dense(n_features, name="reconstruction")(decoded)
    return keras.Model(windows, reconstruction, name=name)
