"""The layering of ../shared/DESIGN.md: imports between forecaster's packages point down, never up.

Every module under ``forecaster/`` is parsed with :mod:`ast`, so imports inside
functions (the lazy ones that keep the CLI fast) and under ``TYPE_CHECKING``
count as much as those at the top, as do ``importlib.import_module`` calls
with a literal name.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "forecaster"

SCIENCE = ("anomaly", "models", "evaluation", "cells")
GROUND = ("config", "errors", "runs", "versions")
ABOVE_SCIENCE = {"cli", "jobs", "api", "workflow", "engine", "scan", "store", "reports"}
ABOVE_DATA = ABOVE_SCIENCE | set(SCIENCE) | {"windows"}
FORBIDDEN: dict[str, set[str]] = {
    "cli": set(),
    "jobs": {"cli"},
    "api": {"cli", "jobs"},
    # config-driven steps shared by jobs and api.py: below both; neither above nor below engine (it may call them)
    "workflow": {"cli", "jobs", "api"},
    "engine": {"cli", "jobs", "api"},
    "scan": {"cli", "jobs", "api", "workflow", "engine"},
    "store": {"cli", "jobs", "api", "workflow", "engine", "scan"},
    "reports": {"cli", "jobs", "api", "workflow", "engine", "scan", "store"},
    **{name: ABOVE_SCIENCE for name in SCIENCE},
    "windows": ABOVE_SCIENCE | set(SCIENCE),
    "data": ABOVE_DATA,
    # the typed schemas of saved artefacts: read by the science that saves them, checking frequencies with data's calendar
    "artefacts": ABOVE_DATA,
    **{name: ABOVE_DATA | {"data", "artefacts"} for name in GROUND},
}
"""For each layer (the first name after ``forecaster.``), the layers it may never import."""

LAZY: dict[str, str] = next(
    ast.literal_eval(node.value)
    for node in ast.parse((PACKAGE / "__init__.py").read_text()).body
    if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets)
)
"""The names ``forecaster`` imports on first use (its pipelines), to the module that holds them."""

ALLOWED: dict[tuple[str, str], str] = {}
"""Known upward imports kept for now, ``(importing module, imported module)`` to the issue that removes them."""


def layer_of(module: str) -> str:
    """``forecaster.jobs.scan`` -> ``jobs``; the package itself -> ``forecaster``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "forecaster"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every ``forecaster`` module ``source`` imports, at any depth of its syntax tree.

    ``from forecaster import X`` counts as importing ``forecaster.X`` when ``X``
    is a module or a lazily imported pipeline (``forecaster.api``), else as the
    package itself (its config, errors and version).
    """
    package = module if is_package else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            found.update(f"{base}.{alias.name}" if base == "forecaster" else base for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    resolved = set()
    for name in found:
        if name.startswith("forecaster.") and name.count(".") == 1 and name[len("forecaster.") :] not in FORBIDDEN:
            name = LAZY.get(name[len("forecaster.") :], "forecaster")
        if name == "forecaster" or name.startswith("forecaster."):
            resolved.add(name)
    return resolved


def upward_imports() -> dict[tuple[str, str], str]:
    """``(importing module, imported module)`` -> the rule it breaks, over every module of the package."""
    broken = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        module = module_name(path)
        layer = layer_of(module)
        if layer == "forecaster":
            continue  # the package's own __init__: the public names, imported lazily
        for target in imported_modules(path.read_text(), module, path.name == "__init__.py"):
            if layer_of(target) in FORBIDDEN[layer]:
                broken[(module, target)] = f"{layer}/ imports {layer_of(target)}/, a layer above it"
    return broken


def test_every_layer_has_a_place_in_the_design():
    layers = {layer_of(module_name(path)) for path in PACKAGE.rglob("*.py")} - {"forecaster"}
    assert layers <= FORBIDDEN.keys(), f"place {sorted(layers - FORBIDDEN.keys())} in DESIGN.md and in FORBIDDEN"


def test_no_module_imports_a_layer_above_it():
    broken = {pair: rule for pair, rule in upward_imports().items() if pair not in ALLOWED}
    assert not broken, "\n".join(
        f"{module} imports {target}: {rule}" for (module, target), rule in sorted(broken.items())
    )


def test_every_allowed_upward_import_still_exists():
    stale = ALLOWED.keys() - upward_imports().keys()
    assert not stale, f"remove {sorted(stale)} from ALLOWED: the import is gone"


def test_imports_inside_functions_relative_and_lazy_ones_are_found():
    source = (
        "import numpy\n"
        "from . import thresholds\n"
        "from forecaster import ForecastPipeline, __version__\n"
        "def f():\n"
        "    from forecaster.jobs.commands import train_job\n"
        "    import importlib\n"
        "    return importlib.import_module('forecaster.cli.main')\n"
    )
    assert imported_modules(source, "forecaster.anomaly.pipeline") == {
        "forecaster.anomaly",
        "forecaster.api",
        "forecaster",
        "forecaster.jobs.commands",
        "forecaster.cli.main",
    }
    assert imported_modules("from .detectors import load_detector", "forecaster.anomaly", is_package=True) == {
        "forecaster.anomaly.detectors"
    }
