"""make lite: the static JupyterLite site, built and read here (what a browser would load, short of running it).

Not run here: the site in a browser. Pyodide itself (its interpreter and numpy) comes from its CDN, which this
machine cannot reach, so the kernel cannot start here. What is checked instead: the build, its contents, the
lab extensions' versions against the kernel-side packages it ships, and that every runtime dependency of the
explainer's wheel is in the site's pypi/, in Pyodide's own distribution (its pyodide-lock.json, from the npm
package of the Pyodide version the kernel loads) or a pure-Python wheel on PyPI.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "artifacts" / "cache"
NOTEBOOKS = sorted(p.relative_to(ROOT / "notebooks") for p in (ROOT / "notebooks").rglob("*.ipynb"))
# Lab extension -> the Python package of the kernel side whose version it must match.
EXTENSIONS = {
    "anywidget": "anywidget",
    "jupyterlab-plotly": "plotly",
    "jupyterlab-slideshow": "jupyterlab-slideshow",
}
KERNEL_PACKAGES = {"backprop-explainer", "plotly", "anywidget", "ipywidgets", "psygnal", "narwhals"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    text = (ROOT / "tests" / "constraints.txt").read_text(encoding="utf-8")
    return {_norm(m[1]): m[2] for m in re.finditer(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$", text, re.MULTILINE)}


def _requires(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return re.findall(r"^Requires-Dist: (.+)$", archive.read(name).decode("utf-8"), flags=re.MULTILINE)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("lite") / "site"
    result = subprocess.run(["make", "--no-print-directory", "lite", f"LITE_ARGS=--out {out}"], cwd=ROOT,
                            capture_output=True, text=True, timeout=1200)  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return out


@pytest.mark.slow
def test_the_site_has_lab_notebook_and_voici_and_every_notebook_in_files(site):
    for page in ("index.html", "lab/index.html", "notebooks/index.html", "voici/render/apps/playground.html"):
        assert (site / page).is_file(), page
    for notebook in NOTEBOOKS:
        assert (site / "files" / notebook).is_file(), notebook
    assert (site / ".nojekyll").is_file()  # GitHub Pages serves the _-prefixed build files


@pytest.mark.slow
def test_the_extensions_are_the_kernel_sides_versions_and_no_server_extension_came_along(site):
    pins = _pins()
    for extension, package in EXTENSIONS.items():
        meta = json.loads((site / "extensions" / extension / "package.json").read_text(encoding="utf-8"))
        assert meta["version"] == pins[package], (extension, meta["version"], pins[package])
    # ipywidgets' front end is jupyterlab_widgets' jupyterlab-manager: the one the pinned jupyterlab_widgets ships.
    manager = json.loads((site / "extensions/@jupyter-widgets/jupyterlab-manager/package.json").read_text())
    lite_venv = CACHE / "lite-venv"
    shipped = json.loads(
        (lite_venv / "share/jupyter/labextensions/@jupyter-widgets/jupyterlab-manager/package.json").read_text()
    )
    assert manager["version"] == shipped["version"]
    assert (site / "extensions/@jupyterlite/pyodide-kernel-extension/package.json").is_file()
    assert not (site / "extensions/@voila-dashboards").exists()  # Voilà's preview needs a server


@pytest.mark.slow
def test_pypi_holds_the_explainer_and_its_kernel_packages_at_the_pinned_versions(site):
    listing = json.loads((site / "pypi" / "all.json").read_text(encoding="utf-8"))
    found = {_norm(name): sorted(info["releases"]) for name, info in listing.items()}
    assert set(found) == KERNEL_PACKAGES
    pins = _pins()
    for name in KERNEL_PACKAGES - {"backprop-explainer"}:
        assert found[name] == [pins[name]], name
    for wheel in (site / "pypi").glob("*.whl"):
        assert wheel.name.endswith("-py3-none-any.whl"), wheel.name  # pure Python: micropip installs it anywhere


@pytest.mark.slow
def test_every_notebook_installs_the_explainer_first_in_the_browser(site):
    for notebook in NOTEBOOKS:
        nb = json.loads((site / "files" / notebook).read_text(encoding="utf-8"))
        first = "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"])
        assert 'if sys.platform == "emscripten":' in first and 'await piplite.install("backprop-explainer")' in first, (
            notebook
        )


def _pyodide_packages(site: Path) -> dict[str, str]:
    """Pyodide's own packages (name -> version) for the Pyodide version the site's kernel loads."""
    bundles = "".join(p.read_text(errors="replace") for p in (site / "extensions").rglob("*.js"))
    (version,) = set(re.findall(r"cdn\.jsdelivr\.net/pyodide/v(\d+\.\d+\.\d+)/full/", bundles))
    tarball = CACHE / "pyodide" / f"pyodide-{version}.tgz"
    if not tarball.exists():  # the npm package carries pyodide-lock.json (about 6 MB in all)
        tarball.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", f"pyodide@{version}", "--silent"], cwd=tarball.parent, check=True, timeout=300)
    with tarfile.open(tarball) as archive:
        lock = json.load(archive.extractfile("package/pyodide-lock.json"))
    return {_norm(name): info["version"] for name, info in lock["packages"].items()}


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_every_dependency_is_in_the_site_in_pyodide_or_pure_python(site, tmp_path):
    pyodide = _pyodide_packages(site)
    assert "numpy" in pyodide  # the one compiled dependency: Pyodide builds it
    shipped = {_norm(w.name.split("-")[0]): w for w in (site / "pypi").glob("*.whl")}
    env = {**default_environment(), "sys_platform": "emscripten", "platform_system": "Emscripten", "extra": ""}
    env["python_version"], env["python_full_version"] = "3.13", "3.13.2"
    seen, todo, sources = set(), list(shipped.values()), {}
    pure = tmp_path / "pure"
    while todo:
        wheel = todo.pop()
        for line in _requires(wheel):
            requirement = Requirement(line)
            name = _norm(requirement.name)
            if name in seen or (requirement.marker and not requirement.marker.evaluate(env)):
                continue
            seen.add(name)
            if name in shipped:
                sources[name] = "pypi/"
            elif name in pyodide:
                sources[name] = f"Pyodide {pyodide[name]}"
            else:  # must be a pure wheel on PyPI, which micropip fetches in the browser
                download = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:"]
                download += ["--platform", "any", "--python-version", "3.13", "-d", str(pure), str(requirement)]
                subprocess.run(download, check=True, timeout=300)
                (found,) = [w for w in pure.glob("*.whl") if _norm(w.name.split("-")[0]) == name]
                assert found.name.endswith("-py3-none-any.whl"), found.name
                sources[name] = "PyPI, pure"
                todo.append(found)
    print(json.dumps(sources, indent=1, sort_keys=True))
    assert {"numpy", "plotly", "anywidget", "ipywidgets"} <= set(sources)
    assert sources["numpy"].startswith("Pyodide")
