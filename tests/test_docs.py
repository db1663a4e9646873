"""Examples in the docs run as tests: the Python blocks of docs/python_api.md and the public API's ``>>>`` examples."""

import doctest
import re
import shutil
from pathlib import Path

import pytest

import forecaster.api
import forecaster.versions

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("module", [forecaster.api, forecaster.versions], ids=lambda module: module.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_python_api_page_runs(tmp_path, monkeypatch):
    """Every ```python block of the page runs in order, in one namespace, from a copy of the project's configs."""
    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "docs" / "python_api.md").read_text(), flags=re.DOTALL)
    assert len(blocks) >= 6
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "docs/python_api.md", "exec"), namespace)
    assert (tmp_path / "load_model" / "schema.json").is_file() and (tmp_path / "machine_detector" / "detector").is_dir()
