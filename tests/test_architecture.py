"""The house's one-way arrows, checked by import-linter: widgets -> views -> course -> engine.

The contracts live in pyproject.toml ([tool.importlinter]). The first test runs them on the real package;
the others copy the package, inject one forbidden import and check that the contracts catch it, so a
contract that silently matches nothing (a typo, a wildcard that expands to no module) fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run lint-imports from the test's virtual environment with ``cwd`` first on the import path."""
    assert LINT_IMPORTS.exists(), f"lint-imports not found next to {sys.executable}; install the test extras"
    # PYTHONPATH wins over the editable install's path entry, so a copy in cwd is the package analysed.
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A throw-away copy of explainer/ and the contracts, for injecting imports into."""
    shutil.copytree(ROOT / "explainer", tmp_path / "explainer", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy2(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _inject(path: Path, line: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # injected by test_architecture\n", encoding="utf-8")


def test_contracts_hold_on_the_package():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
    # All three contracts ran (none dropped by a config typo).
    assert "Contracts: 3 kept, 0 broken." in result.stdout, result.stdout


def test_the_unchanged_copy_passes(package_copy: Path):
    # Control for the injection tests below: the copy itself is clean, so a failure there is the injection's.
    result = _lint_imports(package_copy)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("module", "line", "expected"),
    [
        ("engine/network.py", "import plotly", "explainer.engine is not allowed to import plotly"),
        ("engine/network.py", "import ipywidgets", "explainer.engine is not allowed to import ipywidgets"),
        (
            "engine/activations.py",
            "import anywidget",
            "explainer.engine is not allowed to import anywidget",
        ),
        (
            "engine/losses.py",
            "import explainer.views",
            "explainer.engine is not allowed to import explainer.views",
        ),
        ("views/__init__.py", "import ipywidgets", "explainer.views is not allowed to import ipywidgets"),
    ],
)
def test_a_forbidden_import_breaks_a_contract(package_copy: Path, module: str, line: str, expected: str):
    target = package_copy / "explainer" / module
    if not target.exists():
        pytest.skip(f"explainer/{module} does not exist yet")
    _inject(target, line)
    result = _lint_imports(package_copy)
    assert result.returncode != 0, f"lint-imports passed with `{line}` in explainer/{module}:\n{result.stdout}"
    assert expected in result.stdout, result.stdout
    injected = "explainer." + module.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
    assert injected in result.stdout, result.stdout  # the chain names the module that was changed


def test_a_new_engine_module_is_covered_without_being_listed(package_copy: Path):
    # "Engine" is every module outside views/ and widgets/, found by wildcard: a module nobody listed is checked.
    (package_copy / "explainer" / "brand_new_module.py").write_text("import plotly\n", encoding="utf-8")
    result = _lint_imports(package_copy)
    assert result.returncode != 0, result.stdout
    assert "explainer.brand_new_module is not allowed to import plotly" in result.stdout, result.stdout


def test_a_view_importing_a_widget_breaks_the_layers(package_copy: Path):
    widgets = package_copy / "explainer" / "widgets"
    if not widgets.exists():
        widgets.mkdir()
        (widgets / "__init__.py").write_text('"""Stand-in widgets package for this test."""\n', encoding="utf-8")
    _inject(package_copy / "explainer" / "views" / "__init__.py", "import explainer.widgets")
    result = _lint_imports(package_copy)
    assert result.returncode != 0, result.stdout
    assert "explainer.views is not allowed to import explainer.widgets" in result.stdout, result.stdout


def test_the_engine_never_imports_the_course(package_copy: Path):
    _inject(package_copy / "explainer" / "engine" / "network.py", "import explainer.course.datasets")
    result = _lint_imports(package_copy)
    assert result.returncode != 0, result.stdout
    assert "explainer.engine is not allowed to import explainer.course" in result.stdout, result.stdout
