"""binder/ and tests/constraints.txt: Binder's pins on top of repo2docker's base, and the pins every make install uses.

Binder (repo2docker) does not start from an empty environment: it installs binder/requirements.txt into its own
Python 3.12 environment (JupyterLab 4.4.9, Notebook 7.4.7, jupyter_server 2.17.0 …; tests/repo2docker-base.txt,
read from repo2docker's lock file by scripts/repo2docker_base.py). The quick tests read those files and
pyproject.toml. The slow one rebuilds that environment: the base, then binder/requirements.txt and
binder/postBuild as repo2docker runs them, then `pip check`, the extensions, and every notebook run in it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import warnings
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
REQUIREMENTS = BINDER / "requirements.txt"
CONSTRAINTS = ROOT / "tests" / "constraints.txt"
BASE = ROOT / "tests" / "repo2docker-base.txt"
CANONICAL_REPO = "backprop-explainer/backprop-explainer"
START_NOTEBOOK = "notebooks/00_start_here.ipynb"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# What a student never uses: Binder's image must not carry them.
TEST_TOOLS = {"pytest", "pytest-timeout", "nbval", "hypothesis", "playwright", "ruff", "import-linter", "torch"}
# The base's own Jupyter, which its notebook 7.4.7 ties together (jupyterlab <4.5): Binder must not move them.
BASE_JUPYTER = {"jupyterlab", "notebook", "jupyter-server", "jupyterhub", "jupyterlab-server", "ipykernel"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _PIN.match(line)
        assert match, f"{path.relative_to(ROOT)}: {line!r} is not an exact `name==version` pin"
        name = _norm(match[1])
        assert name not in pins, f"{path.relative_to(ROOT)} pins {name} twice"
        pins[name] = match[2]
    return pins


def _requirements(*extras: str, runtime: bool = True) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = [Requirement(r) for r in project["dependencies"]] if runtime else []
    for extra in extras:
        found += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return found


# --- tests/constraints.txt: what make lab, make test and CI install ----------------------------------------
def test_every_constraint_is_an_exact_pin_of_the_whole_closure():
    pins = _pins(CONSTRAINTS)
    assert len(pins) > 100  # the whole closure, not just the direct needs


def test_every_declared_dependency_is_pinned_in_the_constraints():
    pins = _pins(CONSTRAINTS)
    for requirement in _requirements("lab", "lecture", "lite", "test"):
        name = _norm(requirement.name)
        assert name in pins, f"pyproject.toml needs {requirement} but tests/constraints.txt does not pin it"
        assert requirement.specifier.contains(Version(pins[name]), prereleases=True), (requirement, pins[name])


def test_the_runtime_holds_no_jupyter_server():
    # pip install backprop-explainer must work in any Jupyter, and in JupyterLite's in-browser pip.
    names = {_norm(r.name) for r in _requirements()}
    assert names == {"numpy", "plotly", "anywidget", "ipywidgets"}
    assert "jupyterlab" in {_norm(r.name) for r in _requirements("lab", runtime=False)}


def test_torch_is_the_cpu_wheel():
    # ==2.13.0+cpu: the wheel in /opt/wheels (pip's find-links); PyPI's 2.13.0 is a CUDA build of several GB.
    assert _pins(CONSTRAINTS)["torch"] == "2.13.0+cpu"
    assert "torch==2.13.0" in [str(r) for r in _requirements("test", runtime=False)]
    try:
        installed = metadata.version("torch")
    except metadata.PackageNotFoundError:
        pytest.skip("torch is not installed here")
    assert installed == "2.13.0+cpu"


def test_this_environment_runs_the_pinned_versions():
    # make installs with `-c tests/constraints.txt`; the lite tools live in the lite build's own venv (make lite).
    mismatched = []
    lite_only = {_norm(r.name) for r in _requirements("lite", runtime=False)} | {"doit", "pkginfo", "cloudpickle"}
    for name, version in _pins(CONSTRAINTS).items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            if name not in lite_only:
                mismatched.append(f"{name}: pinned {version}, not installed")
            continue
        if installed != version:
            mismatched.append(f"{name}: pinned {version}, installed {installed}")
    assert not mismatched, "run `make test` to reinstall from the pins:\n" + "\n".join(mismatched)


# --- binder/requirements.txt: on top of repo2docker's base -------------------------------------------------
def test_the_base_is_repo2dockers_python_3_12_environment():
    base = _pins(BASE)
    assert len(base) > 100
    expected = {"jupyterlab": "4.4.9", "notebook": "7.4.7", "jupyter-server": "2.17.0", "jupyterhub": "5.4.0"}
    assert {name: base[name] for name in expected} == expected
    assert base["ipywidgets"] == "8.1.7" and base["ipykernel"] == "7.0.1"


def test_binder_pins_runtime_and_lecture_packages_only():
    pins = _pins(REQUIREMENTS)
    assert not TEST_TOOLS & set(pins), f"binder/requirements.txt carries test tools: {sorted(TEST_TOOLS & set(pins))}"
    assert not BASE_JUPYTER & set(pins), f"binder/requirements.txt moves the base's Jupyter: {BASE_JUPYTER & set(pins)}"


def test_binder_and_the_base_satisfy_every_runtime_and_lecture_requirement():
    available = {**_pins(BASE), **_pins(REQUIREMENTS)}  # a pin replaces the base's version, as pip does
    for requirement in _requirements("lecture"):
        name = _norm(requirement.name)
        assert name in available, f"{requirement}: neither binder/requirements.txt nor repo2docker's base has it"
        assert requirement.specifier.contains(Version(available[name]), prereleases=True), (
            f"{requirement}: Binder would have {available[name]}"
        )


def test_binder_pins_the_versions_the_tests_run():
    binder, tests = _pins(REQUIREMENTS), _pins(CONSTRAINTS)
    differ = {name: (version, tests.get(name)) for name, version in binder.items() if tests.get(name) != version}
    assert not differ, f"binder/requirements.txt vs tests/constraints.txt (binder, tests): {differ}"


# --- the rest of binder/ and the README's link -------------------------------------------------------------
def test_runtime_asks_for_python_3_12():
    # repo2docker reads `python-x.y` from runtime.txt.
    assert (BINDER / "runtime.txt").read_text(encoding="utf-8").strip() == "python-3.12"


def test_post_build_installs_the_package_without_touching_the_pins():
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK), "repo2docker only runs an executable postBuild"
    script = post_build.read_text(encoding="utf-8")
    assert script.startswith("#!/usr/bin/env bash\n")
    assert re.search(r"pip install .*--no-deps \.$", script, flags=re.MULTILINE), script


def test_readme_binder_link_opens_the_start_notebook():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    link = f"https://mybinder.org/v2/gh/{CANONICAL_REPO}/HEAD?urlpath=lab/tree/{START_NOTEBOOK}"
    assert link in readme
    assert "https://mybinder.org/badge_logo.svg" in readme


# --- the environment Binder builds -------------------------------------------------------------------------
def _binder_python() -> tuple[str, str]:
    """The interpreter Binder would use (runtime.txt), if this machine has it; else this machine's python3."""
    want = (BINDER / "runtime.txt").read_text(encoding="utf-8").strip().removeprefix("python-")
    candidates = [str(p) for p in sorted(Path.home().glob(f".pyenv/versions/{want}*/bin/python{want}"))]
    candidates += [c for c in (shutil.which(f"python{want}"),) if c]
    for candidate in candidates:
        probe = subprocess.run(
            [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], capture_output=True, text=True
        )
        if probe.returncode == 0 and probe.stdout.strip() == want:
            return candidate, f"Python {want} as binder/runtime.txt asks ({candidate})"
    fallback = shutil.which("python3") or sys.executable
    note = f"Python {want} (binder/runtime.txt) is not on this machine: built with {fallback} instead"
    warnings.warn(note, stacklevel=2)
    return fallback, note


def _copy_repository(dest: Path) -> None:
    """Tracked and not-ignored files only: what a clone would hold, plus work not yet committed."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if listed.returncode != 0:  # not a git checkout: copy the tree minus the usual build debris
        shutil.copytree(
            ROOT,
            dest,
            ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "artifacts", ".*_cache"),
        )
        return
    for name in filter(None, listed.stdout.split("\0")):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str], timeout: int) -> subprocess.CompletedProcess[str]:
    print("$", " ".join(cmd), flush=True)
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"`{' '.join(cmd)}` failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result


@pytest.mark.slow
def test_the_base_list_is_what_repo2dockers_lock_file_says():
    # Downloads the pinned jupyter-repo2docker wheel (about 100 kB) and reads its Python 3.12 lock file again.
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "repo2docker_base.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
@pytest.mark.timeout(2700)
def test_binder_builds_on_repo2dockers_base_with_pip_check_clean_and_runs_every_notebook(tmp_path: Path):
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    python, note = _binder_python()
    print(note)
    repo = tmp_path / "repo"
    repo.mkdir()
    _copy_repository(repo)
    venv = tmp_path / "binder-env"
    cache = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")},
        "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "VIRTUAL_ENV": str(venv),
        "PIP_CACHE_DIR": cache,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    bin_ = venv / "bin"
    pip = [str(bin_ / "python"), "-m", "pip"]

    # repo2docker's conda environment, as pip sees it: its packages at its versions, dependencies as they are
    # (--no-deps: conda resolved them). (--no-compile: byte-compiling is a good part of the install time and
    # changes nothing pip check or the notebooks see.)
    _run([python, "-m", "venv", str(venv)], cwd=tmp_path, env=env, timeout=300)
    _run([*pip, "install", "--quiet", "--no-compile", "--no-deps", "-r", str(BASE)], cwd=repo, env=env, timeout=900)
    # Then what repo2docker runs: `pip install -r binder/requirements.txt`, then binder/postBuild.
    _run([*pip, "install", "--no-compile", "-r", "binder/requirements.txt"], cwd=repo, env=env, timeout=900)
    _run(["binder/postBuild"], cwd=repo, env=env, timeout=600)

    check = subprocess.run([*pip, "check"], cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    assert check.returncode == 0, f"pip check on repo2docker's base + binder/:\n{check.stdout}\n{check.stderr}"

    # binder/ moved none of the base's Jupyter, installed every pin, and carries no test tool.
    listed = _run([*pip, "list", "--format=json"], cwd=repo, env=env, timeout=300).stdout
    installed = {_norm(d["name"]): d["version"] for d in json.loads(listed)}
    base, pins = _pins(BASE), _pins(REQUIREMENTS)
    assert {n: installed.get(n) for n in BASE_JUPYTER} == {n: base[n] for n in BASE_JUPYTER}
    assert {n: installed.get(n) for n in pins} == pins
    assert not TEST_TOOLS & set(installed), sorted(TEST_TOOLS & set(installed))

    # The package is installed (not picked up from the copy), with its data files.
    where = _run(
        [str(bin_ / "python"), "-c", "import explainer, sys; print(explainer.__file__); print(sys.version)"],
        cwd=tmp_path,
        env=env,
        timeout=120,
    ).stdout
    assert str(venv) in where.splitlines()[0], where

    # JupyterLab in that image has the slideshow, widgets and Voila extensions enabled.
    listed = _run([str(bin_ / "jupyter"), "labextension", "list"], cwd=tmp_path, env=env, timeout=300)
    labext = _ANSI.sub("", listed.stdout + listed.stderr)
    for extension in ("jupyterlab-slideshow", "anywidget", "jupyterlab-plotly", "@jupyter-widgets/jupyterlab-manager"):
        assert re.search(rf"{re.escape(extension)} v\S+ enabled\s+OK", labext), f"{extension} not enabled:\n{labext}"
    server = _run([str(bin_ / "jupyter"), "server", "extension", "list"], cwd=tmp_path, env=env, timeout=300)
    server_text = _ANSI.sub("", server.stdout + server.stderr)
    assert re.search(r"voila\.server_extension\s+enabled", server_text), server_text

    # Every notebook runs top to bottom in that environment, with the base's own nbconvert and nbclient (no test
    # tool is added to it; `make test` compares the outputs under nbval).
    out = tmp_path / "executed"
    _run(
        [
            str(bin_ / "jupyter"),
            "nbconvert",
            "--to",
            "notebook",
            "--execute",
            "--ExecutePreprocessor.timeout=300",
            f"--output-dir={out}",
            *[str(repo / "notebooks" / nb.name) for nb in notebooks],
        ],
        cwd=repo / "notebooks",
        env=env,
        timeout=1800,
    )
    assert sorted(p.name for p in out.glob("*.ipynb")) == [nb.name for nb in notebooks]
