"""The Playground as ``make voila`` serves it (notebooks/apps/playground.ipynb, code hidden) renders and responds.

No JupyterLab here: Voilà runs the notebook in its own kernel and shows only the outputs, so this is what a
student who was sent the app's link sees. A click on "step" must train one tick and redraw the diagram (the
status, every neuron's map), ▶ must train in the page, and the gradient-norm figure must follow.
"""

from __future__ import annotations

import re

import jupyter_harness as jh
import pytest

VOILA_NOTEBOOK = jh.REPO_ROOT / "notebooks" / "apps" / "playground.ipynb"
NORMS_TITLE = "Gradient size per layer ‖∂L/∂Wˡ‖ (log scale)"
STATUS = "() => Array.from(document.querySelectorAll('.bpx-pg-status'), (e) => e.textContent)"
# The output map's pixels as the page drew them (its canvas), as text to compare.
MAP = "() => { const d = document.querySelector('.bpx-pg').bpxDrawn(); return d.maps[d.maps.length - 1].join(','); }"
REVISION = "() => Number(document.querySelector('.bpx-pg-stage').dataset.revision)"


@pytest.mark.timeout(300)
def test_playground_under_voila_renders_steps_and_plays(page, console, voila_server):
    # No console error is allowed, "[anywidget] Failed to initialize model" included.
    server = voila_server(VOILA_NOTEBOOK)
    page.goto(server.page_url(""), timeout=180_000)
    page.wait_for_selector(".bpx-pg-stage canvas", timeout=180_000)
    jh.wait_for_plots(page, 1, timeout=120)
    assert jh.notebook_errors(page) == []
    assert jh.widget_problems(page) == []
    assert "import Playground" not in page.locator("body").text_content()  # Voilà hides the code
    page.wait_for_function("() => document.querySelector('.bpx-pg-status').textContent.startsWith('epoch 0')")
    status = page.evaluate(STATUS)
    assert re.match(r"epoch 0 · step 0 · η = 0\.03$", status[0]), status
    norms = jh.plot_index(page, NORMS_TITLE)
    norms_before = jh.plot_traces(page, norms)[0]
    map_before = page.evaluate(MAP)
    assert len(map_before.split(",")) == 4 * 80 * 80  # the output's map: 80 × 80 RGBA
    jh.screenshot(page, "voila-playground-start")

    jh.click_button(page, "step")  # no prompt overlay under Voilà: a real mouse click
    page.wait_for_function("() => /step 10\\b/.test(document.querySelector('.bpx-pg-status').textContent)",
                           timeout=60_000)  # fmt: skip
    assert page.evaluate(MAP) != map_before  # the output's map is drawn again from the trained network
    page.wait_for_function(
        "([i, n]) => document.querySelectorAll('.js-plotly-plot')[i]._fullData[0].x.length > n",
        arg=[norms, len(norms_before["x"])],
        timeout=60_000,
    )
    assert jh.plot_traces(page, norms)[0]["x"][-1] == 10  # the gradient norms gain the tick's steps too

    revision = page.evaluate(REVISION)
    jh.click_button(page, "▶ play")
    page.wait_for_function(
        """() => { const m = document.querySelector('.bpx-pg-status').textContent.match(/step ([\\d,]+)/);
                   return !!m && parseInt(m[1].replace(/,/g, '')) >= 200; }""",
        timeout=90_000,
    )
    jh.click_button(page, "❚❚ pause")
    assert page.evaluate(REVISION) > revision + 10  # many drawn updates, each from the kernel's bytes
    assert jh.notebook_errors(page) == []
    jh.screenshot(page, "voila-playground-after-play")
