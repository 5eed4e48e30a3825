"""Every notebook in notebooks/ runs top to bottom in a real JupyterLab without an error, and its widgets render.

One test per notebook (collected from the folder, so a new notebook is checked without being listed here):
run all cells, then no traceback in any output, no error broadcast by the kernel, every code cell executed,
no widget left as a text repr or a 'model not found', no plotly graph or explorer diagram (``.bpx-diagram``)
without data, no unexpected console error (the ``page`` fixture), and a screenshot in
artifacts/screenshots/notebook-<name>.png to look at.
"""

from __future__ import annotations

from pathlib import Path

import jupyter_harness as jh
import pytest

NOTEBOOKS = sorted(
    p.relative_to(jh.REPO_ROOT).as_posix()
    for p in (jh.REPO_ROOT / "notebooks").glob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)


@pytest.mark.timeout(600)  # a notebook that trains a network runs longer than a harness self-test
@pytest.mark.parametrize("path", NOTEBOOKS)
def test_notebook_runs_in_lab_without_errors(page, lab, path):
    jh.open_notebook(page, lab, path)
    state = jh.run_all_cells(page, timeout=480)

    jh.assert_no_errors(page)
    assert state["executed"] == state["cells"], state
    assert jh.widget_problems(page) == []
    assert jh.empty_plots(page) == []  # a figure drawn with axes but without its data, a diagram without texts
    jh.screenshot(page, f"notebook-{Path(path).stem}")
