"""The course notebooks as files: small, no widget state, slides where a lecture needs them, and outputs kept
only where nbval checks them (``make test`` runs ``pytest --nbval-lax`` over notebooks/, which executes every
cell and compares the outputs of the cells tagged ``nbval-check-output``; a tag, not a comment, so that a
slide shows only the code).

What the rules protect:
- the README's list and the files agree, and 00_start_here (where ``make lab`` and the Binder link open) exists;
- a notebook stays a notebook of prose and calls: short code cells, no plotly renderer set by hand, no URL fetched;
- a committed notebook carries no saved widget state and no figure JSON (size, diffs, stale random ids); the only
  stored outputs are the small printed numbers nbval compares with a fresh run and the apps' static pictures;
- every number the prose quotes to five or more decimals is one of those checked outputs, so prose and engine
  cannot drift apart without a failing test;
- each notebook ends with a "Check yourself" section that actually asks something;
- 02 and 03 carry jupyterlab-slideshow metadata (``metadata.slideshow.slide_type``) on every cell.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(p for p in NOTEBOOK_DIR.glob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
IDS = [p.stem for p in NOTEBOOKS]

COURSE = [
    "00_start_here",
    "01_chain_rule_one_neuron",
    "02_forward_backward_2_2_2",
    "03_gradient_descent_loss_surface",
    "04_training_a_classifier",
    "05_deeper_networks",
    "06_check_yourself",
    "07_implement_it_from_scratch",
    "08_convolution_backward",
    "09_backprop_through_time",
]
SLIDE_NOTEBOOKS = ["02_forward_backward_2_2_2", "03_gradient_descent_loss_surface", "07_implement_it_from_scratch"]
SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}  # what jupyterlab-slideshow reads

MAX_BYTES = 100 * 1024
MAX_CODE_LINES = 12  # non-blank lines, the nbval marker not counted
MAX_CHECKED_OUTPUT_CHARS = 3000
CHECK = "nbval-check-output"  # cell tags nbval reads (metadata.tags)
IGNORE = "nbval-ignore-output"
PICTURES = {"image/svg+xml", "image/png"}  # an app's static picture, stored by make pictures

# Numbers the prose quotes from Matt Mazur's blog post to compare with the engine's: deliberately not the
# engine's output (the post's arithmetic differs in the last digits).
QUOTED_FROM_THE_BLOG = {"0.291027924", "0.0000351085"}
LONG_NUMBER = re.compile(r"(?<![\w.])\d+\.\d{5,}(?![\d])|(?<![\w.])\d\.\d+e[-+]\d+")


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def is_checked(cell: dict) -> bool:
    return CHECK in tags(cell)


def tags(cell: dict) -> list[str]:
    return cell.get("metadata", {}).get("tags", [])


def output_text(output: dict) -> str:
    text = output.get("text", "")
    return "".join(text) if isinstance(text, list) else text


def checked_text(nb: dict) -> str:
    return "\n".join(output_text(o) for c in code_cells(nb) if is_checked(c) for o in c.get("outputs", []))


def headings(nb: dict) -> list[tuple[int, str]]:
    """(cell index, heading text) of every Markdown heading, in order."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        for line in source(cell).splitlines():
            m = re.match(r"^#{1,6}\s+(.*)", line)
            if m:
                found.append((i, m.group(1).strip()))
    return found


def readme_entries() -> list[tuple[str, str]]:
    """(name, link target or "") of each row of the README's notebook table: `name` or [`name`](target)."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Notebooks", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\|\s*\[?`([^`]+)`\]?(?:\(([^)]*)\))?\s*\|", section, flags=re.M)


def readme_names() -> list[str]:
    return [name for name, _ in readme_entries()]


def matches(name: str, stem: str) -> bool:
    return stem == name or stem.startswith(name + "_")


# --------------------------------------------------------------------------------------------- the course


def test_the_course_is_complete():
    assert [p.stem for p in NOTEBOOKS] == COURSE


def test_every_notebook_in_the_readme_exists_and_every_notebook_is_listed():
    names = readme_names()
    assert names, "the README has no notebook table under '## Notebooks'"
    stems = [p.stem for p in NOTEBOOKS]
    for name in names:
        assert any(matches(name, s) for s in stems), f"README lists {name!r}, but no notebooks/{name}*.ipynb exists"
    for stem in stems:
        assert any(matches(n, stem) for n in names), f"notebooks/{stem}.ipynb is missing from the README's list"
    for name, target in readme_entries():
        if target:
            assert (ROOT / target).is_file(), f"the README links {name!r} to {target}, which does not exist"


def test_the_start_notebook_links_to_every_other_notebook():
    nb = load(NOTEBOOK_DIR / "00_start_here.ipynb")
    text = "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")
    for stem in COURSE[1:]:
        assert f"]({stem}.ipynb)" in text, f"00_start_here has no link to {stem}.ipynb"


def test_the_readme_test_would_catch_a_missing_notebook():
    assert not any(matches("99", p.stem) for p in NOTEBOOKS)
    assert matches("01", "01_chain_rule_one_neuron") and not matches("0", "01_chain_rule_one_neuron")


# --------------------------------------------------------------------------------------------- files


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_small_and_without_widget_state(path):
    assert path.stat().st_size <= MAX_BYTES, f"{path.name} is {path.stat().st_size / 1024:.0f} KB"
    nb = load(path)
    assert "widgets" not in nb["metadata"], "saved widget state in metadata.widgets: strip it"
    raw = path.read_text(encoding="utf-8")
    for mime in ("application/vnd.jupyter.widget-view+json", "application/vnd.jupyter.widget-state+json"):
        assert mime not in raw


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_kernelspec_is_python3(path):
    nb = load(path)
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    assert nb["metadata"]["kernelspec"]["language"] == "python"
    assert nb["nbformat"] == 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_code_cells_are_short_calls(path):
    for cell in code_cells(load(path)):
        lines = [ln for ln in source(cell).splitlines() if ln.strip()]
        assert len(lines) <= MAX_CODE_LINES, f"a code cell of {len(lines)} lines:\n{source(cell)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_renderer_set_and_nothing_fetched(path):
    # Plotly's default renderer in a kernel is the mimetype one; the export script chooses its own.
    for cell in code_cells(load(path)):
        src = source(cell)
        assert "renderers" not in src and "plotly.io" not in src, src
        assert not re.search(r"https?://", src), f"a code cell reaches for the internet:\n{src}"


# --------------------------------------------------------------------------------------------- outputs


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_outputs_are_kept_only_for_checked_cells(path):
    for cell in code_cells(load(path)):
        src = source(cell)
        # nbval's comment markers would show on a slide and in an export: its cell tags say the same
        assert "NBVAL_" not in src, f"an nbval comment marker (tag the cell {CHECK!r} instead):\n{src}"
        assert not {CHECK, IGNORE} <= set(tags(cell)), f"a cell both checked and ignored:\n{src}"
        if not is_checked(cell):
            # Unrun reference cells are executed by nbval but never compared (also under plain --nbval); an app's
            # cell keeps only its static picture (make pictures), what GitHub shows where no kernel runs.
            for output in cell.get("outputs", []):
                assert output["output_type"] == "display_data" and set(output["data"]) <= PICTURES, (
                    f"stored output in an unchecked cell (only an app's picture may be):\n{src}"
                )
            if not cell.get("outputs"):  # a stored picture keeps the count a top-to-bottom run gives (nbclean)
                assert cell.get("execution_count") is None, f"an unchecked cell with an execution count:\n{src}"
            continue
        outputs = cell.get("outputs", [])
        assert cell.get("execution_count") is not None, f"a checked cell that was never run:\n{src}"
        assert outputs, f"a checked cell without stored output:\n{src}"
        for output in outputs:
            assert output["output_type"] == "stream" and output["name"] == "stdout", output
            assert len(output_text(output)) <= MAX_CHECKED_OUTPUT_CHARS


def test_the_numbers_that_matter_are_checked():
    nb02 = load(NOTEBOOK_DIR / "02_forward_backward_2_2_2.ipynb")
    checked = [source(c) for c in code_cells(nb02) if is_checked(c)]
    assert any("gradcheck(net, X, y).table()" in s for s in checked), "02: the gradient check is not checked"
    text = checked_text(nb02)
    # The worked example's landmarks (Mazur's post prints the same digits).
    for number in ("0.593269992", "0.751365070", "0.298371109", "0.082167041", "0.000438568", "0.358916480"):
        assert number in text, f"02: {number} is not in a checked output"
    nb06 = load(NOTEBOOK_DIR / "06_check_yourself.ipynb")
    assert any("check_layer_backward(" in source(c) for c in code_cells(nb06) if is_checked(c))
    assert "σ′(z)" in checked_text(nb06), "06: the checker's message on the first attempt is not checked"
    nb05 = load(NOTEBOOK_DIR / "05_deeper_networks.ipynb")
    timed = [c for c in code_cells(nb05) if "compare_gradient_costs(" in source(c)]
    assert timed and all(IGNORE in tags(c) for c in timed), "05: the timing cell must be ignored"
    assert any("count_operations(" in source(c) for c in code_cells(nb05) if is_checked(c))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_numbers_in_the_prose_are_checked_outputs(path):
    nb = load(path)
    printed = checked_text(nb)
    for cell in nb["cells"]:
        if cell["cell_type"] != "markdown":
            continue
        for number in LONG_NUMBER.findall(source(cell)):
            if number in QUOTED_FROM_THE_BLOG:
                continue
            assert number in printed, f"the prose quotes {number}, which no checked output of {path.name} prints"


def test_the_prose_number_rule_finds_numbers():
    assert LONG_NUMBER.findall("L = 0.298371109 and 2.75e-07, not 0.29 or W1[0,1]") == ["0.298371109", "2.75e-07"]


# --------------------------------------------------------------------------------------------- structure


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_ends_with_a_check_yourself_section_that_asks_something(path):
    nb = load(path)
    found = headings(nb)
    assert found, "no headings"
    index, title = found[-1]
    assert title.lower().startswith("check yourself"), f"the last heading is {title!r}"
    rest = nb["cells"][index:]
    asks = any(c["cell_type"] == "code" and "Quiz(" in source(c) for c in rest) or any(
        c["cell_type"] == "markdown" and ("<details>" in source(c) or re.search(r"^\s*[-\d]", source(c), re.M))
        for c in rest
    )
    assert asks, "the Check yourself section holds no questions"


@pytest.mark.parametrize("stem", SLIDE_NOTEBOOKS)
def test_slide_metadata_on_every_cell(stem):
    nb = load(NOTEBOOK_DIR / f"{stem}.ipynb")
    types = [c.get("metadata", {}).get("slideshow", {}).get("slide_type") for c in nb["cells"]]
    assert all(t in SLIDE_TYPES for t in types), types
    assert types[0] == "slide"
    assert types.count("slide") >= 4
    # Every widget-building cell is shown on a slide (not skipped): the apps are the lecture's live part.
    for cell, t in zip(nb["cells"], types):
        if cell["cell_type"] == "code" and re.search(r"Explorer\(|Playground\(|Quiz\(", source(cell)):
            assert t != "skip"


def test_nbval_runs_lax_with_the_sanitizer():
    line = next(ln for ln in (ROOT / "Makefile").read_text().splitlines() if ln.startswith("NBVAL_ARGS"))
    assert "--nbval-lax" in line and "--nbval-sanitize-with tests/nbval_sanitize.cfg" in line


# Whatever a cell's last line shows when it builds an app: a constructor of an app, or a helper that returns one.
APP_CALLS = re.compile(
    r"^(?:\w+\s*=\s*)?(?:\w+\.)?(BackpropExplorer|LossSurfaceExplorer|Playground|GraphExplorer|GraphChecker|"
    r"ExerciseChecker|ConvExplorer|RNNExplorer|Quiz|check_exercise|check_graph|neuron_app)\b"
)


def shows_an_app(src: str) -> bool:
    """The cell's last line displays an app: the call itself, or the name the cell assigned one to."""
    lines = [line for line in src.strip().splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        return False
    last = lines[-1].strip()
    if APP_CALLS.match(last) and "=" not in last.split("(")[0]:
        return True
    return bool(re.fullmatch(r"\w+", last)) and any(
        re.match(rf"^{last}\s*=\s*", line) and APP_CALLS.match(line.split("=", 1)[1].strip()) for line in lines
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_every_app_cell_stores_the_picture_github_shows(path):
    """Issue 13: on GitHub and nbviewer (no kernel) every cell that shows an app shows its still picture."""
    cells = [c for c in code_cells(load(path)) if shows_an_app(source(c))]
    for cell in cells:
        pictures = [o for o in cell.get("outputs", []) if set(o.get("data", {})) & PICTURES]
        assert pictures, f"an app cell without its picture (run make pictures):\n{source(cell)}"
