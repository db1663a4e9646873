"""Shape checks shared by the evaluation modules (internal misuse raises ``ValueError``)."""

from __future__ import annotations

import numpy as np


def as_windows(name: str, values, steps: str = "horizon") -> np.ndarray:
    """Return ``values`` as float64 windows ``(n_windows, steps, n_targets)``.

    Args:
        name: argument name for the error message.
        values: array-like to convert.
        steps: name of the time axis for the message (``"horizon"`` or ``"lookback"``).

    Raises:
        ValueError: if ``values`` is not 3-D.
    """
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 3:
        raise ValueError(f"{name} must have shape (n_windows, {steps}, n_targets); got shape {array.shape}")
    return array


def check_same_shape(names: tuple[str, str], first: np.ndarray, second: np.ndarray) -> None:
    """Raise ``ValueError`` naming both arrays unless their shapes match."""
    if first.shape != second.shape:
        raise ValueError(f"{names[0]} and {names[1]} must have the same shape; got {first.shape} and {second.shape}")


def full_weight(weight, shape: tuple[int, ...]) -> np.ndarray:
    """Return ``weight`` broadcast to the windows ``shape`` (all ones for ``None``).

    Args:
        weight: ``None``, or non-negative finite weights ``(n_windows, horizon)``
            (shared by all target columns) or of shape ``shape``.
        shape: ``(n_windows, horizon, n_targets)``.

    Raises:
        ValueError: if the shape does not fit or a weight is negative or not finite.
    """
    if weight is None:
        return np.ones(shape)
    weight = np.asarray(weight, dtype=np.float64)
    if weight.shape == shape[:2]:
        weight = weight[:, :, np.newaxis]
    elif weight.shape != shape:
        raise ValueError(f"weight must have shape {shape[:2]} (n_windows, horizon) or {shape}; got {weight.shape}")
    if not np.all(np.isfinite(weight)) or np.any(weight < 0):
        raise ValueError("weight must be finite and non-negative; 0 marks a missing point")
    return np.broadcast_to(weight, shape)
