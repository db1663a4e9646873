"""Config loading: defaults, overrides, and one-line errors naming file and key."""

import re
from pathlib import Path

import pytest

from forecaster.config import config_to_dict, load_config
from forecaster.errors import ConfigError


def write(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def test_file_values_and_overrides_are_applied(tmp_path):
    path = write(tmp_path, "data:\n  path: a.csv\nwindows:\n  lookback: 12\n")
    config = load_config(path, ["windows.horizon=6", "data.target_columns=[x, y]", "data.id_column=null"])
    assert config.windows.lookback == 12
    assert config.windows.horizon == 6
    assert config.data.target_columns == ["x", "y"]
    assert config.data.id_column is None
    assert str(config.data.path) == "a.csv"


def test_override_wins_over_file(tmp_path):
    path = write(tmp_path, "data:\n  path: a.csv\n")
    assert str(load_config(path, ["data.path=other.csv"]).data.path) == "other.csv"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("windows:\n  lookbak: 3\n", "c.yaml: unknown key 'windows.lookbak'; did you mean 'windows.lookback'?"),
        ("widnows:\n  lookback: 3\n", "c.yaml: unknown key 'widnows'; did you mean 'windows'?"),
        ("windows:\n  lookback: 0\n", "'windows.lookback': Input should be greater than or equal to 1 (got 0)"),
        ("windows:\n  lookback: many\n", "'windows.lookback': Input should be a valid integer"),
        ("split:\n  train: 0.5\n", "split fractions must sum to 1, got train + val + test = 0.5 + 0.15 + 0.15 = 0.8"),
        ("split:\n  method: dates\n", "method 'dates' needs val_start and test_start"),
        (
            "data:\n  path: a.csv\n  fill: guess\n",
            "'data.fill': Input should be 'interpolate', 'ffill', 'mask' or 'refuse'",
        ),
        ("model:\n  quantiles: [0.1, 0.9]\n", "quantiles must include 0.5"),
        ("model:\n  quantiles: [0.9, 0.5, 0.1]\n", "quantiles must be distinct and increasing"),
        (
            "data:\n  path: a.csv\n  target_columns: [a]\n  past_covariates: [a]\n",
            "columns ['a'] are named more than once",
        ),
        ("data:\n  path: a.csv\n  timezone: Mars/Olympus\n", "timezone 'Mars/Olympus' is not a known time zone"),
        ("windows:\n  calendar_features: [hour, hour]\n", "calendar_features must not repeat a name"),
        ("windows: [1, 2\n", "YAML syntax error at line 2"),
        ("- a\n- b\n", "expected a mapping of sections at the top level"),
    ],
)
def test_bad_configs_fail_with_one_clear_line(tmp_path, text, expected):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    message = str(info.value)
    assert expected in message
    assert "c.yaml" in message
    assert "\n" not in message


def test_unknown_override_key_names_nearest_and_blames_the_override_not_the_file(tmp_path):
    with pytest.raises(ConfigError, match=r"^--set: unknown key 'training.epoch'; did you mean 'training.epochs'\?"):
        load_config(write(tmp_path, ""), ["training.epoch=3"])


def test_a_list_key_written_as_text_in_the_file_shows_how_to_write_a_list(tmp_path):
    with pytest.raises(ConfigError) as raised:
        load_config(write(tmp_path, "data:\n  target_columns: OT, HUFL\n"))
    assert str(raised.value) == (
        f"{tmp_path / 'c.yaml'}: 'data.target_columns': Input should be a valid list (got 'OT, HUFL'); "
        "write a list as [OT,HUFL]"
    )


def test_a_broken_config_whose_lines_split_alike_on_commas_is_not_taken_for_a_table(tmp_path):
    with pytest.raises(ConfigError, match=r"c.yaml: YAML syntax error at line 2, column \d+: "):
        load_config(
            write(tmp_path, "data: {path: a.csv, target_columns: [a, b]}\nwindows: {lookback: 4, horizon: [2}\n")
        )


def test_override_without_equals_is_refused():
    with pytest.raises(ConfigError, match="expected dotted.key=value"):
        load_config(None, ["windows.lookback"])


def test_missing_file_is_named_and_the_hint_names_a_real_config(tmp_path):
    with pytest.raises(ConfigError, match="nope.yaml: config file not found") as raised:
        load_config(tmp_path / "nope.yaml")
    suggested = re.search(r"such as (\S+\.yaml)", str(raised.value)).group(1)
    assert (Path(__file__).resolve().parents[1] / suggested).is_file()


def test_resolved_config_round_trips(tmp_path):
    config = load_config(
        write(tmp_path, "data:\n  path: a.csv\n"),
        ["split.method=dates", "split.val_start=2020-01-01", "split.test_start=2020-02-01"],
    )
    again = load_config(write(tmp_path, __import__("yaml").safe_dump(config_to_dict(config))))
    assert again == config


def test_every_shipped_config_loads():

    for path in sorted(Path(__file__).parents[1].joinpath("configs").glob("*.yaml")):
        load_config(path)


@pytest.mark.parametrize("key", ["epochs", "batch_size", "learning_rate", "patience", "max_train_windows", "ensemble"])
def test_the_old_flat_anomaly_training_keys_are_refused_naming_their_new_place(tmp_path, key):
    moved = f"anomaly.{key} moved to anomaly.training.{key}"
    with pytest.raises(ConfigError, match=rf"c\.yaml: {re.escape(moved)}; rename the key$"):
        load_config(write(tmp_path, f"anomaly:\n  {key}: 3\n"))
    with pytest.raises(ConfigError, match=rf"^--set: {re.escape(moved)}; rename the key$"):
        load_config(None, [f"anomaly.{key}=3"])


def test_anomaly_training_is_the_training_schema_with_the_detector_defaults(tmp_path):
    config = load_config(write(tmp_path, "anomaly:\n  training:\n    epochs: 4\n"), ["anomaly.training.clipnorm=0.5"])
    training = config.anomaly.training
    assert type(training) is type(config.training)
    assert (training.epochs, training.clipnorm) == (4, 0.5)
    assert (training.batch_size, training.learning_rate, training.schedule, training.patience) == (
        64,
        3e-3,
        "constant",
        3,
    )
    assert (training.max_train_windows, training.ensemble, training.verbose) == (4096, 1, 0)
    assert load_config(None).anomaly.training == training.model_copy(update={"epochs": 10, "clipnorm": 1.0})
    with pytest.raises(
        ConfigError, match="'anomaly.training.schedule': Input should be 'constant', 'cosine' or 'plateau'"
    ):
        load_config(None, ["anomaly.training.schedule=steps"])


def test_the_keyword_arguments_of_the_forecaster_and_the_detector_come_from_the_config():
    from forecaster.anomaly import make_detector
    from forecaster.config import detector_kwargs, forecaster_kwargs
    from forecaster.models import Forecaster

    config = load_config(
        None,
        [
            "model.units=12",
            "training.batch_size=7",
            "seed=3",
            "anomaly.normal=all",
            "anomaly.training.ensemble=2",
            "anomaly.detector=residual",
        ],
    )
    forecaster = Forecaster(**forecaster_kwargs(config))
    assert (forecaster.units, forecaster.seed, forecaster.quantiles) == (12, 3, (0.1, 0.5, 0.9))
    assert "batch_size" not in forecaster.get_params()
    detector = make_detector(**detector_kwargs(config.anomaly, config.seed))
    assert (type(detector).__name__, detector.ensemble, detector.loss, detector.seed) == (
        "ResidualDetector",
        2,
        "huber",
        3,
    )
    assert detector.get_params()["max_train_windows"] == 4096


OLD_RUN_CONFIG = """\
anomaly:
  epochs: 7
  ensemble: 2
  min_gap: 24
  min_length: 2
scan:
  min_points: 3
  within: 60min
  cooldown: 120min
  close_after: 60min
  lock_timeout: 30.0
"""


def test_a_config_saved_by_an_older_run_loads_with_its_keys_moved(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(OLD_RUN_CONFIG)
    with pytest.raises(ConfigError, match="anomaly.epochs moved to anomaly.training.epochs"):
        load_config(path)  # a config a person keeps is refused, naming the new key
    config = load_config(path, ["anomaly.training.epochs=3"], saved_by_run=True)
    assert (config.anomaly.training.epochs, config.anomaly.training.ensemble) == (3, 2)
    # the run grouped its events by detect's keys; the scan's old keys do not override them
    events = config.anomaly.events
    assert (events.close_after, events.min_points, events.cooldown) == (
        24,
        2,
        config.anomaly.events.model_fields["cooldown"].default,
    )
    assert config.scan.lock_timeout == 30.0


def test_a_bad_value_from_set_is_blamed_on_set_not_on_the_file(tmp_path):
    path = write(tmp_path, "training:\n  epochs: 3\n")
    with pytest.raises(ConfigError, match=r"^--set: 'training.epochs': Input should be a valid integer"):
        load_config(path, ["training.epochs=abc"])
    path.write_text("training:\n  epochs: abc\n")
    with pytest.raises(ConfigError, match=r"c.yaml: .training.epochs.: Input should be a valid integer"):
        load_config(path, ["windows.lookback=48"])
