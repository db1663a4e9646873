"""Typed, versioned schemas of the JSON files in run folders, and the one way to read them.

Every JSON file a later command reads back from a run folder (a trained run's
``schema.json``, ``scaler.json``, ``intervals.json`` and ``model/forecaster.json``;
a detection run's ``schema.json`` and ``detector/detector.json``) is read by
:func:`read_artefact` through its schema here. A file that was cut short,
hand-edited, or written by a newer version is refused with a one-line
:class:`~forecaster.errors.RunError` naming the file and the key, before any
of its values is used. Files carry ``format_version`` (each schema's
``FORMAT``); files without one predate it and are read as version 1. A schema
whose layout changed reads its older versions too (``model/forecaster.json``
and ``detector/detector.json`` of format 1 held config sections where
format 2 holds keyword arguments).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, TypeVar

import numpy as np
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from forecaster.errors import RunError

FORMAT_VERSION = 1
"""Version of the run-folder files whose layout never changed; a schema's ``FORMAT`` says its own."""
MAX_SHOWN = 60
"""Characters of a refused value quoted in a message."""

Artefact = TypeVar("Artefact", bound="ArtefactFile")


class ArtefactFile(BaseModel):
    """Base of every run-folder file schema: unknown keys and non-finite numbers are refused.

    Attributes:
        FORMAT: the version this forecaster writes; it reads this version and older.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=False)
    FORMAT: ClassVar[int] = FORMAT_VERSION

    format_version: int = Field(1, ge=1)

    @field_validator("format_version")
    @classmethod
    def _check_version(cls, version: int) -> int:
        if version > cls.FORMAT:
            raise ValueError(
                f"format {version} was written by a newer forecaster (this one reads up to {cls.FORMAT}); upgrade forecaster"
            )
        return version


def _rectangle(name: str, rows: list[list], n_columns: int | None = None) -> tuple[int, int]:
    """Shape of a list of equally long rows; raises ValueError naming ``name`` otherwise."""
    widths = {len(row) for row in rows}
    if not rows or len(widths) != 1 or (n_columns is not None and widths != {n_columns}):
        expected = "" if n_columns is None else f" of {n_columns} values (one per column)"
        raise ValueError(f"{name} must be a non-empty list of equally long rows{expected}")
    return len(rows), widths.pop()


def _check_scale(name: str, scale: list[list[float]]) -> None:
    """Refuse a zero (or negative) scale: every scaled value would be infinite or flipped."""
    values = np.asarray(scale, dtype=np.float64)
    if (values <= 0).any():
        row, column = map(int, np.argwhere(values <= 0)[0])
        raise ValueError(f"{name}[{row}][{column}] is {values[row, column]:g}; a scale must be positive")


class ScalerFile(ArtefactFile):
    """``scaler.json``: the training-row statistics of a :class:`~forecaster.windows.scaling.SeriesScaler`."""

    method: Literal["standard", "minmax", "robust", "none"]
    scope: Literal["global", "per_series"]
    columns: list[str] = Field(min_length=1)
    n_targets: int = Field(ge=1)
    center: list[list[float]]
    scale: list[list[float]]

    @model_validator(mode="after")
    def _check_shapes(self) -> "ScalerFile":
        if self.n_targets > len(self.columns):
            raise ValueError(f"n_targets {self.n_targets} exceeds the {len(self.columns)} columns")
        shape = _rectangle("center", self.center, len(self.columns))
        if _rectangle("scale", self.scale, len(self.columns)) != shape:
            raise ValueError("center and scale must have the same shape")
        if self.scope == "global" and shape[0] != 1:
            raise ValueError(f"a global scaler has one row of center and scale, got {shape[0]}")
        _check_scale("scale", self.scale)
        return self


class IntervalsFile(ArtefactFile):
    """``intervals.json``: a fitted split-conformal calibrator (``null`` quantiles are unbounded; a
    quantile calibrator's corrections may be negative)."""

    kind: Literal["ConformalCalibrator", "ConformalQuantileCalibrator"]
    alpha: float = Field(gt=0, lt=1)
    quantile: list[list[float | None]]
    n_calibration: list[list[int]]

    @model_validator(mode="after")
    def _check_shapes(self) -> "IntervalsFile":
        if _rectangle("quantile", self.quantile) != _rectangle("n_calibration", self.n_calibration):
            raise ValueError("quantile and n_calibration must have the same (horizon, n_targets) shape")
        return self


class TrainedSchemaFile(ArtefactFile):
    """A trained run's ``schema.json``: what new data must look like."""

    frequency: str = Field(min_length=1)
    target_columns: list[str] = Field(min_length=1)
    past_covariates: list[str]
    future_covariates: list[str] = Field(default_factory=list)
    calendar_features: list[Literal["hour", "dayofweek", "dayofmonth", "dayofyear", "month"]]
    lookback: int = Field(ge=1)
    horizon: int = Field(ge=1)
    series_ids: list[str] = Field(min_length=1)

    @field_validator("frequency")
    @classmethod
    def _check_frequency(cls, frequency: str) -> str:
        return _offset_alias(frequency)


def _check_param(value: Any) -> Any:
    """Accept a keyword argument JSON can hold: ``null``, a boolean, a finite number, a string or a list (or tuple) of numbers."""
    numbers = list(value) if isinstance(value, (list, tuple)) else [value]
    if (
        value is None
        or isinstance(value, (bool, str))
        or all(
            isinstance(number, (int, float)) and not isinstance(number, bool) and math.isfinite(number)
            for number in numbers
        )
    ):
        return numbers if isinstance(value, (list, tuple)) else value
    raise ValueError(
        f"a keyword argument must be null, a boolean, a finite number, a string or a list of numbers, got {value!r:.{MAX_SHOWN}}"
    )


Param = Annotated[Any, AfterValidator(_check_param)]
"""A keyword argument of a saved forecaster or detector, as JSON holds it."""


class ForecasterStateFile(ArtefactFile):
    """``model/forecaster.json``: the :class:`~forecaster.models.Forecaster`'s keyword arguments and history.

    ``params`` are passed back to the constructor, which refuses an unknown
    one. Format 1 held the ``model`` and ``training`` config sections and the
    ``seed`` instead; it is read by merging them into ``params`` (less
    ``training.batch_size``, which sized the datasets, not the network).
    """

    FORMAT: ClassVar[int] = 2
    params: dict[str, Param]
    history: dict[str, list[float | None]]
    resumes: list[dict] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _upgrade_format_1(cls, payload: Any) -> Any:
        if not isinstance(payload, dict) or "params" in payload or not {"model", "training", "seed"} <= set(payload):
            return payload
        model, training, seed = payload.pop("model"), payload.pop("training"), payload.pop("seed")
        if not isinstance(model, dict) or not isinstance(training, dict):
            raise ValueError("format 1: 'model' and 'training' must be mappings")
        training = {key: value for key, value in training.items() if key != "batch_size"}
        return {**payload, "params": {**model, **training, "seed": seed}}


class DetectionSchemaFile(ArtefactFile):
    """A detection run's ``schema.json``: the columns and frequency the detector was trained on."""

    columns: list[str] = Field(min_length=1)
    frequency: str = Field(min_length=1)

    @field_validator("frequency")
    @classmethod
    def _check_frequency(cls, frequency: str) -> str:
        return _offset_alias(frequency)


class DetectorStateFile(ArtefactFile):
    """``detector/detector.json``: a detector's keyword arguments, scaling, reference offsets and history.

    ``params`` are passed back to the detector's constructor, which refuses an
    unknown one. Format 1 held the ``anomaly`` config section and the ``seed``
    instead; it is read by picking the detector's arguments from them, with
    the training settings that format-1 detectors were trained with.
    """

    FORMAT: ClassVar[int] = 2
    detector: Literal["autoencoder", "residual"]
    params: dict[str, Param]
    mean: list[list[float]] | list[float]
    scale: list[list[float]] | list[float]
    series_ids: list[str] | None = None
    reference_offsets: list[int] | None = None
    reference_series: list[str] | None = None
    history: dict[str, list[float | None]]

    @model_validator(mode="after")
    def _check_scaling(self) -> "DetectorStateFile":
        mean = [self.mean] if self.mean and not isinstance(self.mean[0], list) else self.mean
        scale = [self.scale] if self.scale and not isinstance(self.scale[0], list) else self.scale
        if _rectangle("mean", mean) != _rectangle("scale", scale):
            raise ValueError("mean and scale must have the same shape")
        n_scalings = 1 if self.series_ids is None else len(self.series_ids)
        if len(mean) != n_scalings:
            raise ValueError(
                f"mean and scale need one row for all series or one per series in series_ids, got {len(mean)}"
            )
        _check_scale("scale", scale)
        return self

    @model_validator(mode="before")
    @classmethod
    def _upgrade_format_1(cls, payload: Any) -> Any:
        if not isinstance(payload, dict) or "params" in payload or not {"config", "seed"} <= set(payload):
            return payload
        config, seed = payload.pop("config"), payload.pop("seed")
        if not isinstance(config, dict):
            raise ValueError("format 1: 'config' must be a mapping")
        try:
            params = {key: config[key] for key in FORMAT_1_DETECTOR_KEYS}
            params["loss"] = "huber" if config["normal"] == "all" else "mse"
        except KeyError as missing:
            raise ValueError(f"format 1: 'config' lacks {missing}") from None
        return {**payload, "params": {**params, **FORMAT_1_DETECTOR_TRAINING, "seed": seed}}


FORMAT_1_DETECTOR_KEYS = (
    "kind",
    "gated_cell",
    "units",
    "lookback",
    "mode",
    "val_fraction",
    "epochs",
    "batch_size",
    "learning_rate",
    "patience",
    "max_train_windows",
    "ensemble",
)
"""Keys of a format-1 ``detector.json`` config that are a detector's keyword arguments under the same name."""
FORMAT_1_DETECTOR_TRAINING = {"schedule": "constant", "clipnorm": 1.0, "l2": 0.0, "verbose": 0}
"""How format-1 detectors were trained, beyond what their config recorded."""


def _offset_alias(frequency: str) -> str:
    from forecaster.data.calendar import normalise_frequency  # pandas only when reading a run

    try:
        normalise_frequency(frequency)
    except ValueError:
        raise ValueError(f"{frequency!r} is not a frequency such as 'h', '15min', 'B', 'MS' or 'step'") from None
    return frequency


def read_artefact(path: str | Path, schema: type[Artefact]) -> Artefact:
    """Read a run folder's JSON file through its schema.

    Args:
        path: the file.
        schema: its :class:`ArtefactFile` subclass.

    Returns:
        The validated file contents.

    Raises:
        RunError: one line naming the file and, where the contents do not fit,
            the key: the file is missing, unreadable, not JSON, of a newer
            format, or holds a value of the wrong type or range.
    """
    path = Path(path)
    try:
        payload = json.loads(path.read_text())
    except FileNotFoundError:
        raise RunError(
            f"{path}: missing; the run folder is incomplete: pass a whole run folder or run the job again"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RunError(
            f"{path}: cannot read it ({exc.__class__.__name__}); check the file or run the job again"
        ) from None
    except json.JSONDecodeError as exc:
        raise RunError(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno}); the file was cut short or edited: "
            "restore it or run the job again"
        ) from None
    try:
        return schema.model_validate(payload)
    except ValidationError as exc:
        raise RunError(f"{path}: {describe_error(exc)}; restore the file or run the job again") from None


def artefact_payload(schema: type[ArtefactFile], payload: dict) -> dict:
    """Validate ``payload`` against ``schema`` and return it as JSON-ready data with ``format_version``.

    Args:
        schema: the file's schema.
        payload: what is about to be written.

    Returns:
        The payload, ``format_version`` first.

    Raises:
        ValueError: when the payload does not fit its own schema (a bug).
    """
    return schema.model_validate({"format_version": schema.FORMAT, **payload}).model_dump(mode="json")


def describe_error(exc: ValidationError) -> str:
    """One line naming the first key of ``exc`` that does not fit, what was expected and what was found."""
    error = exc.errors()[0]
    location = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]).lstrip(".")
    message = error["msg"].removeprefix("Value error, ")
    got = repr(error.get("input"))
    got = got if len(got) <= MAX_SHOWN else f"{got[:MAX_SHOWN]}..."
    where = f"key '{location}'" if location else "the top level"
    shown = "" if error["type"] in ("value_error", "missing") else f" (got {got})"
    return f"{where}: {message}{shown}"
