"""Examples in the docs run as tests: the Python blocks of docs/python_api.md and the public API's ``>>>`` examples."""

import doctest
import importlib
import importlib.util
import pkgutil
import re
import shutil
from pathlib import Path

import pytest

import forecaster

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _modules_with_examples() -> list[str]:
    """Every module of the package whose source holds a ``>>>`` example: a new example is tested, no list to keep."""
    names = [info.name for info in pkgutil.walk_packages(forecaster.__path__, "forecaster.")]
    return [name for name in names if ">>>" in Path(importlib.util.find_spec(name).origin).read_text()]


@pytest.mark.parametrize("name", _modules_with_examples())
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_the_public_api_and_metrics_have_examples():
    assert {"forecaster.api", "forecaster.evaluation.metrics", "forecaster.versions"} <= set(_modules_with_examples())


def test_python_api_page_runs(tmp_path, monkeypatch):
    """Every ```python block of the page runs in order, in one namespace, from a copy of the project's configs."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "python_api.md").read_text(), flags=re.DOTALL)
    assert len(blocks) >= 6
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "docs/python_api.md", "exec"), namespace)
    saved = tmp_path / "reports"  # git-ignored, like every run folder: the examples leave nothing to commit
    assert (saved / "load_model" / "schema.json").is_file() and (saved / "machine_detector" / "detector").is_dir()
    assert sorted(path.name for path in tmp_path.iterdir()) == ["configs", "reports"]
