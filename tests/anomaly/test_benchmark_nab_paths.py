"""The NAB benchmarks stop with one line naming a missing NAB path and its flag, not a traceback."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
NEEDS = "(this benchmark needs NAB's data and its scorer, by default under ../shared)\n"


def import_benchmark(name: str):
    sys.path.insert(0, str(BENCHMARKS))
    try:
        spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(BENCHMARKS))


@pytest.mark.parametrize("script", ["nab", "injected", "network_signals"])
def test_missing_scorer_exits_2_with_one_line(script, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        import_benchmark(script).main(["--scorer", str(tmp_path / "nab_score.py")])
    assert stop.value.code == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'nab_score.py'}: not found; pass --scorer PATH {NEEDS}"


def test_first_missing_path_is_named_with_its_flag(tmp_path, capsys):
    nab = import_benchmark("nab")
    present = tmp_path / "nab_score.py"
    present.write_text("")
    nab.require_nab_files([("--scorer", present)])
    with pytest.raises(SystemExit) as stop:
        nab.require_nab_files([("--scorer", present), ("--data", tmp_path / "data"), ("--labels", tmp_path / "l.json")])
    assert stop.value.code == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'data'}: not found; pass --data PATH {NEEDS}"
