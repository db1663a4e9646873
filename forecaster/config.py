"""Typed, validated run configuration loaded from YAML with ``--set`` overrides.

One loader, :func:`load_config`, builds every config object. It refuses unknown
keys (naming the nearest valid one), wrong types and out-of-range values with a
one-line :class:`~forecaster.errors.ConfigError` that names the file and key.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import re
import zoneinfo
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from forecaster.errors import ConfigError

MAX_CONFIG_BYTES = 1_000_000
"""Config files larger than this are refused unread."""
MAX_YAML_NODES = 100_000
"""Values a config may hold once YAML aliases are expanded (an alias bomb holds billions)."""
DATA_SUFFIXES = frozenset({".csv", ".tsv", ".parquet", ".pq"})
"""Suffixes of data files, refused as configs unread (a ``.txt`` file is judged by its content)."""
TABLE_SNIFF_BYTES = 65_536
"""Bytes read from the start of a file that is no config, to tell whether it holds a table."""
TABLE_SNIFF_LINES = 5
"""Lines of those bytes that must split alike for the file to read as a table."""
MAX_SHOWN = 80
"""Characters of a refused value quoted in an error message."""
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
MAX_SEED = 2**31 - 1
MAX_ROWS = 10**10
MAX_STEPS = 100_000
MAX_UNITS = 4096
MAX_LAYERS = 16
MAX_EPOCHS = 100_000
MAX_BATCH = 1_000_000
MAX_ENSEMBLE = 64
MAX_LEARNING_RATE = 10.0


class Section(BaseModel):
    """Base of every config section: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, frozen=False, allow_inf_nan=False)


class CsvConfig(Section):
    """How a CSV file is written (``data.csv``).

    Attributes:
        sep: field separator; ``None`` sniffs it (``,`` ``;`` tab ``|``).
        decimal: decimal mark of numbers, ``.`` or ``,``.
        thousands: thousands separator inside numbers; ``None`` for none.
        encoding: text encoding (``utf-8``, ``cp1252`` ...); ``None`` follows
            a byte-order mark if there is one, else UTF-8.
    """

    sep: Literal[",", ";", "\t", "|"] | None = None
    decimal: Literal[".", ","] = "."
    thousands: Literal[",", ".", " ", "'", "_"] | None = None
    encoding: str | None = None

    @model_validator(mode="after")
    def _check_marks(self) -> "CsvConfig":
        if self.thousands == self.decimal:
            raise ValueError(f"thousands and decimal are both {self.decimal!r}; they must differ")
        if self.sep is not None and self.sep in (self.decimal, self.thousands):
            raise ValueError(f"sep {self.sep!r} is also the decimal mark or thousands separator; they must differ")
        if self.encoding is not None:
            try:
                codecs.lookup(self.encoding)
            except LookupError:
                raise ValueError(
                    f"encoding {self.encoding!r} is not a known text encoding (use e.g. utf-8 or cp1252)"
                ) from None
        return self


class DataConfig(Section):
    """Where the series come from and how its problems are repaired.

    Attributes:
        path: CSV or Parquet file, relative to the working directory;
            ``None`` for data handed over in memory (the Python API).
        format: ``auto`` picks by file suffix.
        time_column: column parsed to the time index.
        id_column: column naming the series in long format; ``None`` for one series.
        target_columns: columns to forecast; empty means every numeric column.
        past_covariates: columns known only up to the forecast origin.
        future_covariates: columns known ahead of time (holidays, planned
            maintenance, weather forecasts, prices): inputs over the lookback and,
            next to the calendar features, over the horizon; a forecast needs
            their values for the horizon.
        frequency: pandas offset alias (``h``, ``15min``); ``None`` infers it.
        timezone: convert every timestamp to this zone; required for files
            that mix UTC offsets. ``None`` keeps naive or single-zone stamps.
        duplicates: ``refuse`` duplicate timestamps or aggregate them.
        fill: how gaps and NaN/inf values are repaired; ``mask`` keeps them
            missing and excludes them from losses and metrics.
        max_rows: keep only the first ``max_rows`` rows of each series
            (after sorting); ``None`` keeps all.
        time_format: ``strftime`` format of the time column (``%d.%m.%Y``);
            ``None`` infers one format from the whole column.
        dayfirst: read ambiguous dates such as ``03.04.2021`` day first
            (``true``) or month first (``false``); ``None`` refuses them.
        time_unit: unit of a numeric time column: epoch ``s``/``ms``/``us``/``ns``
            or ``step`` (plain step numbers); ``None`` infers an epoch unit
            from the magnitude where only one fits.
        holidays: dates a business-day series skips besides weekends.
        csv: the ``data.csv`` section (separator, decimal mark, encoding).
        url: SQLAlchemy URL of the database ``forecaster scan --data-query``
            reads rows from (time, id and value columns named as above).
    """

    path: Path | None = None
    format: Literal["auto", "csv", "parquet"] = "auto"
    time_column: str = "date"
    id_column: str | None = None
    target_columns: list[str] = Field(default_factory=list)
    past_covariates: list[str] = Field(default_factory=list)
    future_covariates: list[str] = Field(default_factory=list)
    frequency: str | None = None
    timezone: str | None = None
    duplicates: Literal["refuse", "mean", "first", "last", "sum", "min", "max"] = "refuse"
    fill: Literal["interpolate", "ffill", "mask", "refuse"] = "interpolate"
    max_rows: int | None = Field(default=None, ge=1, le=MAX_ROWS)
    time_format: str | None = None
    dayfirst: bool | None = None
    time_unit: Literal["s", "ms", "us", "ns", "step"] | None = None
    holidays: list[dt.date] = Field(default_factory=list)
    csv: CsvConfig = Field(default_factory=CsvConfig)
    url: str | None = None

    @model_validator(mode="after")
    def _check_time_settings(self) -> "DataConfig":
        if self.time_format is not None and (self.dayfirst is not None or self.time_unit is not None):
            raise ValueError("time_format already fixes how times are read; drop dayfirst and time_unit")
        if self.time_format is not None and "%" not in self.time_format:
            raise ValueError(f"time_format {self.time_format!r} has no % directive; use e.g. '%d.%m.%Y %H:%M'")
        if self.holidays and self.frequency not in (None, "B", "C"):
            raise ValueError(
                f"holidays apply to business days; frequency is {self.frequency!r} (use B or leave it unset)"
            )
        return self

    @model_validator(mode="after")
    def _check_columns_and_zone(self) -> "DataConfig":
        named = [*self.target_columns, *self.past_covariates, *self.future_covariates]
        repeated = sorted({name for name in named if named.count(name) > 1})
        if repeated:
            raise ValueError(
                f"columns {repeated} are named more than once in target_columns/past_covariates/future_covariates; "
                "list each once"
            )
        if self.timezone is not None:
            try:
                zoneinfo.ZoneInfo(self.timezone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"timezone {self.timezone!r} is not a known time zone (use e.g. UTC or Europe/Paris)"
                ) from None
        return self


class WindowsConfig(Section):
    """Shape of the (lookback, horizon) windows cut from each series.

    Attributes:
        lookback: input steps per window (>= 1).
        horizon: forecast steps per window (>= 1).
        stride: steps between consecutive window starts (>= 1).
        calendar_features: known-future covariates derived from timestamps.
    """

    lookback: int = Field(96, ge=1, le=MAX_STEPS)
    horizon: int = Field(24, ge=1, le=MAX_STEPS)
    stride: int = Field(1, ge=1, le=MAX_STEPS)
    calendar_features: list[Literal["hour", "dayofweek", "dayofmonth", "dayofyear", "month"]] = Field(
        default_factory=list
    )

    @model_validator(mode="after")
    def _check_calendar_features(self) -> "WindowsConfig":
        if len(set(self.calendar_features)) != len(self.calendar_features):
            raise ValueError(f"calendar_features must not repeat a name, got {self.calendar_features}")
        return self


class SplitConfig(Section):
    """Time-ordered train/validation/test split of every series.

    Exactly one of the three ways is used, chosen by ``method``:
    ``fractions`` (``train``, ``val``, ``test`` summing to 1), ``rows`` (row
    counts ``train_rows``, ``val_rows``, ``test_rows``) or ``dates`` (the
    first timestamp of validation and of test: ``val_start``, ``test_start``).
    """

    method: Literal["fractions", "rows", "dates"] = "fractions"
    train: float = Field(0.7, gt=0, lt=1)
    val: float = Field(0.15, ge=0, lt=1)
    test: float = Field(0.15, ge=0, lt=1)
    train_rows: int | None = Field(None, ge=1, le=MAX_ROWS)
    val_rows: int | None = Field(None, ge=0, le=MAX_ROWS)
    test_rows: int | None = Field(None, ge=0, le=MAX_ROWS)
    val_start: dt.datetime | None = None
    test_start: dt.datetime | None = None

    @model_validator(mode="after")
    def _check_method_fields(self) -> "SplitConfig":
        if self.method == "fractions" and abs(self.train + self.val + self.test - 1.0) > 1e-9:
            raise ValueError(
                f"split fractions must sum to 1, got train + val + test = "
                f"{self.train} + {self.val} + {self.test} = {self.train + self.val + self.test:g}"
            )
        if self.method == "rows" and None in (self.train_rows, self.val_rows, self.test_rows):
            raise ValueError("method 'rows' needs train_rows, val_rows and test_rows")
        if self.method == "dates":
            if self.val_start is None or self.test_start is None:
                raise ValueError("method 'dates' needs val_start and test_start")
            if self.val_start > self.test_start:
                raise ValueError(f"val_start {self.val_start} must not be after test_start {self.test_start}")
        return self


class ScalingConfig(Section):
    """Scaler fitted on the training rows only.

    Attributes:
        method: ``standard`` (z-score), ``minmax``, ``robust`` or ``none``.
        scope: one scaler for all series (``global``) or one per series.
    """

    method: Literal["standard", "minmax", "robust", "none"] = "standard"
    scope: Literal["global", "per_series"] = "global"


class ModelConfig(Section):
    """The forecasting network.

    Attributes:
        kind: ``lstm`` / ``gru`` (Keras layers) or ``gated`` (the hand-written
            cells of :mod:`forecaster.cells`, chosen by ``gated_cell``).
        gated_cell: ``lstm``, ``gru`` or ``peephole`` when ``kind`` is ``gated``.
        encoder: ``recurrent`` runs the cell over every lookback step;
            ``segment`` runs it over non-overlapping segments of
            ``segment_length`` steps, each embedded first (SegRNN style).
        segment_length: steps per segment for the ``segment`` encoder.
        units: hidden units per recurrent layer.
        layers: stacked recurrent layers.
        dropout: input dropout of recurrent layers and the head.
        recurrent_dropout: dropout on the recurrent state.
        residual: add each stacked layer's input to its output.
        bidirectional: run the encoder both ways over the lookback.
        instance_norm: subtract each window's mean and divide by its std
            before the network, undo it on the outputs (RevIN style).
        instance_norm_method: ``mean_std`` subtracts the window mean of each
            target column and divides by its std (RevIN); ``last`` subtracts
            the last observed value only (SegRNN's default).
        channel_independent: model each target column as its own univariate
            series with shared weights, instead of jointly.
        attention: attention of the head over the encoder outputs.
        decoder: step that decodes each block of ``segment_length`` output
            steps from the encoder's final state: ``dense`` (``Dense(relu)`` of
            state and block embedding) or ``gru`` (one GRU step on the block
            embedding with the final state as state, SegRNN's decoder).
        use_future_covariates: feed known-future calendar features to the head.
        linear_skip: add a linear forecast from each target column's
            (instance-normalised) lookback to the network's forecast, so the
            network learns what a linear model misses (LSTNet's highway).
        quantiles: quantile levels of a quantile head trained with the pinball
            loss; empty for a point forecast.
        loss: loss of a point forecast.
    """

    kind: Literal["lstm", "gru", "gated"] = "lstm"
    gated_cell: Literal["lstm", "gru", "peephole"] = "lstm"
    encoder: Literal["recurrent", "segment"] = "recurrent"
    segment_length: int = Field(24, ge=1, le=MAX_STEPS)
    units: int = Field(64, ge=1, le=MAX_UNITS)
    layers: int = Field(1, ge=1, le=MAX_LAYERS)
    dropout: float = Field(0.0, ge=0, lt=1)
    recurrent_dropout: float = Field(0.0, ge=0, lt=1)
    residual: bool = False
    bidirectional: bool = False
    instance_norm: bool = True
    instance_norm_method: Literal["mean_std", "last"] = "mean_std"
    channel_independent: bool = False
    attention: Literal["none", "dot", "additive"] = "none"
    decoder: Literal["dense", "gru"] = "dense"
    use_future_covariates: bool = True
    linear_skip: bool = False
    quantiles: list[float] = Field(default_factory=lambda: [0.1, 0.5, 0.9])
    loss: Literal["mse", "mae", "huber"] = "mse"

    @model_validator(mode="after")
    def _check_quantiles(self) -> "ModelConfig":
        if any(not 0 < q < 1 for q in self.quantiles):
            raise ValueError(f"quantiles must lie strictly between 0 and 1, got {self.quantiles}")
        if self.quantiles and 0.5 not in self.quantiles:
            raise ValueError(f"quantiles must include 0.5 (the point forecast), got {self.quantiles}")
        if any(low >= high for low, high in zip(self.quantiles, self.quantiles[1:])):
            raise ValueError(f"quantiles must be distinct and increasing, e.g. [0.1, 0.5, 0.9], got {self.quantiles}")
        return self


class TrainingConfig(Section):
    """How the network is trained.

    Attributes:
        epochs: maximum epochs.
        batch_size: windows per batch.
        learning_rate: initial Adam learning rate.
        schedule: ``constant``, ``cosine`` decay over all epochs, or
            ``plateau`` (halve when validation loss stalls).
        clipnorm: gradient clipping by norm; ``None`` disables it.
        l2: L2 penalty on kernels.
        patience: epochs without validation improvement before early stopping
            (the best weights are restored).
        max_train_windows: train on at most this many windows per epoch
            (a random subset each epoch); ``None`` uses all.
        ensemble: networks trained independently (seeds ``seed``, ``seed + 1``,
            ...) whose forecasts are averaged into one saved model; 1 trains a
            single network.
        verbose: Keras progress output (0 silent, 1 progress bar, 2 a line per epoch).
    """

    epochs: int = Field(20, ge=1, le=MAX_EPOCHS)
    batch_size: int = Field(64, ge=1, le=MAX_BATCH)
    learning_rate: float = Field(1e-3, gt=0, le=MAX_LEARNING_RATE)
    schedule: Literal["constant", "cosine", "plateau"] = "plateau"
    clipnorm: float | None = Field(1.0, gt=0)
    l2: float = Field(0.0, ge=0)
    patience: int = Field(5, ge=1, le=MAX_EPOCHS)
    max_train_windows: int | None = Field(None, ge=1, le=MAX_ROWS)
    ensemble: int = Field(1, ge=1, le=MAX_ENSEMBLE)
    verbose: Literal[0, 1, 2] = 2


class EvaluationConfig(Section):
    """Baselines, intervals and backtests.

    Attributes:
        seasonal_period: period of the seasonal-naive baseline and MASE;
            ``None`` infers it from the frequency.
        interval_alpha: miscoverage of the split-conformal intervals
            (0.2 gives 80% intervals).
        predictions_every: save the test predictions of every k-th origin
            (1 saves all; metrics always use every test window).
    """

    seasonal_period: int | None = Field(None, ge=1, le=MAX_STEPS)
    interval_alpha: float = Field(0.2, gt=0, lt=1)
    predictions_every: int = Field(1, ge=1)


class ReportConfig(Section):
    """Where run folders go and what they contain.

    Attributes:
        output_dir: parent folder of run folders.
        max_plot_points: series longer than this are thinned in figures.
    """

    output_dir: Path = Path("reports")
    max_plot_points: int = Field(5000, ge=100)


class CellCheckConfig(Section):
    """Settings of ``forecaster check-cell``.

    Attributes:
        n_random_cases: random-shape equivalence cases per cell kind.
        data_path: real series used for the bundled-data cases.
        units: hidden units of the layers checked on real data.
        time_steps: sequence length of the real-data cases.
    """

    n_random_cases: int = Field(5, ge=0)
    data_path: Path = Path("data/ett/ETTh1.csv")
    units: int = Field(16, ge=1)
    time_steps: int = Field(48, ge=1)


class ClaimsConfig(Section):
    """Settings of ``forecaster claims``: SimpleRNN, GRU and LSTM measured on a series and on a recall task.

    Attributes:
        data_path: series of the forecasting comparison and the gradient norms
            (CSV or Parquet; every numeric column is an input).
        target_column: numeric column forecast.
        lookback: input steps per forecasting window; gradient norms are
            measured at lags 0 to ``lookback - 1``.
        horizon: steps forecast per window.
        train_fraction: first share of the rows trained on; the rest is test.
        max_train_windows: train on a random subset of this many windows (the
            same for every cell); ``None`` uses all.
        units: hidden units of every recurrent layer.
        epochs: training epochs of the forecasting models.
        batch_size: windows or sequences per batch.
        learning_rate: Adam learning rate of every model.
        gradient_windows: test windows whose gradient norms are averaged.
        timing_rounds: training steps per model timed (in alternation) for
            the time per epoch.
        recall_lags: increasing lags of the recall task (the answer is the
            input this many steps before the last).
        recall_symbols: alphabet of the recall task (chance accuracy is 1 / recall_symbols).
        recall_train_sequences: training sequences per lag.
        recall_test_sequences: held-out sequences per lag.
        recall_epochs: training epochs per lag, cell and seed.
        recall_seeds: models trained per lag and cell (seeds ``seed``,
            ``seed + 1``, ...); accuracies are averaged over them.
        memory_threshold: held-out accuracy counted as remembering.
    """

    data_path: Path = Path("data/ett/ETTh1.csv")
    target_column: str = "OT"
    lookback: int = Field(96, ge=2, le=MAX_STEPS)
    horizon: int = Field(24, ge=1, le=MAX_STEPS)
    train_fraction: float = Field(0.7, gt=0, lt=1)
    max_train_windows: int | None = Field(2048, ge=1, le=MAX_ROWS)
    units: int = Field(32, ge=1, le=MAX_UNITS)
    epochs: int = Field(5, ge=1, le=MAX_EPOCHS)
    batch_size: int = Field(64, ge=1, le=MAX_BATCH)
    learning_rate: float = Field(3e-3, gt=0, le=MAX_LEARNING_RATE)
    gradient_windows: int = Field(16, ge=1, le=MAX_BATCH)
    timing_rounds: int = Field(20, ge=1, le=MAX_EPOCHS)
    recall_lags: list[int] = Field(default_factory=lambda: [8, 16, 32, 64])
    recall_symbols: int = Field(8, ge=2, le=MAX_UNITS)
    recall_train_sequences: int = Field(2048, ge=1, le=MAX_ROWS)
    recall_test_sequences: int = Field(512, ge=1, le=MAX_ROWS)
    recall_epochs: int = Field(20, ge=1, le=MAX_EPOCHS)
    recall_seeds: int = Field(3, ge=1, le=MAX_ENSEMBLE)
    memory_threshold: float = Field(0.9, gt=0, le=1)

    @model_validator(mode="after")
    def _check_recall_lags(self) -> "ClaimsConfig":
        lags = self.recall_lags
        if not lags or lags[0] < 1 or lags[-1] > MAX_STEPS or any(low >= high for low, high in zip(lags, lags[1:])):
            raise ValueError(f"recall_lags must be increasing lags from 1 to {MAX_STEPS}, e.g. [4, 8, 16], got {lags}")
        return self


class ThresholdConfig(Section):
    """How point errors become anomaly flags (``anomaly.threshold``).

    Attributes:
        method: ``quantile`` of the reference errors, ``std`` (mean + ``k``
            standard deviations of them), ``dynamic`` (Hundman et al. 2018:
            epsilon chosen per block of scored errors, with pruning) or
            ``pot`` (peaks over threshold, Siffer et al. 2017).
        quantile: level of the ``quantile`` method.
        k: standard deviations above the mean for ``std``.
        risk: target false-alarm probability per point for ``pot``.
        pot_init_quantile: quantile of the reference errors above which ``pot``
            fits its generalised Pareto tail.
        z_min: smallest z of the ``dynamic`` epsilon search (epsilon = mean + z std).
        z_max: largest z of the ``dynamic`` search.
        prune: minimum relative drop between consecutive anomalous-sequence
            maxima that ``dynamic`` keeps (Hundman's p).
        block: scored errors per ``dynamic`` block.
    """

    method: Literal["quantile", "std", "dynamic", "pot"] = "pot"
    quantile: float = Field(0.995, gt=0, lt=1)
    k: float = Field(4.0, gt=0)
    risk: float = Field(1e-3, gt=0, lt=1)
    pot_init_quantile: float = Field(0.98, gt=0, lt=1)
    z_min: float = Field(2.0, gt=0)
    z_max: float = Field(10.0, gt=0)
    prune: float = Field(0.13, ge=0, lt=1)
    block: int = Field(2000, ge=10)

    @model_validator(mode="after")
    def _check_z_range(self) -> "ThresholdConfig":
        if self.z_min >= self.z_max:
            raise ValueError(f"z_min must be below z_max, got z_min {self.z_min} and z_max {self.z_max}")
        return self


ANOMALY_TRAINING_DEFAULTS = {
    "epochs": 10,
    "batch_size": 64,
    "learning_rate": 3e-3,
    "schedule": "constant",
    "patience": 3,
    "max_train_windows": 4096,
    "ensemble": 1,
    "verbose": 0,
}
"""The ``anomaly.training`` values that differ from the ``training`` section's defaults."""


class EventConfig(Section):
    """How flagged points become events, in ``forecaster detect`` and ``forecaster scan`` alike (``anomaly.events``).

    An event opens when at least ``min_points`` flagged points of a series
    fall within ``within``, unless the series' last event ended less than
    ``cooldown`` before; flagged points no more than ``close_after`` after an
    open event's last one extend it, and it closes once its series has been
    quiet for longer than ``close_after``. Each span is a duration (``60min``,
    ``2h``, ``1D``) or a number of rows (steps for step-numbered data).

    Attributes:
        min_points: flagged points needed to open an event.
        within: span the ``min_points`` points must fall within.
        cooldown: no new event for a series until this long after its last event ended.
        close_after: flagged points this close after an open event's end extend it;
            quiet for longer, it closes.
    """

    min_points: int = Field(1, ge=1)
    within: int | str = 3
    cooldown: int | str = 0
    close_after: int | str = 3

    @model_validator(mode="after")
    def _check_spans(self) -> "EventConfig":
        for name in ("within", "cooldown", "close_after"):
            value = getattr(self, name)
            if isinstance(value, str):
                _check_duration(name, value, examples="60min, 2h or 1D, or a number of rows such as 3")
            elif value < 0:
                raise ValueError(
                    f"{name}: {value} rows is negative; write a number of rows >= 0 or a duration such as 60min"
                )
        return self


class AnomalyConfig(Section):
    """The anomaly detector of ``forecaster detect`` (and of the main job).

    Attributes:
        detector: ``autoencoder`` (a recurrent encoder-decoder reconstructs each
            window) or ``residual`` (a forecaster predicts each point from the
            ``lookback`` before it).
        kind: recurrent layer: ``lstm``, ``gru`` or ``gated`` (the hand-written cells).
        gated_cell: ``lstm``, ``gru`` or ``peephole`` when ``kind`` is ``gated``.
        units: hidden units of the recurrent layers.
        lookback: rows per window (the autoencoder's window; the residual
            detector's input before the predicted point).
        normal: which rows are declared normal and trained on: the ``first``
            ``normal_fraction`` of each series, the ``dates`` from
            ``normal_start`` to ``normal_end``, or ``all`` rows with a robust
            (Huber) loss.
        normal_fraction: share of each series declared normal for ``first``.
        normal_start: first normal timestamp for ``dates`` (``None``: the start).
        normal_end: last normal timestamp for ``dates`` (``None``: the end).
        val_fraction: last share of each series' normal rows held out for early
            stopping and for the reference errors; no validation window
            overlaps a training window.
        training: the ``anomaly.training`` section, how the detector's network
            is trained: the same keys as the top-level ``training`` section,
            with the defaults of :data:`ANOMALY_TRAINING_DEFAULTS` (``epochs``
            10, ``batch_size`` 64, ``learning_rate`` 3e-3, ``schedule``
            constant, ``patience`` 3, ``max_train_windows`` 4096: at most this
            many normal windows, a random subset drawn once; ``ensemble`` 1,
            ``verbose`` 0).
        mode: ``causal`` scores a point from the window that ends at it;
            ``centered`` averages the errors of every window covering it
            (offline analysis only: it reads ahead).
        ewma_span: span of the EWMA smoothing of errors; 0 disables it.
        likelihood_history: past points whose errors form the distribution
            the anomaly likelihood compares against.
        likelihood_window: points averaged into the recent error compared.
        likelihood_robust: compare against the median and interquartile range
            of the history instead of its mean and standard deviation.
        seasonal_periods: cycles (pandas durations such as ``1D`` or ``7D``)
            whose seasonal-profile error (the point against the median of the
            same clock time ``seasonal_cycles`` cycles back) is scored beside the
            detector's error; the likelihood keeps the most surprising signal.
            Empty: the detector's error alone.
        seasonal_cycles: earlier cycles in the seasonal reference.
        alarm_signals: the non-seasonal error signals that compete in the
            alarm score beside the seasonal ones: ``detector`` (the network's
            error) and/or ``change`` (the absolute change from the previous
            row). The detector's error always drives the flags and events.
        alarm_level: log likelihood that counts as an alarm.
        alarm_quiet_rows: rows after an alarm whose alarm score is silenced, so
            one anomaly raises one alarm; 0 silences nothing.
        events: the ``anomaly.events`` section: persistence, cooldown and
            closing of the events flagged points are grouped into.
        top_features: features named per event as contributing most.
        unseen_series: what a detector scaled per series (trained on
            long-format data, ``data.id_column``) does with a series it has no
            scaling for: ``refuse`` it, or ``fit`` its scaling on its own
            normal rows (by ``normal``) of the data scored.
        threshold: the ``anomaly.threshold`` section.
    """

    detector: Literal["autoencoder", "residual"] = "autoencoder"
    kind: Literal["lstm", "gru", "gated"] = "lstm"
    gated_cell: Literal["lstm", "gru", "peephole"] = "lstm"
    units: int = Field(16, ge=1, le=MAX_UNITS)
    lookback: int = Field(32, ge=2, le=MAX_STEPS)
    normal: Literal["first", "dates", "all"] = "first"
    normal_fraction: float = Field(0.5, gt=0, le=1)
    normal_start: dt.datetime | None = None
    normal_end: dt.datetime | None = None
    val_fraction: float = Field(0.2, ge=0, lt=1)
    training: TrainingConfig = Field(default_factory=lambda: TrainingConfig(**ANOMALY_TRAINING_DEFAULTS))
    mode: Literal["causal", "centered"] = "causal"
    ewma_span: int = Field(0, ge=0)
    likelihood_history: int = Field(4000, ge=10)
    likelihood_window: int = Field(8, ge=1)
    likelihood_robust: bool = False
    seasonal_periods: list[str] = Field(default_factory=list)
    seasonal_cycles: int = Field(3, ge=1)
    alarm_signals: list[Literal["detector", "change"]] = Field(default_factory=lambda: ["detector"], min_length=1)
    alarm_level: float = Field(0.35, gt=0, lt=1)
    alarm_quiet_rows: int = Field(0, ge=0)
    events: EventConfig = Field(default_factory=EventConfig)
    top_features: int = Field(3, ge=1)
    unseen_series: Literal["refuse", "fit"] = "refuse"
    threshold: ThresholdConfig = Field(default_factory=ThresholdConfig)

    @model_validator(mode="before")
    @classmethod
    def _anomaly_training_defaults(cls, raw: Any) -> Any:
        """Give the keys that ``anomaly.training`` leaves out the anomaly defaults, not the forecaster's."""
        if isinstance(raw, dict) and isinstance(raw.get("training"), dict):
            return {**raw, "training": {**ANOMALY_TRAINING_DEFAULTS, **raw["training"]}}
        return raw

    @model_validator(mode="after")
    def _check_seasonal_periods(self) -> "AnomalyConfig":
        for period in self.seasonal_periods:
            _check_duration("seasonal_periods", period, examples="1D, 7D or 12h")
        if len(set(self.seasonal_periods)) != len(self.seasonal_periods):
            raise ValueError(f"seasonal_periods: a period is repeated in {self.seasonal_periods}")
        return self


def _check_duration(name: str, value: str, examples: str = "30min, 2h or 1D") -> str:
    """Refuse a duration pandas cannot read or that is not positive, suggesting ``examples``."""
    import pandas as pd  # only when validating; the config module stays light for the CLI

    try:
        positive = pd.Timedelta(value) > pd.Timedelta(0)
    except ValueError:
        positive = False
    if not positive:
        raise ValueError(f"{name}: {value!r} is not a positive duration; write e.g. {examples}")
    return value


class StoreConfig(Section):
    """Where ``forecaster scan`` keeps its results (``store``).

    Attributes:
        url: SQLAlchemy database URL: an SQLite file (relative paths are
            relative to the working directory) or a server such as
            ``postgresql+psycopg://user@host:5432/db``.
        keep_scores: days of scores kept per series, counted back from its
            last scored time; older scores are deleted by each scan. ``None``
            keeps every scored point.
    """

    url: str = "sqlite:///reports/scans.db"
    keep_scores: float | None = Field(None, gt=0)


class ScanConfig(Section):
    """How ``forecaster scan`` runs (``scan``); events follow ``anomaly.events``, as in ``forecaster detect``.

    Attributes:
        lock_timeout: seconds to wait for another scan of the same store to
            finish before giving up with exit code 75.
        group_size: series scored together in one batched predict call.
    """

    lock_timeout: float = Field(60.0, ge=0)
    group_size: int = Field(64, ge=1)


class ForecasterConfig(Section):
    """The whole configuration of one run.

    Attributes:
        name: run name, used in run-folder and backup names: 1 to 64 letters,
            digits, ``_``, ``.`` or ``-``, starting with a letter or digit.
        seed: seed for numpy, Python and Keras (``keras.utils.set_random_seed``),
            0 to 2**31 - 1 (ensemble members use ``seed + k``).
    """

    name: str = "run"
    seed: int = Field(42, ge=0, le=MAX_SEED)
    data: DataConfig | None = None
    windows: WindowsConfig = Field(default_factory=WindowsConfig)
    split: SplitConfig = Field(default_factory=SplitConfig)
    scaling: ScalingConfig = Field(default_factory=ScalingConfig)
    model: ModelConfig = Field(default_factory=ModelConfig)
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    evaluation: EvaluationConfig = Field(default_factory=EvaluationConfig)
    report: ReportConfig = Field(default_factory=ReportConfig)
    cell_check: CellCheckConfig = Field(default_factory=CellCheckConfig)
    claims: ClaimsConfig = Field(default_factory=ClaimsConfig)
    anomaly: AnomalyConfig = Field(default_factory=AnomalyConfig)
    store: StoreConfig = Field(default_factory=StoreConfig)
    scan: ScanConfig = Field(default_factory=ScanConfig)

    @field_validator("name")
    @classmethod
    def _check_name(cls, name: str) -> str:
        if not re.fullmatch(NAME_PATTERN, name):
            raise ValueError(
                "name must be 1 to 64 letters, digits, '_', '.' or '-', starting with a letter or digit "
                "(it names run folders and backups), e.g. etth1_demo"
            )
        return name

    @model_validator(mode="after")
    def _check_seed_range(self) -> "ForecasterConfig":
        for key, training in (("training", self.training), ("anomaly.training", self.anomaly.training)):
            if self.seed + training.ensemble - 1 > MAX_SEED:
                raise ValueError(f"seed + {key}.ensemble - 1 must be at most {MAX_SEED}, got seed {self.seed}")
        return self

    def require_data(self, source: str) -> DataConfig:
        """Return the data section, or raise if the config has none.

        Args:
            source: config file name, for the message.

        Raises:
            ConfigError: when no ``data`` section (or ``data.path``) was given.
        """
        if self.data is None:
            raise ConfigError(f"{source}: missing section 'data'; add data.path or pass --set data.path=FILE")
        if self.data.path is None:
            raise ConfigError(f"{source}: missing key 'data.path'; add it to the file or pass --set data.path=FILE")
        return self.data


def forecaster_kwargs(config: ForecasterConfig) -> dict[str, Any]:
    """The keyword arguments of :class:`~forecaster.models.Forecaster` that a config gives.

    Every key of the ``model`` and ``training`` sections under its own name,
    and ``seed``; ``training.batch_size`` is left out (it sizes the batches of
    the windowed datasets, not the forecaster).

    Args:
        config: the validated config.

    Returns:
        ``{"kind": ..., "units": ..., "epochs": ..., "seed": ...}``.
    """
    return {
        **config.model.model_dump(),
        "quantiles": tuple(config.model.quantiles),
        **config.training.model_dump(exclude={"batch_size"}),
        "seed": config.seed,
    }


def detector_kwargs(anomaly: AnomalyConfig, seed: int) -> dict[str, Any]:
    """The arguments of :func:`~forecaster.anomaly.make_detector` that a config's ``anomaly`` section gives.

    ``detector``, ``lookback``, ``units``, ``kind``, ``gated_cell``, ``mode``
    and ``val_fraction`` under their own names, every key of
    ``anomaly.training``, ``loss`` (Huber when every row is declared normal,
    ``anomaly.normal: all``, to resist the anomalies among them; else the mean
    squared error) and ``seed``.

    Args:
        anomaly: the validated ``anomaly`` section.
        seed: the run's seed (``seed``).

    Returns:
        ``{"detector": ..., "lookback": ..., "epochs": ..., "seed": ...}``.
    """
    return {
        **anomaly.model_dump(include={"detector", "lookback", "units", "kind", "gated_cell", "mode", "val_fraction"}),
        "loss": "huber" if anomaly.normal == "all" else "mse",
        **anomaly.training.model_dump(),
        "seed": seed,
    }


def load_config(
    path: str | Path | None, overrides: list[str] | tuple[str, ...] = (), *, saved_by_run: bool = False
) -> ForecasterConfig:
    """Load, override and validate a YAML config.

    Args:
        path: YAML file; ``None`` starts from the defaults alone.
        overrides: ``dotted.key=value`` strings; values are parsed as YAML
            (``--set windows.lookback=48``, ``--set data.path=other.csv``).
        saved_by_run: ``path`` is the ``config.yaml`` a run folder saved. Keys an
            older version wrote at their old place (:data:`MOVED_KEYS`) are then
            moved to their new place, so runs trained before a key moved still
            load; in a config a person wrote they are refused, naming the new key.
            Default ``False``.

    Returns:
        The validated :class:`ForecasterConfig`.

    Raises:
        ConfigError: naming the file and key for a missing or unparsable file,
            an unknown key (with the nearest valid key), a wrong type or an
            out-of-range value.
    """
    source = str(path) if path is not None else "defaults"
    raw: dict[str, Any] = {}
    if path is not None:
        raw = _read_yaml(Path(path))
        if saved_by_run:
            _upgrade_moved_keys(raw)
        _check_keys(raw, ForecasterConfig, source, prefix="")
    for override in overrides:
        alone: dict[str, Any] = {}
        _apply_override(alone, override, source)
        _check_keys(alone, ForecasterConfig, "--set", prefix="")  # a misspelled override is not the file's fault
        _apply_override(raw, override, source)
    try:
        return ForecasterConfig.model_validate(raw)
    except ValidationError as exc:  # a bad value that came from --set is blamed on it, not on the file
        where = _error_location(exc)
        keys = [override.partition("=")[0].strip() for override in overrides]
        from_override = any(where == key or where.startswith(f"{key}.") for key in keys)
        message = _describe_validation_error(exc, "--set" if from_override else source)
        raise ConfigError(message + _list_hint(exc, from_override)) from None


def _list_hint(exc: ValidationError, from_override: bool) -> str:
    """How to write a list, for a list-typed key given text (``--set data.target_columns=OT,HUFL``); else ``""``.

    The ``--set`` example is quoted so that shells which expand ``[...]`` as a
    file pattern (zsh) pass it as written.
    """
    error = exc.errors()[0]
    if error["type"] not in ("list_type", "tuple_type", "set_type") or not isinstance(error.get("input"), str):
        return ""
    items = ",".join(item.strip() for item in error["input"].split(","))
    if from_override:
        return f"; write a list as --set '{_error_location(exc)}=[{_shorten(items)}]'"
    return f"; write a list as [{_shorten(items)}]"


def config_from_dict(raw: dict[str, Any], source: str = "config") -> ForecasterConfig:
    """Validate a nested mapping of sections (as a YAML config holds) into a config.

    Args:
        raw: ``{"windows": {"lookback": 48}, ...}``; missing keys take their defaults.
        source: name of where the mapping came from, for messages. Default ``"config"``.

    Returns:
        The validated :class:`ForecasterConfig`.

    Raises:
        ConfigError: naming ``source`` and the key, as :func:`load_config` does.
    """
    _check_keys(raw, ForecasterConfig, source, prefix="")
    try:
        return ForecasterConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe_validation_error(exc, source)) from None


def config_to_dict(config: ForecasterConfig) -> dict[str, Any]:
    """Return the resolved config as plain YAML-safe data (paths and dates as strings)."""
    return config.model_dump(mode="json")


def refuse_overrides(overrides: list[str] | tuple[str, ...], fixed: tuple[str, ...], reason: str) -> None:
    """Refuse ``--set`` overrides of keys that something saved has fixed (a trained run's model, say).

    Args:
        overrides: ``dotted.key=value`` strings.
        fixed: dotted keys or whole sections (``"model"``) that must not change.
        reason: why they are fixed, for the message (``"fixed when RUN was trained"``).

    Raises:
        ConfigError: naming the first override of a fixed key.
    """
    for override in overrides:
        key = override.partition("=")[0].strip()
        if any(key == name or key.startswith(f"{name}.") or name.startswith(f"{key}.") for name in fixed):
            raise ConfigError(f"--set {_shorten(key)}: {reason}; drop the override (or train a new run with it)")


MOVED_KEYS = {
    **{
        f"anomaly.{key}": f"anomaly.training.{key}"
        for key in ("epochs", "batch_size", "learning_rate", "patience", "max_train_windows", "ensemble")
    },
    # detect and scan group flagged points into events by one rule
    "anomaly.min_gap": "anomaly.events.close_after",
    "anomaly.min_length": "anomaly.events.min_points",
    **{f"scan.{key}": f"anomaly.events.{key}" for key in ("min_points", "within", "cooldown", "close_after")},
}
"""Keys that moved, refused at their old place with a message naming the new one."""

_DETECT_EVENT_KEYS = ("anomaly.min_gap", "anomaly.min_length")
"""The keys by which ``detect`` grouped events before detect and scan shared ``anomaly.events``."""


def _upgrade_moved_keys(raw: dict[str, Any]) -> None:
    """Move the keys of :data:`MOVED_KEYS` that an older version saved to their new place, in place.

    A run saved both ``detect``'s event keys and the scan's; the run's own events
    were grouped by ``detect``'s, so those win and the scan's are dropped.
    """

    def pop(dotted: str) -> Any:  # every old key is section.key
        section, _, key = dotted.partition(".")
        parent = raw.get(section)
        return parent.pop(key, None) if isinstance(parent, dict) else None

    detect_keys = {dotted: pop(dotted) for dotted in _DETECT_EVENT_KEYS}
    for old, new in MOVED_KEYS.items():
        value = detect_keys[old] if old in detect_keys else pop(old)
        if value is None or (old.startswith("scan.") and any(v is not None for v in detect_keys.values())):
            continue
        node = raw
        for part in new.split(".")[:-1]:
            node = node.setdefault(part, {})
        node.setdefault(new.split(".")[-1], value)


class _StrictLoader(yaml.SafeLoader):
    """YAML's safe loader that refuses a key written twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        """Build a mapping, refusing a repeated key (merge keys ``<<`` may still be overridden)."""
        seen: set = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
            except TypeError:  # an unhashable key; the safe loader refuses it below
                continue
            if repeated:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {_shorten(str(key))!r} is written twice in one mapping; keep one",
                    key_node.start_mark,
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _expanded_size(node: yaml.Node, sizes: dict[int, int], open_nodes: set[int]) -> int:
    """Values ``node`` holds once every alias is expanded; raises ValueError for an alias that contains itself."""
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in open_nodes:
        raise ValueError(f"an alias at line {node.start_mark.line + 1} refers to a value that contains it")
    open_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        children = [child for pair in node.value for child in pair]
    elif isinstance(node, yaml.SequenceNode):
        children = node.value
    else:
        children = []
    size = 1
    for child in children:
        size += _expanded_size(child, sizes, open_nodes)
        if size > MAX_YAML_NODES:
            raise ValueError(
                f"aliases expand to more than {MAX_YAML_NODES:,} values; write the values out or remove the aliases"
            )
    open_nodes.discard(id(node))
    sizes[id(node)] = size
    return size


def _shorten(text: str) -> str:
    """``text`` cut to :data:`MAX_SHOWN` characters, so no refused value floods a message."""
    return text if len(text) <= MAX_SHOWN else f"{text[:MAX_SHOWN]}... ({len(text):,} characters)"


def _parse_yaml(text: str | bytes) -> Any:
    """Parse YAML safely: repeated keys and aliases expanding past :data:`MAX_YAML_NODES` values refused.

    Raises:
        yaml.YAMLError: for a syntax error or a repeated key.
        ValueError: for aliases that expand too far or contain themselves.
        RecursionError: for values nested thousands deep.
    """
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _expanded_size(node, {}, set())
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _read_yaml(path: Path) -> dict[str, Any]:
    """Read a config file's top-level mapping, refusing a folder or a data file with a message that says so."""
    if path.is_dir():
        raise ConfigError(f"{path} is a folder; pass a YAML config file such as configs/etth1_demo.yaml")
    if not path.is_file():
        raise ConfigError(
            f"{path}: config file not found; pass the path of a YAML file such as configs/etth1_demo.yaml"
        )
    data_file = ConfigError(
        f"{path} looks like a data file, not a config: pass a YAML config such as configs/etth1_demo.yaml "
        f"and put the data in data.path (or --set data.path={path})"
    )
    if path.suffix.lower() in DATA_SUFFIXES:
        raise data_file
    try:
        return _read_mapping(path)
    except ConfigError:
        if _looks_like_table(path):
            raise data_file from None
        raise


def _looks_like_table(path: Path) -> bool:
    """Whether a file that is no config holds a table: Parquet's magic bytes, or CSV-like first lines.

    The first :data:`TABLE_SNIFF_LINES` lines look like CSV when there are at
    least two, the first is no YAML key (``name:`` or ``name: value``) and one
    of the separators ``,`` ``;`` tab ``|`` splits each into the same number
    (two or more) of fields.
    """
    with path.open("rb") as file:
        head = file.read(TABLE_SNIFF_BYTES)
    if head.startswith(b"PAR1"):
        return True
    lines = head.decode("utf-8", errors="replace").splitlines()
    if len(head) == TABLE_SNIFF_BYTES:
        lines = lines[:-1]  # the last line may be cut short
    lines = [line for line in lines[:TABLE_SNIFF_LINES] if line.strip()]
    header = lines[0].rstrip() if lines else ""
    if len(lines) < 2 or ": " in header or header.endswith(":"):
        return False
    return any(
        lines[0].count(sep) >= 1 and len({line.count(sep) for line in lines}) == 1 for sep in (",", ";", "\t", "|")
    )


def _read_mapping(path: Path) -> dict[str, Any]:
    if path.stat().st_size > MAX_CONFIG_BYTES:
        raise ConfigError(
            f"{path}: {path.stat().st_size:,} bytes is too large for a config (at most {MAX_CONFIG_BYTES:,})"
        )
    try:
        loaded = _parse_yaml(path.read_bytes())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}: YAML syntax error{where}: {problem}") from None
    except ValueError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: values nested too deeply; a config needs a few levels of sections") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise ConfigError(f"{path}: expected a mapping of sections at the top level, got {type(loaded).__name__}")
    return loaded


def _apply_override(raw: dict[str, Any], override: str, source: str) -> None:
    key, sep, text = override.partition("=")
    if not sep or not key.strip():
        raise ConfigError(f"--set {override!r}: expected dotted.key=value, e.g. --set windows.lookback=48")
    try:
        value = _parse_yaml(text) if text.strip() else None
    except yaml.YAMLError:
        value = text
    except (ValueError, RecursionError) as exc:
        raise ConfigError(f"--set {_shorten(key)}: {exc}") from None
    parts = key.strip().split(".")
    node = raw
    for depth, part in enumerate(parts[:-1]):
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            dotted = ".".join(parts[: depth + 1])
            raise ConfigError(f"--set {key}: '{dotted}' in {source} is a value, not a section")
        node = child
    node[parts[-1]] = value


def _check_keys(raw: Any, model: type[BaseModel], source: str, prefix: str) -> None:
    """Refuse unknown keys before pydantic does, so the message can name the nearest valid key."""
    if not isinstance(raw, dict):
        return
    fields = model.model_fields
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if dotted in MOVED_KEYS:
            raise ConfigError(f"{source}: {dotted} moved to {MOVED_KEYS[dotted]}; rename the key")
        if key not in fields:
            near = difflib.get_close_matches(str(key), list(fields), n=1, cutoff=0.5)
            hint = f"; did you mean '{prefix}{near[0]}'?" if near else f"; valid keys here: {', '.join(fields)}"
            raise ConfigError(f"{source}: unknown key '{_shorten(dotted)}'{hint}")
        sub_model = _section_model(fields[key].annotation)
        if sub_model is not None:
            _check_keys(value, sub_model, source, prefix=f"{dotted}.")


def _section_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _error_location(exc: ValidationError) -> str:
    """The dotted key of a validation error's first problem (list positions left out)."""
    return ".".join(str(part) for part in exc.errors()[0]["loc"] if not isinstance(part, int))


def _describe_validation_error(exc: ValidationError, source: str) -> str:
    error = exc.errors()[0]
    location = _error_location(exc)
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        return f"{source}: missing key '{location}'; add it to the file or pass --set {location}=VALUE"
    got = error.get("input")
    got_text = (
        "" if isinstance(got, dict) or error["type"].startswith("value_error") else f" (got {_shorten(repr(got))})"
    )
    where = f"'{location}'" if location else "config"
    return f"{source}: {where}: {_shorten(message) if len(message) > 4 * MAX_SHOWN else message}{got_text}"
