"""scripts/notebook_pictures.py (make pictures) and scripts/nbclean.py (the git filter a class configures).

A small notebook of the test's own: a checked print, an object whose display bundle offers an SVG picture beside
a widget view (as the apps will), and a bare slider (a widget with no picture). make pictures stores the SVG
alone and keeps the checked numbers; nbval (make test's options) passes on the result; running the notebook again
and saving it, as JupyterLab does, leaves git clean once the filter is configured.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import shlex
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


nbclean = _load("nbclean")
pictures = _load("notebook_pictures")

SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><rect width="40" height="20" fill="#0072B2"/></svg>'
)
APP_CELL = f"""import uuid


class App:
    def _repr_mimebundle_(self, **kwargs):
        view = {{"version_major": 2, "version_minor": 0, "model_id": uuid.uuid4().hex}}
        return {{"text/plain": "App()", "image/svg+xml": {SVG!r}, "application/vnd.jupyter.widget-view+json": view}}


App()"""
CELLS = [
    ("markdown", "# Pictures"),
    ("code", "print(2 + 2)"),  # tagged nbval-check-output below
    ("code", APP_CELL),
    ("code", "import ipywidgets\n\nipywidgets.IntSlider(3)"),
]


def _notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    nb.cells = [make[kind](source) for kind, source in CELLS]
    nb.cells[1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="4\n")]
    nb.cells[1].metadata["tags"] = ["nbval-check-output"]
    nb.cells[0].metadata["slideshow"] = {"slide_type": "slide"}
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    nb.metadata["language_info"] = {"name": "python", "pygments_lexer": "ipython3"}
    return nb


def _git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True)
    return result.stdout


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pictures") / "small.ipynb"
    path.write_text(nbclean.dumps(json.loads(nbformat.writes(_notebook()))), encoding="utf-8")
    assert pictures.main([str(path)]) == 0
    return path


# ------------------------------------------------------------------------------------------ make pictures
def test_the_app_cell_stores_its_picture_alone_and_checked_numbers_stay(refreshed):
    nb = json.loads(refreshed.read_text(encoding="utf-8"))
    checked, app, slider = (c for c in nb["cells"] if c["cell_type"] == "code")
    assert checked["outputs"] == [{"name": "stdout", "output_type": "stream", "text": ["4\n"]}]
    assert app["outputs"] == [{"data": {"image/svg+xml": [SVG]}, "metadata": {}, "output_type": "display_data"}]
    assert slider["outputs"] == []  # a widget with no picture: nothing to store (and the script says so)
    # nbval wants a count on a cell with stored outputs: the one a top-to-bottom run gives; none elsewhere
    assert [c["execution_count"] for c in (checked, app, slider)] == [1, 2, None]
    assert nb["cells"][0]["metadata"] == {"slideshow": {"slide_type": "slide"}}
    assert "widgets" not in nb["metadata"]


def test_a_second_run_rewrites_nothing_and_check_agrees(refreshed, capsys):
    before = refreshed.read_text(encoding="utf-8")
    assert pictures.main([str(refreshed), "--check"]) == 0
    out = capsys.readouterr().out
    assert "1 picture(s), unchanged" in out
    assert "`ipywidgets.IntSlider(3)` shows a widget but offers no image/svg+xml or image/png" in out
    assert refreshed.read_text(encoding="utf-8") == before


def test_nbval_with_make_tests_options_passes_on_the_refreshed_notebook(refreshed):
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (line,) = [line for line in makefile.splitlines() if line.startswith("NBVAL_ARGS :=")]
    args = shlex.split(line.split(":=", 1)[1])
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args, str(refreshed)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout, result.stdout


def test_refresh_replaces_old_pictures_and_keeps_other_stored_outputs():
    stored = json.loads(nbformat.writes(_notebook()))
    stored["cells"][2]["outputs"] = [{"data": {"image/png": "b2xk"}, "metadata": {}, "output_type": "display_data"}]
    executed = json.loads(nbformat.writes(_notebook()))
    executed["cells"][1]["outputs"] = [{"name": "stdout", "output_type": "stream", "text": ["4.0000000001\n"]}]
    new_picture = {"image/svg+xml": SVG, "text/plain": "App()", pictures.WIDGET_VIEW: {"model_id": "0" * 32}}
    executed["cells"][2]["outputs"] = [{"data": new_picture, "metadata": {}, "output_type": "display_data"}]
    result, missing = pictures.refresh(stored, executed)
    assert result["cells"][1]["outputs"][0]["text"] == ["4\n"]  # stored numbers, not the run's round-off
    assert result["cells"][2]["outputs"] == [
        {"data": {"image/svg+xml": SVG}, "metadata": {}, "output_type": "display_data"}
    ]
    assert missing == []


# ------------------------------------------------------------------------------------------ the git filter
def test_nbclean_leaves_out_what_a_run_changes():
    stored = json.loads(nbformat.writes(_notebook()))
    nb = copy.deepcopy(stored)
    nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb["metadata"]["language_info"].update(version="3.12.1", mimetype="text/x-python")
    cell = nb["cells"][1]
    cell["execution_count"] = 7
    cell["metadata"]["execution"] = {"iopub.status.idle": "2026-11-22T11:20:18.160655Z"}
    cell["outputs"] = [  # JupyterLab merges these two prints into one output
        {"name": "stdout", "output_type": "stream", "text": "4"},
        {"name": "stdout", "output_type": "stream", "text": "\n"},
    ]
    nb["cells"][3]["outputs"] = [
        {"data": {"text/plain": "IntSlider(value=3)", pictures.WIDGET_VIEW: {"model_id": "1" * 32}}, "metadata": {},
         "output_type": "execute_result", "execution_count": 8},
        {"name": "stderr", "output_type": "stream", "text": "a warning\n"},
    ]  # fmt: skip
    assert nbclean.clean(nb) == nbclean.clean(stored)
    assert nbclean.clean(nbclean.clean(nb)) == nbclean.clean(nb)


def test_a_student_who_ran_the_notebook_pulls_the_next_version_with_the_filter(refreshed, tmp_path):
    teacher, student = tmp_path / "teacher", tmp_path / "student"
    (teacher / "notebooks").mkdir(parents=True)
    (teacher / "scripts").mkdir()
    (teacher / "scripts" / "nbclean.py").write_text((SCRIPTS / "nbclean.py").read_text(encoding="utf-8"))
    (teacher / ".gitattributes").write_text((ROOT / ".gitattributes").read_text(encoding="utf-8"))
    stored = teacher / "notebooks" / "small.ipynb"
    stored.write_text(refreshed.read_text(encoding="utf-8"), encoding="utf-8")
    who = ["-c", "user.name=t", "-c", "user.email=t@example.org"]
    _git(teacher, "init", "-q")
    _git(teacher, "add", ".")
    _git(teacher, *who, "commit", "-q", "-m", "notebooks")
    _git(tmp_path, "clone", "-q", str(teacher), str(student))
    # The README's one line, with this interpreter standing in for the student's python3.
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert 'git config filter.nbclean.clean "python3 scripts/nbclean.py"' in readme
    _git(student, "config", "filter.nbclean.clean", f"{sys.executable} scripts/nbclean.py")

    # The student runs the notebook; Jupyter saves it with outputs, counts, timings.
    mine = student / "notebooks" / "small.ipynb"
    nbformat.write(pictures.execute(mine, timeout=120), mine)
    assert mine.read_text(encoding="utf-8") != stored.read_text(encoding="utf-8")
    assert _git(student, "diff") == ""  # nothing of the run counts as a change
    _git(student, "add", "notebooks")  # what the README says before a pull: stages nothing here
    assert _git(student, "status", "--porcelain") == ""

    # The teacher changes the notebook; the student's pull takes it.
    nb = json.loads(stored.read_text(encoding="utf-8"))
    nb["cells"][0]["source"] = ["# Pictures, week 2"]
    stored.write_text(nbclean.dumps(nb), encoding="utf-8")
    _git(teacher, *who, "commit", "-q", "-am", "week 2")
    _git(student, *who, "pull", "-q", "--no-rebase")
    assert json.loads(mine.read_text(encoding="utf-8"))["cells"][0]["source"] == ["# Pictures, week 2"]


@pytest.mark.parametrize(
    "path", sorted((ROOT / "notebooks").glob("**/*.ipynb")), ids=lambda p: p.relative_to(ROOT / "notebooks").as_posix()
)
def test_every_committed_notebook_is_stored_as_nbclean_stores_it(path):
    """A clone with the filter set shows no change for a notebook it only ran, only if the stored file is clean."""
    text = path.read_text(encoding="utf-8")
    assert nbclean.dumps(nbclean.clean(json.loads(text))) == text, f"python3 scripts/nbclean.py {path}"
