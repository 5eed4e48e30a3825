"""Build the static JupyterLite site: ``make lite`` (run by the lite build's own venv, artifacts/cache/lite-venv).

    OUT/                 JupyterLab and Notebook in the browser (jupyterlite-core), the Pyodide kernel
    OUT/files/           the notebooks (notebooks/, apps/ included)
    OUT/pypi/            wheels for the in-browser pip (piplite): the explainer's own, and the pure-Python
                         runtime packages whose lab extensions the site carries, at the versions of
                         tests/constraints.txt (plotly, anywidget, ipywidgets, psygnal, narwhals); numpy and the
                         rest come from Pyodide's own distribution (its CDN) or PyPI, in the reader's browser
    OUT/voici/           the Playground (notebooks/apps/playground.ipynb) as a Voici app: the notebook rendered
                         with its code hidden, run in the browser by the same Pyodide kernel
    OUT/extensions/      the lab extensions of this venv's anywidget, plotly, ipywidgets (jupyterlab_widgets) and
                         jupyterlab-slideshow (with its fonts), and the Pyodide kernel's: listed one by one, so that
                         no server-side extension (Voilà's preview) ends up in a page with no server

Each notebook's first code cell installs the package when it runs in the browser (sys.platform "emscripten"),
from OUT/pypi/. Usage: python scripts/build_lite.py [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
ROOT = SCRIPTS.parent
DEFAULT_OUT = ROOT / "artifacts" / "lite"
CONSTRAINTS = ROOT / "tests" / "constraints.txt"
APP = "notebooks/apps/playground.ipynb"  # the Voici app
# Shipped in pypi/ at the pinned versions: pure Python, and the kernel side of the lab extensions below.
KERNEL_PACKAGES = ("plotly", "anywidget", "ipywidgets", "psygnal", "narwhals")
# Lab extensions the site carries (folders under <sys.prefix>/share/jupyter/labextensions).
LAB_EXTENSIONS = (
    "anywidget",
    "jupyterlab-plotly",
    "@jupyter-widgets/jupyterlab-manager",
    "jupyterlab-slideshow",
    "@deathbeds/jupyterlab-fonts",
    "@deathbeds/jupyterlab-font-anonymous-pro",
    "@deathbeds/jupyterlab-font-atkinson-hyperlegible",
    "@deathbeds/jupyterlab-font-dejavu-sans-mono",
    "@deathbeds/jupyterlab-font-fira-code",
    "@jupyterlite/pyodide-kernel-extension",
)


def _pins() -> dict[str, str]:
    pins = {}
    for line in CONSTRAINTS.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$", line.strip())
        if match:
            pins[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return pins


def _pip(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "pip", *args], check=True)


def wheels(dest: Path) -> list[Path]:
    """The explainer's wheel and the pinned pure wheels of KERNEL_PACKAGES, in ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    _pip("wheel", "--quiet", "--no-deps", "-w", str(dest), str(ROOT))
    pins = _pins()
    wanted = [f"{name}=={pins[name]}" for name in KERNEL_PACKAGES]
    _pip("download", "--quiet", "--no-deps", "--only-binary=:all:", "--platform", "any", "-d", str(dest), *wanted)
    return sorted(dest.glob("*.whl"))


def build(out: Path) -> Path:
    labextensions = Path(sys.prefix) / "share" / "jupyter" / "labextensions"
    missing = [name for name in LAB_EXTENSIONS if not (labextensions / name / "package.json").is_file()]
    if missing:
        raise SystemExit(f"lite: {', '.join(missing)} not installed in {sys.prefix}: run `make lite`")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        found = wheels(work / "wheels")
        contents = work / "contents"
        shutil.copytree(
            ROOT / "notebooks", contents, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
        )
        config = {
            "LiteBuildConfig": {
                "contents": [str(contents)],
                "output_dir": str(out),
                "federated_extensions": [str(labextensions / name) for name in LAB_EXTENSIONS],
                "ignore_sys_prefix": ["federated_extensions"],
                "apps": ["lab", "notebooks", "tree", "voici"],
                "no_sourcemaps": True,
            },
            "PipliteAddon": {"piplite_urls": [str(w) for w in found]},
        }
        (work / "jupyter_lite_config.json").write_text(json.dumps(config, indent=1))
        if out.exists():
            shutil.rmtree(out)
        jupyter_lite = Path(sys.executable).with_name("jupyter-lite")
        subprocess.run([str(jupyter_lite), "build", "--config", "jupyter_lite_config.json"], cwd=work, check=True)
    (out / ".nojekyll").write_text("")  # GitHub Pages: serve files and folders whose names start with _
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    out = build(args.out.resolve())
    print(f"lite: built {out} (serve it with `python -m http.server -d {out}`; open lab/index.html or voici/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
