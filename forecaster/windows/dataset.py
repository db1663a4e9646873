"""Shuffled batches of (lookback, horizon) windows served to Keras from one strided view."""

from __future__ import annotations

import keras
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


class WindowDataset(keras.utils.PyDataset):
    """Batches of windows cut lazily from one scaled array; only a batch is ever copied.

    ``windows`` is a read-only strided view ``(n_rows - window_length + 1,
    window_length, n_features)`` of ``values``: window ``t`` is rows
    ``[t, t + lookback + horizon)``. A batch fancy-indexes that view at the
    batch's starts, so memory stays proportional to the series.

    Features of ``values`` are ordered targets, past covariates, calendar
    features. A batch is ``(inputs, targets)``, or ``(inputs, targets,
    sample_weight)`` when ``values`` contains NaN:

    - ``inputs["past"]``: float32 ``(batch, lookback, n_features)``, every feature
      of the input rows;
    - ``inputs["future"]``: float32 ``(batch, horizon, n_calendar)``, calendar
      features of the target rows; present only when ``n_calendar > 0``;
    - ``targets``: float32 ``(batch, horizon, n_targets)``;
    - ``sample_weight``: float32 ``(batch, horizon)``, 1 where every target
      column is observed at that step, else 0.

    NaN in inputs and targets are served as 0 (the scaled training mean);
    ``values`` itself is never modified.

    Args:
        values: scaled float32 array ``(n_rows, n_features)``.
        starts: int64 ``(n_windows,)`` global first input row of each window
            (from :func:`~forecaster.windows.splits.window_starts`).
        lookback: input steps per window.
        horizon: target steps per window.
        n_targets: leading feature columns that are targets.
        n_calendar: trailing feature columns that are calendar features. Default 0.
        batch_size: windows per batch; the last batch keeps the remainder. Default 256.
        shuffle: serve windows in a new random order each epoch. Default False
            (windows in ``starts`` order, as :meth:`arrays` returns them).
        seed: seed of the shuffling generator. Default None.
        **kwargs: ``workers``, ``use_multiprocessing``, ``max_queue_size`` for
            :class:`keras.utils.PyDataset`.

    Raises:
        ValueError: naming the argument, for a non 2-D or non-float32 ``values``,
            ``values`` shorter than one window, a start outside
            ``[0, n_rows - lookback - horizon]``, feature counts that do not fit
            ``values``, or a size below 1.
    """

    def __init__(
        self,
        values: np.ndarray,
        starts: np.ndarray,
        lookback: int,
        horizon: int,
        n_targets: int,
        n_calendar: int = 0,
        batch_size: int = 256,
        shuffle: bool = False,
        seed: int | None = None,
        **kwargs,
    ) -> None:
        super().__init__(**kwargs)
        if values.ndim != 2 or values.dtype != np.float32:
            raise ValueError(f"WindowDataset: values must be a 2-D float32 array, got {values.ndim}-D {values.dtype}")
        for name, value in (("lookback", lookback), ("horizon", horizon), ("batch_size", batch_size)):
            if value < 1:
                raise ValueError(f"WindowDataset: {name} must be >= 1, got {value}")
        if not 1 <= n_targets <= values.shape[1] - n_calendar or n_calendar < 0:
            raise ValueError(
                f"WindowDataset: n_targets={n_targets} and n_calendar={n_calendar} do not fit "
                f"{values.shape[1]} feature columns"
            )
        window_length = lookback + horizon
        if len(values) < window_length:
            raise ValueError(
                f"WindowDataset: values has {len(values)} rows, fewer than one window of lookback + horizon = "
                f"{window_length} rows"
            )
        starts = np.asarray(starts, dtype=np.int64)
        if starts.size and (starts.min() < 0 or starts.max() > len(values) - window_length):
            raise ValueError(
                f"WindowDataset: starts must lie in [0, {len(values) - window_length}] for {len(values)} rows "
                f"and windows of {window_length} rows, got [{starts.min()}, {starts.max()}]"
            )
        self.values = values
        self.starts = starts
        self.lookback = lookback
        self.horizon = horizon
        self.n_targets = n_targets
        self.n_calendar = n_calendar
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        # (n_rows - L - H + 1, L + H, n_features), read-only, sharing memory with values.
        self.windows = sliding_window_view(values, window_length, axis=0).transpose(0, 2, 1)
        # min() propagates NaN and allocates nothing, unlike np.isnan(values).any().
        self.has_missing = bool(np.isnan(values.min()))
        self._target_observed = ~np.isnan(values[:, :n_targets]).any(axis=1) if self.has_missing else None
        self._horizon_steps = np.arange(lookback, window_length)
        self._rng = np.random.default_rng(seed)
        self._order = self._rng.permutation(starts) if shuffle else starts

    @property
    def n_windows(self) -> int:
        """Number of windows served per epoch."""
        return len(self.starts)

    def __len__(self) -> int:
        """Batches per epoch, ``ceil(n_windows / batch_size)``; the last one may be partial."""
        return -(-self.n_windows // self.batch_size)

    def __getitem__(self, index: int) -> tuple:
        """Return batch ``index`` of the current epoch's order.

        Raises:
            IndexError: for ``index`` outside ``[0, len(self))``.
        """
        if not 0 <= index < len(self):
            raise IndexError(f"WindowDataset: batch {index} out of range for {len(self)} batches")
        return self._batch(self._order[index * self.batch_size : (index + 1) * self.batch_size])

    def on_epoch_end(self) -> None:
        """Draw a new window order for the next epoch when shuffling."""
        if self.shuffle:
            self._order = self._rng.permutation(self.starts)

    def random_state(self) -> dict:
        """The state of the generator that draws window orders (JSON-ready; saved in training checkpoints)."""
        return self._rng.bit_generator.state

    def set_random_state(self, state: dict) -> None:
        """Restore a :meth:`random_state`; the next :meth:`on_epoch_end` draws its order from it."""
        self._rng.bit_generator.state = state

    def arrays(self) -> tuple:
        """Return every window in ``starts`` order as one batch (for evaluation or prediction).

        This materialises ``n_windows x (lookback + horizon)`` rows; for long
        splits iterate an unshuffled dataset batch by batch instead.

        Returns:
            ``(inputs, targets)`` or ``(inputs, targets, sample_weight)``, as a batch.
        """
        return self._batch(self.starts)

    def _batch(self, starts: np.ndarray) -> tuple:
        past = self.windows[starts, : self.lookback]
        targets = self.windows[starts, self.lookback :, : self.n_targets]
        inputs = {"past": past}
        if self.n_calendar:
            inputs["future"] = self.windows[starts, self.lookback :, -self.n_calendar :]
        if not self.has_missing:
            return inputs, targets
        weights = self._target_observed[starts[:, None] + self._horizon_steps].astype(np.float32)
        np.nan_to_num(past, copy=False)
        np.nan_to_num(targets, copy=False)
        return inputs, targets, weights
