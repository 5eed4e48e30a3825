"""The Python packages of repo2docker's base environment, as ``name==version`` lines pip can install.

Binder (repo2docker) does not start from an empty environment: it installs ``binder/requirements.txt`` on top
of its own conda environment, whose exact contents repo2docker ships as a conda-lock file,
``repo2docker/buildpacks/conda/environment.py-3.12-linux-64.lock`` for Python 3.12. This script downloads the
pinned ``jupyter-repo2docker`` wheel (``pip download --no-deps``), reads that lock file, keeps the Python
packages (conda builds ``py…``: the ones with a ``.dist-info`` that pip sees) under their PyPI names, and writes
them to ``tests/repo2docker-base.txt``, which ``tests/test_binder.py`` installs before ``binder/`` to rebuild
Binder's environment and run ``pip check`` on it.

Usage: python scripts/repo2docker_base.py [--version V] [--python 3.12] [--out FILE] [--check]
(--check: exit 1 if FILE is not what the lock file gives, without writing it.)
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "tests" / "repo2docker-base.txt"
REPO2DOCKER_VERSION = "2026.4.0"  # the newest release on PyPI when binder/requirements.txt was last chosen
PYTHON = "3.12"  # binder/runtime.txt

# conda-forge names whose PyPI distribution is called otherwise.
PYPI_NAMES = {
    "brotli-python": "brotli",
    "cached_property": "cached-property",
    "jupyterhub-base": "jupyterhub",
    "nbconvert-core": "nbconvert",
    "python-fastjsonschema": "fastjsonschema",
}
# Built like a Python package (py…) but installs no distribution pip can see.
NOT_ON_PYPI = {"cpython"}
_LOCK_LINE = re.compile(r"/(?:noarch|linux-64)/(?P<file>[^/#]+)\.(?:conda|tar\.bz2)(?:#.*)?$")


def parse_lock(text: str) -> dict[str, str]:
    """PyPI name -> version for the Python packages of a conda-lock ``@EXPLICIT`` file."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = _LOCK_LINE.search(line.strip())
        if not match:
            continue
        name, version, build = match["file"].rsplit("-", 2)
        if not build.startswith("py") or name in NOT_ON_PYPI:
            continue  # C libraries, Python itself, metapackages (their builds are h…)
        found[PYPI_NAMES.get(name, name)] = version
    return found


def lock_from_wheel(wheel: Path, python: str = PYTHON) -> tuple[str, str]:
    """(member name, text) of the linux-64 lock file for ``python`` inside a jupyter-repo2docker wheel."""
    member = f"repo2docker/buildpacks/conda/environment.py-{python}-linux-64.lock"
    with zipfile.ZipFile(wheel) as archive:
        return member, archive.read(member).decode("utf-8")


def download(version: str, dest: Path) -> Path:
    """The jupyter-repo2docker wheel of ``version``, fetched with pip (no dependencies)."""
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "-d", str(dest)]
    subprocess.run([*cmd, f"jupyter-repo2docker=={version}"], check=True)
    (wheel,) = dest.glob("jupyter_repo2docker-*.whl")
    return wheel


def render(packages: dict[str, str], version: str, member: str) -> str:
    lines = [
        f"# repo2docker's base environment for Python {PYTHON}: the Python packages of {member}",
        f"# in jupyter-repo2docker=={version}, under their PyPI names. Written by scripts/repo2docker_base.py;",
        "# tests/test_binder.py installs these (--no-deps) before binder/requirements.txt, as Binder does.",
        "",
    ]
    lines += [f"{name}=={packages[name]}" for name in sorted(packages, key=str.lower)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--version", default=REPO2DOCKER_VERSION, help="jupyter-repo2docker release to read")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        member, text = lock_from_wheel(download(args.version, Path(tmp)))
    rendered = render(parse_lock(text), args.version, member)
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != rendered:
            print(f"{args.out} is not what {member} gives: run scripts/repo2docker_base.py", file=sys.stderr)
            return 1
        print(f"{args.out} matches {member} of jupyter-repo2docker {args.version}")
        return 0
    args.out.write_text(rendered, encoding="utf-8")
    print(f"wrote {args.out}: {rendered.count('==')} packages from {member}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
