"""Run folders that were cut short, hand-edited or come from another version end in one RunError line."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from forecaster.artefacts import FORMAT_VERSION, ForecasterStateFile
from forecaster.config import load_config
from forecaster.errors import ConfigError, RunError
from forecaster.jobs.commands import train_job
from forecaster.workflow.trained_run import load_trained_run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def trained_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("artefacts")
    n = 300
    index = pd.date_range("2024-01-01", periods=n, freq="h")
    wave = np.sin(2 * np.pi * np.arange(n) / 24)
    pd.DataFrame({"date": index, "load": 20 + 5 * wave, "temp": 10 + wave}).to_csv(folder / "series.csv", index=False)
    (folder / "tiny.yaml").write_text(f"""
name: tiny
data: {{path: {folder / "series.csv"}, target_columns: [load], past_covariates: [temp]}}
windows: {{lookback: 24, horizon: 6}}
model: {{units: 4, quantiles: [0.1, 0.5, 0.9]}}
training: {{epochs: 1, verbose: 0}}
report: {{output_dir: {folder / "reports"}}}
""")
    return train_job(load_config(folder / "tiny.yaml"), "tiny.yaml")


def edit_json(key_path, value):
    def edit(text):
        payload = json.loads(text)
        node = payload
        for key in key_path[:-1]:
            node = node[key]
        node[key_path[-1]] = value
        return json.dumps(payload)

    return edit


def edit_yaml(section, key, value):
    def edit(text):
        payload = yaml.safe_load(text)
        payload[section][key] = value
        return yaml.safe_dump(payload)

    return edit


CASES = [
    ("scaler.json", lambda text: "null", "scaler.json: the top level: Input should be a valid dictionary"),
    ("scaler.json", lambda text: "[]", "scaler.json: the top level: Input should be a valid dictionary"),
    ("scaler.json", lambda text: text[: len(text) // 2], "scaler.json: not valid JSON"),
    ("scaler.json", lambda text: "", "scaler.json: not valid JSON"),
    (
        "scaler.json",
        edit_json(["scale", 0, 0], 0.0),
        "scaler.json: the top level: scale[0][0] is 0; a scale must be positive",
    ),
    ("scaler.json", edit_json(["scale", 0, 1], -2.0), "scale[0][1] is -2; a scale must be positive"),
    ("scaler.json", edit_json(["center"], [[1.0]]), "center must be a non-empty list of equally long rows of 2 values"),
    ("scaler.json", edit_json(["method"], "magic"), "scaler.json: key 'method': Input should be"),
    ("scaler.json", edit_json(["n_targets"], "one"), "scaler.json: key 'n_targets': Input should be a valid integer"),
    (
        "scaler.json",
        edit_json(["columns"], ["temp", "load"]),
        "scaler.json: 'columns' is ['temp', 'load'], but schema.json",
    ),
    (
        "scaler.json",
        edit_json(["format_version"], FORMAT_VERSION + 1),
        "key 'format_version': format 2 was written by a newer forecaster",
    ),
    (
        "scaler.json",
        lambda text: text.replace('"scale": [', '"scale": [[NaN, 1.0], ').replace("]]\n}", "]]]\n}"),
        "scaler.json",
    ),
    ("scaler.json", edit_json(["extra"], 1), "scaler.json: key 'extra': Extra inputs are not permitted"),
    ("schema.json", lambda text: "null", "schema.json: the top level: Input should be a valid dictionary"),
    (
        "schema.json",
        edit_json(["lookback"], 48),
        "schema.json: 'lookback' is 48, but config.yaml windows.lookback is 24",
    ),
    (
        "schema.json",
        edit_json(["lookback"], -1),
        "schema.json: key 'lookback': Input should be greater than or equal to 1",
    ),
    (
        "schema.json",
        edit_json(["frequency"], "every now and then"),
        "schema.json: key 'frequency': 'every now and then' is not a frequency such as",
    ),
    (
        "schema.json",
        edit_json(["target_columns"], []),
        "schema.json: key 'target_columns': List should have at least 1 item",
    ),
    ("schema.json", edit_json(["series_ids"], None), "schema.json: key 'series_ids': Input should be a valid list"),
    ("intervals.json", lambda text: "[]", "intervals.json: the top level: Input should be a valid dictionary"),
    ("intervals.json", edit_json(["kind"], "os.system"), "intervals.json: key 'kind': Input should be"),
    ("intervals.json", edit_json(["alpha"], 2), "intervals.json: key 'alpha': Input should be less than 1"),
    ("intervals.json", edit_json(["quantile"], [[0.1]]), "quantile and n_calibration must have the same"),
    (
        "intervals.json",
        edit_json(["n_calibration"], "many"),
        "intervals.json: key 'n_calibration': Input should be a valid list",
    ),
    ("config.yaml", lambda text: "null\n", "config.yaml: missing section 'data'"),
    ("config.yaml", lambda text: "windows: [1, 2\n", "config.yaml: YAML syntax error"),
    (
        "config.yaml",
        edit_yaml("windows", "lookback", 48),
        "schema.json: 'lookback' is 24, but config.yaml windows.lookback is 48",
    ),
    (
        "config.yaml",
        edit_yaml("windows", "lookback", "long"),
        "config.yaml: 'windows.lookback': Input should be a valid integer",
    ),
    (
        "config.yaml",
        edit_yaml("model", "quantiles", [0.2, 0.5, 0.8]),
        "forecaster.json: 'model' differs, but config.yaml model is different",
    ),
    (
        "config.yaml",
        edit_yaml("model", "quantiles", []),
        "intervals.json: 'kind' is ConformalQuantileCalibrator, but config.yaml model.quantiles []",
    ),
    (
        "config.yaml",
        edit_yaml("scaling", "method", "minmax"),
        "scaler.json: 'method' is standard, but config.yaml scaling.method is minmax",
    ),
    (
        "model/forecaster.json",
        lambda text: "null",
        "forecaster.json: the top level: Input should be a valid dictionary",
    ),
    (
        "model/forecaster.json",
        edit_json(["params", "seed"], {"x": 1}),
        "forecaster.json: key 'params.seed': a keyword argument must be null, a boolean, a finite number",
    ),
    (
        "model/forecaster.json",
        edit_json(["params", "unit"], 4),
        "forecaster.json: key 'params': Forecaster.__init__() got an unexpected keyword argument 'unit'",
    ),
    (
        "model/forecaster.json",
        edit_json(["params", "units"], "x"),
        "forecaster.json: 'model' differs, but config.yaml model is different",
    ),
    (
        "model/forecaster.json",
        edit_json(["history"], [1]),
        "forecaster.json: key 'history': Input should be a valid dictionary",
    ),
    ("model/model.keras", lambda text: "", "model.keras: not a loadable Keras model"),
]


@pytest.mark.parametrize(
    "name, corrupt, expected", CASES, ids=[f"{name}:{expected[:40]}" for name, _, expected in CASES]
)
def test_a_corrupted_run_file_is_one_run_error_naming_it(tmp_path, trained_dir, name, corrupt, expected):
    run = shutil.copytree(trained_dir, tmp_path / "run")
    path = run / name
    path.write_text(corrupt(path.read_text(errors="replace")))
    with pytest.raises(RunError) as info:
        load_trained_run(run)
    message = str(info.value)
    assert expected in message
    assert "\n" not in message and len(message) < 500


def test_a_missing_run_file_names_it(tmp_path, trained_dir):
    run = shutil.copytree(trained_dir, tmp_path / "run")
    (run / "model" / "forecaster.json").unlink()
    with pytest.raises(RunError, match="forecaster.json: missing"):
        load_trained_run(run)


def test_files_carry_the_format_version_and_older_files_without_it_load(tmp_path, trained_dir):
    run = shutil.copytree(trained_dir, tmp_path / "run")
    for name in ("scaler.json", "schema.json", "intervals.json", "model/forecaster.json"):
        payload = json.loads((run / name).read_text())
        assert payload["format_version"] == (
            ForecasterStateFile.FORMAT if name.startswith("model/") else FORMAT_VERSION
        )
        del payload["format_version"]
        (run / name).write_text(json.dumps(payload))
    assert load_trained_run(run).schema["lookback"] == 24


@pytest.mark.parametrize(
    "override",
    [
        "model.quantiles=[0.2,0.5,0.8]",
        "model.quantiles=[]",
        "windows.lookback=12",
        "scaling.method=none",
        "seed=3",
        "data.target_columns=[temp]",
    ],
)
def test_reusing_a_run_refuses_overrides_of_what_training_fixed(trained_dir, override):
    with pytest.raises(ConfigError, match=r"^--set [a-z_.]+: fixed when .* was trained; drop the override"):
        load_trained_run(trained_dir, [override])


def test_reusing_a_run_applies_other_overrides(tmp_path, trained_dir):
    loaded = load_trained_run(trained_dir, [f"report.output_dir={tmp_path / 'out'}", "data.fill=ffill"])
    assert loaded.config.data.fill == "ffill"


@pytest.fixture(scope="module")
def detection_dir(trained_dir):
    from forecaster.jobs.detection import detect_job

    folder = trained_dir.parent.parent
    config = load_config(folder / "tiny.yaml", ["anomaly.units=4", "anomaly.lookback=8", "anomaly.training.epochs=1"])
    return detect_job(config, "tiny.yaml")


DETECTION_CASES = [
    (
        "detector/detector.json",
        edit_json(["scale", 0, 0], 0.0),
        "detector.json: the top level: scale[0][0] is 0; a scale must be positive",
    ),
    ("detector/detector.json", edit_json(["scale"], [1e-3]), "mean and scale must have the same shape"),
    ("detector/detector.json", lambda text: "null", "detector.json: the top level: Input should be a valid dictionary"),
    ("detector/detector.json", lambda text: text[:100], "detector.json: not valid JSON"),
    (
        "detector/detector.json",
        edit_json(["detector"], "lambda"),
        "detector.json: key 'detector': Input should be 'autoencoder' or 'residual'",
    ),
    (
        "detector/detector.json",
        edit_json(["params", "lookback"], {"rows": 8}),
        "detector.json: key 'params.lookback': a keyword argument must be null, a boolean, a finite number",
    ),
    ("detector/detector.json", edit_json(["reference_offsets"], [0, 5]), "'reference_offsets' must rise from 0"),
    (
        "schema.json",
        edit_json(["frequency"], "fortnightly"),
        "schema.json: key 'frequency': 'fortnightly' is not a frequency such as",
    ),
    ("schema.json", edit_json(["columns"], "load"), "schema.json: key 'columns': Input should be a valid list"),
    ("schema.json", lambda text: "[]", "schema.json: the top level: Input should be a valid dictionary"),
]


@pytest.mark.parametrize(
    "name, corrupt, expected", DETECTION_CASES, ids=[f"{name}:{expected[:40]}" for name, _, expected in DETECTION_CASES]
)
def test_a_corrupted_detection_file_is_one_run_error_naming_it(tmp_path, detection_dir, name, corrupt, expected):
    from forecaster.workflow.detection import load_detection_run

    run = shutil.copytree(detection_dir, tmp_path / "run")
    path = run / name
    path.write_text(corrupt(path.read_text()))
    with pytest.raises(RunError) as info:
        load_detection_run(run, load_config(None, ["anomaly.units=4", "anomaly.lookback=8"]))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message and len(message) < 500


def test_detect_run_refuses_overrides_of_the_trained_network(detection_dir, capsys):
    from forecaster.cli.main import main

    config = detection_dir.parent.parent / "tiny.yaml"
    assert (
        main(
            [
                "detect",
                str(config),
                "--run",
                str(detection_dir),
                "--set",
                "anomaly.mode=centered",
                "--set",
                "anomaly.lookback=16",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err.strip()
    assert (
        err
        == f"error: --set anomaly.lookback: fixed when {detection_dir} was trained; drop the override (or train a new run with it)"
    )


def test_a_network_with_nan_weights_is_refused(tmp_path, trained_dir):
    import keras

    run = shutil.copytree(trained_dir, tmp_path / "run")
    model = keras.saving.load_model(run / "model" / "model.keras", safe_mode=True)
    weights = model.get_weights()
    weights[0][...] = np.nan
    model.set_weights(weights)
    model.save(run / "model" / "model.keras")
    with pytest.raises(RunError, match=r"model.keras: the network has NaN or infinite weights \(training diverged\)"):
        load_trained_run(run)
