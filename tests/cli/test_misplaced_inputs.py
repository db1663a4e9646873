"""A newcomer's wrong turns on the command line: a data file or folder where a file of another kind goes.

Each ends in one line on stderr that says what was passed and what to pass
instead, and exit code 2.
"""

import pytest

from forecaster.cli.main import main

DATA_FILE = "date,OT,HUFL\n2021-01-01 00:00:00,1.5,2\n2021-01-01 01:00:00,1.6,2\n2021-01-01 02:00:00,1.7,2\n"

COMMANDS_TAKING_A_CONFIG = [
    ["run", "{config}"],
    ["train", "{config}"],
    ["backtest", "{config}"],
    ["detect", "{config}"],
    ["claims", "{config}"],
    ["scan", "{config}", "--run", "reports/nope"],
    ["inspect", "--config", "{config}", "data.csv"],
    ["check-cell", "--config", "{config}"],
    ["compare", "reports/nope", "--config", "{config}"],
    ["events", "--config", "{config}"],
]


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A working folder with a data file, a data file named .txt, and a folder of configs."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data.csv").write_text(DATA_FILE)
    (tmp_path / "export.txt").write_text(DATA_FILE.replace(",", ";"))
    (tmp_path / "configs").mkdir()
    (tmp_path / "configs" / "c.yaml").write_text("data: {path: data.csv}\n")
    return tmp_path


def one_error_line(argv, capsys) -> str:
    """Run the CLI in-process and return its single stderr line, after checking exit code 2."""
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    return err.strip()


@pytest.mark.parametrize("command", COMMANDS_TAKING_A_CONFIG, ids=lambda argv: argv[0])
@pytest.mark.parametrize("config", ["data.csv", "export.txt"])
def test_a_data_file_given_as_the_config_is_named_as_data(project, capsys, command, config):
    argv = [part.format(config=config) for part in command]
    assert one_error_line(argv, capsys) == (
        f"error: {config} looks like a data file, not a config: pass a YAML config such as "
        f"configs/etth1_demo.yaml and put the data in data.path (or --set data.path={config})"
    )


def test_a_large_data_file_is_named_as_data_before_its_size_is_held_against_it(project, capsys):
    rows = "".join(f"2021-01-01 00:00:{k % 60:02d},{k}.5,2\n" for k in range(40_000))
    (project / "big.tsv").write_text("date\tOT\n" + rows.replace(",", "\t"))
    (project / "big.dat").write_text("date,OT,HUFL\n" + rows)
    assert (project / "big.dat").stat().st_size > 1_000_000
    for name in ("big.tsv", "big.dat"):
        assert one_error_line(["run", name], capsys).startswith(f"error: {name} looks like a data file, not a config")


def test_a_config_folder_given_as_the_config_is_named_as_a_folder(project, capsys):
    assert one_error_line(["run", "configs"], capsys) == (
        "error: configs is a folder; pass a YAML config file such as configs/etth1_demo.yaml"
    )


def test_a_folder_given_as_the_data_file_is_named_as_a_folder(project, capsys):
    (project / "dir.csv").mkdir()
    assert one_error_line(["run", "configs/c.yaml", "--set", "data.path=dir.csv"], capsys) == (
        "error: dir.csv is a folder; pass a CSV or Parquet file"
    )
    assert one_error_line(["inspect", "dir.csv"], capsys) == "error: dir.csv is a folder; pass a CSV or Parquet file"


@pytest.mark.parametrize(
    ("override", "hint"),
    [
        ("data.target_columns=OT,HUFL", "(got 'OT,HUFL'); write a list as --set 'data.target_columns=[OT,HUFL]'"),
        (
            "data.past_covariates=HUFL, HULL",
            "(got 'HUFL, HULL'); write a list as --set 'data.past_covariates=[HUFL,HULL]'",
        ),
        ("windows.calendar_features=hour", "(got 'hour'); write a list as --set 'windows.calendar_features=[hour]'"),
    ],
)
def test_a_list_key_set_to_text_shows_how_to_write_a_list(project, capsys, override, hint):
    key = override.partition("=")[0]
    assert one_error_line(["run", "configs/c.yaml", "--set", override], capsys) == (
        f"error: --set: '{key}': Input should be a valid list {hint}"
    )
