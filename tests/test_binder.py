"""binder/: the pins every install uses, and the environment Binder builds from them.

The quick tests read binder/ and pyproject.toml. The slow one rebuilds Binder's environment from binder/
alone (Python from binder/runtime.txt when this machine has it, then binder/requirements.txt and
binder/postBuild, as repo2docker does) in a fresh virtual environment and runs every notebook in it with nbval.
"""

from __future__ import annotations

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

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
REQUIREMENTS = BINDER / "requirements.txt"
CANONICAL_REPO = "backprop-explainer/backprop-explainer"
START_NOTEBOOK = "notebooks/00_start_here.ipynb"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!_-]+)$")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in REQUIREMENTS.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        match = _PIN.match(line)
        assert match, f"binder/requirements.txt: {line!r} is not an exact `name==version` pin"
        name = _norm(match[1])
        assert name not in pins, f"binder/requirements.txt pins {name} twice"
        pins[name] = match[2]
    return pins


def _requirement_name(requirement: str) -> str:
    return _norm(re.split(r"[\s<>=!~;\[(]", requirement, maxsplit=1)[0])


def _declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in ("lecture", "test"):
        requirements += project["optional-dependencies"][extra]
    return {_requirement_name(r) for r in requirements}


# --- the pins ----------------------------------------------------------------------------------------------
def test_every_line_is_an_exact_pin_and_torch_stays_out():
    pins = _pins()
    assert len(pins) > 50  # the whole closure, not just the direct needs
    assert "torch" not in pins


def test_every_declared_dependency_is_pinned():
    missing = _declared() - set(_pins())
    assert not missing, f"pyproject.toml needs these but binder/requirements.txt does not pin them: {sorted(missing)}"


def test_this_environment_runs_the_pinned_versions():
    # make installs with `-c binder/requirements.txt`; a mismatch means the tests ran other versions than Binder.
    mismatched = []
    for name, version in _pins().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            mismatched.append(f"{name}: pinned {version}, not installed")
            continue
        if installed != version:
            mismatched.append(f"{name}: pinned {version}, installed {installed}")
    assert not mismatched, "run `make test` to reinstall from the pins:\n" + "\n".join(mismatched)


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
@pytest.mark.timeout(2700)
def test_notebooks_run_in_an_environment_built_from_binder_alone(tmp_path: Path):
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if not notebooks:
        pytest.skip("notebooks/ holds no notebook yet: nothing for the Binder environment to run")

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

    _run([python, "-m", "venv", str(venv)], cwd=tmp_path, env=env, timeout=300)
    # As repo2docker: requirements.txt, then postBuild from the repository root. (--no-compile: byte-compiling
    # some 120 packages is a good part of the install time and changes nothing the notebooks see.)
    _run(
        [str(bin_ / "python"), "-m", "pip", "install", "--no-compile", "-r", "binder/requirements.txt"],
        cwd=repo,
        env=env,
        timeout=1500,
    )
    _run(["binder/postBuild"], cwd=repo, env=env, timeout=600)

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
    for extension in ("jupyterlab-slideshow", "anywidget", "@jupyter-widgets/jupyterlab-manager"):
        assert re.search(rf"{re.escape(extension)} v\S+ enabled\s+OK", labext), f"{extension} not enabled:\n{labext}"
    server = _run([str(bin_ / "jupyter"), "server", "extension", "list"], cwd=tmp_path, env=env, timeout=300)
    server_text = _ANSI.sub("", server.stdout + server.stderr)
    assert re.search(r"voila\.server_extension\s+enabled", server_text), server_text

    # Every notebook, run and compared with its stored outputs, in that environment.
    nbval = subprocess.run(
        [
            str(bin_ / "python"),
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "--nbval",
            "--nbval-current-env",
            "--nbval-sanitize-with",
            "tests/nbval_sanitize.cfg",
            "--nbval-cell-timeout=300",
            "notebooks",
        ],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    print(nbval.stdout[-3000:])
    if nbval.returncode == 5:
        pytest.skip("the notebooks hold no code cells: nothing for nbval to check")
    assert nbval.returncode == 0, f"nbval failed in the Binder environment:\n{nbval.stdout}\n{nbval.stderr}"
    assert re.search(r"\d+ passed", nbval.stdout), nbval.stdout
