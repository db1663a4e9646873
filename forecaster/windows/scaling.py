"""Scalers fitted on the training rows only, applied to whole series and inverted on forecasts."""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, RobustScaler, StandardScaler

from forecaster.data.series import SeriesCollection
from forecaster.errors import DataError, NotFittedError
from forecaster.windows.spec import WindowSpec
from forecaster.windows.splits import SplitRows

FLOAT32_MAX = float(np.finfo(np.float32).max)

SCALERS = {
    "standard": StandardScaler,
    "minmax": MinMaxScaler,
    "robust": RobustScaler,
    "none": FunctionTransformer,
}


class SeriesScaler:
    """Scikit-learn scalers fitted on the training rows of each series, globally or per series.

    Every supported scaler is affine per column, ``scaled = (x - center) / scale``;
    the fitted ``center_`` and ``scale_`` are read back from the scikit-learn
    estimator, so transforming a series and inverting a forecast need no copy
    of the data in float64. NaN values are ignored when fitting and stay NaN
    when transforming.

    Args:
        method: ``"standard"`` (z-score, default), ``"minmax"``, ``"robust"`` or ``"none"``.
        scope: ``"global"`` (default, one scaler fitted on the training rows of
            all series) or ``"per_series"`` (one scaler per series).

    Raises:
        ValueError: for an unknown ``method`` or ``scope``.
    """

    def __init__(self, method: str = "standard", scope: str = "global") -> None:
        if method not in SCALERS:
            raise ValueError(f"SeriesScaler: method must be one of {list(SCALERS)}, got {method!r}")
        if scope not in ("global", "per_series"):
            raise ValueError(f"SeriesScaler: scope must be 'global' or 'per_series', got {scope!r}")
        self.method = method
        self.scope = scope

    def fit(self, collection: SeriesCollection, split_rows: SplitRows, spec: WindowSpec) -> "SeriesScaler":
        """Fit on the rows ``[series start, train end)`` of each series, columns ``spec.value_columns``.

        Args:
            collection: the series.
            split_rows: split row ranges; only the training ranges are read.
            spec: gives the columns (targets first, then past covariates).

        Returns:
            ``self``, with ``scalers_`` (the fitted scikit-learn estimators, one
            or one per series), ``center_`` and ``scale_`` (float64
            ``(n_scalers, n_columns)``), ``columns_`` and ``n_targets_``.

        Raises:
            DataError: when a series has no training rows (per-series scope),
                a column has no observed training value, or a value is too
                large for float32 (naming the column and row).
        """
        columns = list(spec.value_columns)
        values = collection.frame[columns].to_numpy(dtype=np.float64)
        for j, column in enumerate(columns):
            _check_float32(values[:, j], column, collection)
        starts, ends = split_rows.rows("train")
        groups = [range(collection.n_series)] if self.scope == "global" else [[k] for k in range(collection.n_series)]
        self.scalers_, centers, scales = [], [], []
        for members in groups:
            pieces = [values[starts[k] : ends[k]] for k in members]
            # A single series fits on a view of its rows; only a global scaler over many series copies them.
            rows = pieces[0] if len(pieces) == 1 else np.concatenate(pieces)
            where = "all series" if self.scope == "global" else f"series {collection.series_ids[members[0]]!r}"
            if len(rows) == 0:
                raise DataError(
                    f"no training rows in {where}, so the {self.scope} scaler cannot be fitted; "
                    "give the training split rows (a later split.val_start or larger split.train)"
                )
            observed = np.count_nonzero(~np.isnan(rows), axis=0)
            if not observed.all():
                column = columns[int(np.argmin(observed))]
                raise DataError(
                    f"column {column!r} has no observed value in the {len(rows)} training rows of {where}, "
                    "so the scaler cannot be fitted; fill the gaps (data.fill) or give training more rows"
                )
            scaler = SCALERS[self.method]().fit(rows)
            center = scaler.inverse_transform(np.zeros((1, len(columns))))[0]
            scale = scaler.inverse_transform(np.ones((1, len(columns))))[0] - center
            broken = ~(np.isfinite(center) & np.isfinite(scale) & (scale > 0))
            if broken.any():
                raise DataError(
                    f"column {columns[int(np.argmax(broken))]!r}: the {self.method} scaler fitted on the training rows of "
                    f"{where} is not finite (values too far apart); check the column's units and extreme values"
                )
            centers.append(center)
            scales.append(scale)
            self.scalers_.append(scaler)
        self.center_ = np.stack(centers)
        self.scale_ = np.stack(scales)
        self.columns_ = columns
        self.n_targets_ = spec.n_targets
        return self

    def transform(
        self, collection: SeriesCollection, out: np.ndarray | None = None, series_groups: np.ndarray | None = None
    ) -> np.ndarray:
        """Scale every row of the fitted columns.

        Args:
            collection: the series to scale.
            out: float32 array ``(n_rows, n_columns)`` to write into (it may be a
                column slice of a wider array). Default None allocates one.
            series_groups: for the per-series scope, the fitted scaler of each
                series of ``collection`` (new data may hold the training series
                in another order). Default None: series ``k`` uses scaler ``k``,
                as when transforming the data the scaler was fitted on.

        Returns:
            ``out``, float32 ``(n_rows, n_columns)``; NaN stays NaN.

        Raises:
            NotFittedError: before :meth:`fit`.
            DataError: for a value too large for float32 once scaled, naming the column and row.
        """
        self._check_fitted()
        scaled = np.empty((len(collection.frame), len(self.columns_)), dtype=np.float32) if out is None else out
        bounds = collection.offsets if self.scope == "per_series" else collection.offsets[[0, -1]]
        groups = np.arange(len(bounds) - 1) if series_groups is None or self.scope == "global" else series_groups
        for j, column in enumerate(self.columns_):
            values = collection.frame[column].to_numpy(dtype=np.float64)
            for group, start, end in zip(groups, bounds[:-1], bounds[1:]):
                # Compute in float64, write straight into the float32 column: no full-size temporary.
                with np.errstate(over="ignore"):
                    np.subtract(
                        values[start:end], self.center_[group, j], out=scaled[start:end, j], casting="same_kind"
                    )
                    scaled[start:end, j] /= self.scale_[group, j]
                _check_float32(scaled[start:end, j], column, collection, start, "once scaled")
        return scaled

    def inverse_transform_targets(self, y: np.ndarray, series_index: np.ndarray | int) -> np.ndarray:
        """Map scaled target forecasts back to original units.

        Args:
            y: scaled forecasts ``(n, horizon, n_targets)``, optionally with a
                trailing quantile axis ``(n, horizon, n_targets, n_quantiles)``.
            series_index: series of each forecast, int ``(n,)`` or one int for all.

        Returns:
            float64 array, same shape as ``y``.

        Raises:
            NotFittedError: before :meth:`fit`.
            ValueError: when ``y``'s target axis does not match the fitted targets.
        """
        self._check_fitted()
        y = np.asarray(y, dtype=np.float64)
        if y.ndim not in (3, 4) or y.shape[2] != self.n_targets_:
            raise ValueError(
                f"inverse_transform_targets: y must be (n, horizon, {self.n_targets_}[, n_quantiles]), got {y.shape}"
            )
        groups = np.broadcast_to(np.asarray(series_index) if self.scope == "per_series" else 0, (len(y),))
        shape = (len(y), 1, self.n_targets_) + (1,) * (y.ndim - 3)
        scale = self.scale_[groups, : self.n_targets_].reshape(shape)
        center = self.center_[groups, : self.n_targets_].reshape(shape)
        return y * scale + center

    @classmethod
    def from_statistics(cls, statistics: dict) -> "SeriesScaler":
        """Rebuild a fitted scaler from :meth:`statistics` output (as saved with a trained run).

        The rebuilt scaler transforms and inverts exactly as the original; it
        has no ``scalers_`` (the scikit-learn estimators are not needed for
        the affine maps).

        Raises:
            ValueError: when ``statistics`` lacks a key or its arrays disagree in shape.
        """
        try:
            scaler = cls(statistics["method"], statistics["scope"])
            scaler.center_ = np.asarray(statistics["center"], dtype=np.float64)
            scaler.scale_ = np.asarray(statistics["scale"], dtype=np.float64)
            scaler.columns_ = list(statistics["columns"])
            scaler.n_targets_ = int(statistics["n_targets"])
        except KeyError as exc:
            raise ValueError(f"SeriesScaler.from_statistics: missing key {exc}") from None
        if scaler.center_.shape != scaler.scale_.shape or scaler.center_.shape[1:] != (len(scaler.columns_),):
            raise ValueError("SeriesScaler.from_statistics: center, scale and columns disagree in shape")
        return scaler

    def statistics(self) -> dict:
        """Return the fitted statistics as JSON-ready data (for metrics.json).

        Returns:
            ``{"method", "scope", "columns", "n_targets", "center", "scale"}``;
            ``center`` and ``scale`` are lists ``(n_scalers, n_columns)``.
        """
        self._check_fitted()
        return {
            "method": self.method,
            "scope": self.scope,
            "columns": self.columns_,
            "n_targets": self.n_targets_,
            "center": self.center_.tolist(),
            "scale": self.scale_.tolist(),
        }

    def _check_fitted(self) -> None:
        if not hasattr(self, "center_"):
            raise NotFittedError("SeriesScaler is not fitted yet; call fit(collection, split_rows, spec) first")


def _check_float32(
    values: np.ndarray, column: str, collection: SeriesCollection, first_row: int = 0, stage: str = ""
) -> None:
    """Refuse values beyond float32's range (they would train to NaN), naming the column and row.

    Args:
        values: one column's values (float64, or float32 where an overflow shows as inf).
        column: its name.
        collection: the series, for the time of the row.
        first_row: row of ``values[0]`` in ``collection.frame``.
        stage: words after the value, e.g. ``"once scaled"``.

    Raises:
        DataError: naming the column, the first such row (position and time) and its value.
    """
    with np.errstate(invalid="ignore"):
        far = np.abs(values) > FLOAT32_MAX  # inf in a float32 column: it overflowed there
    if far.any():
        row = first_row + int(np.argmax(far))
        raise DataError(
            f"column {column!r} row {row} ({collection.frame.index[row]}) is {values[row - first_row]:.3g}{stage and ' ' + stage}, beyond "
            f"float32's range ({FLOAT32_MAX:.3g}) that training computes in; check the file's units, or drop or fix the value"
        )
