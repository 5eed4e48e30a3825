"""The built wheel installs into any Jupyter: its runtime needs hold no Jupyter server, and the apps build.

The slow test does what a student with an existing Jupyter (Notebook 7, VS Code, a course's JupyterHub) does:
`pip install` the wheel into a plain environment that has only ipykernel, then import the apps and build them.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "tests" / "constraints.txt"
# Server-side Jupyter: none of it may come with the explainer.
SERVER_PACKAGES = {"jupyterlab", "notebook", "jupyter-server", "jupyterlab-server", "notebook-shim", "voila"}
RUNTIME = {"numpy", "plotly", "anywidget", "ipywidgets"}

BUILD_APPS = """
import json
from explainer.widgets import BackpropExplorer, LossSurfaceExplorer, Playground
apps = [BackpropExplorer(), LossSurfaceExplorer(), Playground()]
bundles = [app._repr_mimebundle_() for app in apps]
views = [b[0] if isinstance(b, tuple) else b for b in bundles]
print(json.dumps([sorted(v) for v in views]))
"""


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _run(cmd, **kwargs) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"`{' '.join(map(str, cmd))}` failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)], timeout=600)
    (found,) = out.glob("backprop_explainer-*.whl")
    return found


def _requires(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        text = archive.read(name).decode("utf-8")
    return re.findall(r"^Requires-Dist: (.+)$", text, flags=re.MULTILINE)


@pytest.mark.slow
def test_the_wheels_runtime_needs_are_what_the_explainer_imports(wheel):
    runtime = [r for r in _requires(wheel) if "extra ==" not in r]
    assert {_norm(re.split(r"[\s<>=!~;\[(]", r, maxsplit=1)[0]) for r in runtime} == RUNTIME
    lab = [r for r in _requires(wheel) if re.search(r"extra == ['\"]lab['\"]", r)]
    assert any(r.startswith("jupyterlab") for r in lab), lab


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_wheel_installs_beside_ipykernel_alone_and_builds_the_apps(wheel, tmp_path):
    venv = tmp_path / "plain"
    _run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    python = str(venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    pip = [python, "-m", "pip", "install", "--quiet", "--no-compile", "-c", str(CONSTRAINTS)]
    _run([*pip, "ipykernel"], env=env, timeout=600)
    _run([*pip, str(wheel)], env=env, timeout=600)

    listed = _run([python, "-m", "pip", "list", "--format=json"], env=env, timeout=120).stdout
    installed = {_norm(d["name"]) for d in json.loads(listed)}
    assert RUNTIME | {"backprop-explainer", "ipykernel"} <= installed
    assert not SERVER_PACKAGES & installed, f"a Jupyter server came along: {sorted(SERVER_PACKAGES & installed)}"
    _run([python, "-m", "pip", "check"], env=env, timeout=120)

    # Built outside the repository, so the installed package is the one imported.
    views = json.loads(_run([python, "-c", BUILD_APPS], cwd=tmp_path, env=env, timeout=300).stdout)
    for mimetypes in views:
        assert "application/vnd.jupyter.widget-view+json" in mimetypes, mimetypes
