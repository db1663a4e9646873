"""Hostile configs: alias bombs, repeated keys, unsafe names, unbounded sizes and seeds end in one short line."""

import pytest

from forecaster.config import MAX_SHOWN, load_config, refuse_overrides
from forecaster.errors import ConfigError

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 9) if previous else ', '.join(['lol'] * 9)}]\n"
    for previous, name in zip(["", "a", "b", "c", "d", "e", "f", "g"], "abcdefgh")
)


def write(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, expected",
    [
        (BOMB, "aliases expand to more than 100,000 values"),
        ("a: &a [*a]\n", "refers to a value that contains it"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
        ("windows:\n  lookback: 3\n  lookback: 4\n", "line 3, column 3: key 'lookback' is written twice"),
        ("windows:\n  lookback: 3\nwindows:\n  horizon: 4\n", "key 'windows' is written twice"),
        ("seed: 99999999999999999999\n", "'seed': Input should be less than or equal to 2147483647"),
        ("seed: -1\n", "'seed': Input should be greater than or equal to 0"),
        ("seed: 2147483647\ntraining:\n  ensemble: 2\n", "seed + training.ensemble - 1 must be at most"),
        ("name: ../../x\n", "'name': name must be 1 to 64 letters"),
        ("name: /etc/cron.d/x\n", "'name': name must be 1 to 64 letters"),
        ('name: "a\\0b"\n', "'name': name must be 1 to 64 letters"),
        ("name: " + "a" * 65 + "\n", "'name': name must be 1 to 64 letters"),
        ("name: .hidden\n", "'name': name must be 1 to 64 letters"),
        ("training:\n  learning_rate: .inf\n", "'training.learning_rate': Input should be a finite number"),
        ("training:\n  learning_rate: .nan\n", "'training.learning_rate': Input should be a finite number"),
        ("training:\n  clipnorm: .inf\n", "'training.clipnorm': Input should be a finite number"),
        ("training:\n  epochs: 1000000000\n", "'training.epochs': Input should be less than or equal to 100000"),
        ("training:\n  ensemble: 1000\n", "'training.ensemble': Input should be less than or equal to 64"),
        ("model:\n  units: 100000000\n", "'model.units': Input should be less than or equal to 4096"),
        ("model:\n  layers: 1000\n", "'model.layers': Input should be less than or equal to 16"),
        ("windows:\n  lookback: 1000000000000\n", "'windows.lookback': Input should be less than or equal to 100000"),
        ("anomaly:\n  units: 100000\n", "'anomaly.units': Input should be less than or equal to 4096"),
        ("windows:\n  lookback: " + "9" * 5000 + "\n", "value has 5000 digits"),
        ("windows:\n  " + "k" * 500 + ": 1\n", "unknown key 'windows.kkkk"),
    ],
)
def test_hostile_configs_fail_with_one_short_line(tmp_path, text, expected):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message and len(message) < 400


def test_oversized_config_file_is_refused_unread(tmp_path):
    path = write(tmp_path, "# " + "x" * 2_000_000 + "\n")
    with pytest.raises(ConfigError, match="too large for a config"):
        load_config(path)


def test_alias_bomb_in_an_override_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="aliases expand to more than"):
        load_config(write(tmp_path, ""), ["model.quantiles=" + "{" + BOMB.replace("\n", ", ") + "}"])


def test_small_anchors_and_merge_keys_still_work(tmp_path):
    text = "windows: &w {lookback: 12, horizon: 6}\nanomaly:\n  lookback: 8\n  units: 4\n"
    config = load_config(write(tmp_path, text))
    assert (config.windows.lookback, config.windows.horizon) == (12, 6)
    merged = load_config(write(tmp_path, "windows:\n  <<: {lookback: 3, horizon: 2}\n  lookback: 5\n"))
    assert (merged.windows.lookback, merged.windows.horizon) == (5, 2)


def test_long_values_are_cut_in_messages(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, ""), ["data.fill=" + "x" * 10_000])
    assert len(str(info.value)) < 200 + MAX_SHOWN


@pytest.mark.parametrize(
    "override", ["model.quantiles=[0.2,0.5,0.8]", "model={units: 3}", "windows.lookback=4", "scaling.method=none"]
)
def test_refuse_overrides_names_the_fixed_key(override):
    with pytest.raises(ConfigError, match=r"^--set (model|windows|scaling)[.a-z]*: fixed when RUN was trained; drop"):
        refuse_overrides([override], ("model", "windows", "scaling"), "fixed when RUN was trained")


def test_refuse_overrides_lets_other_keys_pass():
    refuse_overrides(["report.output_dir=out", "data.fill=ffill"], ("model", "windows", "scaling"), "fixed")
