"""The Playground as ``make voila`` serves it (notebooks/apps/playground.ipynb, code hidden) renders and responds.

No JupyterLab here: Voilà runs the notebook in its own kernel and shows only the outputs, so this is what a
student who was sent the app's link sees. A click on "step" must train one tick and redraw the figures.
"""

from __future__ import annotations

import re

import jupyter_harness as jh
import pytest

VOILA_NOTEBOOK = jh.REPO_ROOT / "notebooks" / "apps" / "playground.ipynb"
FIGURES = 3  # decision boundary, loss curve, gradient norms
NORMS_TITLE = "Gradient size per layer ‖∂L/∂Wˡ‖ (log scale)"
# The values of graph i's heat map as JSON text (its rows may be typed arrays).
HEATMAP_Z = """(i) => {
  const t = document.querySelectorAll('.js-plotly-plot')[i]._fullData.find((t) => t.type === 'heatmap');
  return t ? JSON.stringify(Array.from(t.z, (row) => Array.from(row))) : '';
}"""


def _status(page) -> str:
    return page.locator(".bpx-loss").first.locator("xpath=..").text_content()


@pytest.mark.timeout(300)
def test_playground_under_voila_renders_and_steps(page, console, voila_server):
    # No console error is allowed, "[anywidget] Failed to initialize model" included: a FigureWidget whose
    # model did not initialise in time never receives another update (see explainer/widgets/_figurewidget.py).
    server = voila_server(VOILA_NOTEBOOK)
    page.goto(server.page_url(""), timeout=180_000)
    page.wait_for_selector(".widget-play", timeout=180_000)
    jh.wait_for_plots(page, FIGURES, timeout=120)
    assert jh.notebook_errors(page) == []
    assert jh.widget_problems(page) == []
    assert "import Playground" not in page.locator("body").text_content()  # Voilà hides the code
    assert re.search(r"step 0\b", _status(page)), _status(page)
    loss_plot = jh.plot_index(page, "Loss (train solid, test dashed)")
    boundary_plot = jh.plot_index(page, "P(class 1) over the inputs; the line is the boundary")
    norms_plot = jh.plot_index(page, NORMS_TITLE)
    curve_before = jh.plot_traces(page, loss_plot)[0]
    norms_before = jh.plot_traces(page, norms_plot)[0]
    boundary_before = page.evaluate(HEATMAP_Z, boundary_plot)
    assert len(boundary_before) > 1000  # a 50 × 50 map
    assert curve_before["x"] == [0]
    jh.screenshot(page, "voila-playground-start")

    jh.click_button(page, "step")  # no prompt overlay under Voilà: a real mouse click
    page.wait_for_function(
        "() => /step 10\\b/.test(document.querySelector('.bpx-loss').parentElement.textContent)", timeout=60_000
    )
    page.wait_for_function(
        "(i) => document.querySelectorAll('.js-plotly-plot')[i]._fullData[0].x.length > 1",
        arg=loss_plot,
        timeout=60_000,
    )
    curve = jh.plot_traces(page, loss_plot)[0]
    assert curve["x"][0] == 0 and curve["x"][-1] == 10  # one tick: ten optimiser steps
    assert curve["y"][0] == pytest.approx(curve_before["y"][0])
    assert curve["y"][-1] < curve["y"][0]  # full-batch gradient descent went downhill
    # Every figure follows the click: the gradient norms gain the tick's steps too.
    page.wait_for_function(
        "([i, n]) => document.querySelectorAll('.js-plotly-plot')[i]._fullData[0].x.length > n",
        arg=[norms_plot, len(norms_before["x"])],
        timeout=60_000,
    )
    assert jh.plot_traces(page, norms_plot)[0]["x"][-1] == 10
    # The boundary map is drawn again from the trained network (its colour values change).
    page.wait_for_function(
        f"([i, before]) => ({HEATMAP_Z})(i) !== before", arg=[boundary_plot, boundary_before], timeout=60_000
    )
    assert jh.notebook_errors(page) == []
    jh.screenshot(page, "voila-playground-after-step")
