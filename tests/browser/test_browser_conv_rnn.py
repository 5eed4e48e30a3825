"""The ConvExplorer and the RNNExplorer in a real JupyterLab and Chromium: each renders, and a learner's gesture in
the page (a kernel cell typed, a backward step clicked, clipping turned on) shows the engine's own numbers.

Every test reads both sides: the page (the diagram's drawn texts, its tooltip, the readouts, the figure's bars)
and the kernel (``jh.kernel_eval`` reads the app without adding a cell), and compares them with the engine's
numbers computed here. Screenshots go to artifacts/screenshots/conv-*.png and rnn-*.png.
"""

from __future__ import annotations

import jupyter_harness as jh
import numpy as np
import pytest

from explainer.course.patterns import conv_pass, get_kernel, get_pattern
from explainer.course.sequences import get_rnn_preset, rnn_pass
from explainer.views.conv_diagram import _cell_text
from explainer.views.style import fmt, fmt_plain

WAIT = 40.0  # seconds for the page to catch up with an event (the machine may be busy)
NORMS = "‖∂L/∂hₜ‖ (before clipping)"  # the norm figure's bars


click = jh.click_app_button


def status(page) -> str:
    return page.locator(".bpx-app .widget-html.bpx-status").first.inner_text()  # not the figure's own status line


def cells(page, part: str) -> list[str]:
    """The numbers the page drew in one grid (or part) of the diagram."""
    return jh.diagram_texts(page, 0, part)


def open_app(page, lab, notebook: str, width: int = 1440, height: int = 900) -> None:
    page.set_viewport_size({"width": width, "height": height})
    jh.open_notebook(page, lab, notebook)
    # The lab's theme is a setting that outlives a page: every test starts from the light one.
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
    state = jh.run_all_cells(page)
    assert state["ok"] and state["executed"] == state["cells"] == 1, state
    jh.wait_for_diagrams(page, 1)


# ---------------------------------------------------------------------------------------------- ConvExplorer
def edge(kernel: np.ndarray):
    return conv_pass(get_pattern("vertical_edge").array, kernel, target_kernel="sobel_vertical")


@pytest.mark.timeout(300)
def test_a_typed_kernel_cell_and_a_backward_step_show_the_engines_numbers(page, fixture_lab):
    open_app(page, fixture_lab, "apps/conv.ipynb")
    K = get_kernel("identity").array.copy()
    start = edge(K)
    assert cells(page, "grid:dK") == [_cell_text(v, 3) for v in start.conv.grad_kernel.ravel()]
    assert jh.kernel_eval(page, "app.lesson.loss_value") == start.loss_value == 52.0
    # A learner types 2 into the kernel's middle cell: the engine's numbers, in the kernel and drawn in the page.
    jh.type_into_row(page, "K[1,1]", "2")
    K[1, 1] = 2.0
    after = edge(K)
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "float(app.kernel[1, 1])"), 2.0, WAIT, "the kernel cell")
    want = [_cell_text(v, 3) for v in after.conv.grad_kernel.ravel()]
    jh.wait_until_equal(lambda: cells(page, "grid:dK"), want, WAIT, "∂L/∂K drawn after the edit")
    assert jh.kernel_eval(page, "app.record.grad_kernel.tolist()") == after.conv.grad_kernel.tolist()
    assert cells(page, "grid:dx") == [_cell_text(v, 3) for v in after.conv.grad_input.ravel()]
    assert jh.row_readout(page, "K[1,1]") == "2"
    assert f"L = {fmt_plain(after.loss_value, 6)}" in status(page)
    # One backward step: δ from the loss, nothing else computed yet.
    click(page, "backward step ▶")
    jh.wait_until_equal(lambda: "backward step 1 of 47" in status(page), True, WAIT, "the status after a step")
    assert jh.kernel_eval(page, "app.stage") == 0
    assert cells(page, "grid:d") == [_cell_text(v, 3) for v in after.delta.ravel()]
    assert cells(page, "grid:dK") == []
    # The next step computes ∂L/∂K[0,0]; its tooltip writes it as the sum it is, from the record.
    click(page, "backward step ▶")
    jh.wait_until_equal(lambda: cells(page, "grid:dK"), want[:1], WAIT, "∂L/∂K[0,0] after the second step")
    jh.diagram_target(page, "dK[0,0]").hover()
    page.wait_for_selector(".bpx-diagram .bpx-tooltip:not([hidden])", timeout=WAIT * 1000)
    tip = jh.diagram_tooltip(page)
    assert tip.startswith("∂L/∂K[0,0] = Σ_p,q δ[p,q] · x[p+0,q+0]"), tip
    assert f"= {fmt(after.conv.grad_kernel[0, 0, 0, 0])}  (products computed here" in tip
    caption = " ".join(cells(page, "caption"))
    assert caption.startswith("Step 2 of 47: ∂L/∂K[0,0] = Σ δ[p,q] · x[p+0,q+0]"), caption
    jh.screenshot(page, "conv-step-2", selector=".jp-OutputArea-output:has(.bpx-app)")


@pytest.mark.timeout(300)
def test_a_bad_kernel_entry_is_said_at_the_top_and_the_pool_routes_to_the_winners(page, fixture_lab):
    open_app(page, fixture_lab, "apps/conv.ipynb")
    jh.type_into_row(page, "K[0,2]", "two")
    message = page.locator(".bpx-app .bpx-message").first
    jh.wait_until_equal(lambda: "K[0,2]" in message.inner_text(), True, WAIT, "the message naming the cell")
    assert jh.kernel_eval(page, "float(app.kernel[0, 2])") == 0.0  # the last good state kept
    page.locator(".bpx-app .widget-toggle-button", has_text="then a 2×2 max-pool").first.dispatch_event("click")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.state_.pool"), True, WAIT, "the pool")
    click(page, "backward step ▶")
    click(page, "backward step ▶")
    jh.wait_until_equal(lambda: "backward step 2 of 48" in status(page), True, WAIT, "the pool's step")
    pooled = conv_pass(get_pattern("vertical_edge").array, get_kernel("identity").array, pool=True)
    assert cells(page, "grid:d") == [_cell_text(v, 3) for v in pooled.delta.ravel()]
    assert cells(page, "grid:dp") == [_cell_text(v, 3) for v in pooled.grad_output.ravel()]


@pytest.mark.timeout(300)
def test_the_conv_explorer_in_the_dark_theme_and_lecture_mode(page, fixture_lab):
    open_app(page, fixture_lab, "apps/conv.ipynb", 1920, 1080)
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.drawing_theme"), "dark", WAIT, "the app's theme")
    page.locator(".bpx-app .widget-toggle-button", has_text="lecture mode").first.dispatch_event("click")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.lecture"), True, WAIT, "lecture mode")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.scene.width > 1000"), True, WAIT, "the lecture scene")
    sizes = page.evaluate(
        """() => ({
          button: parseFloat(getComputedStyle(document.querySelector('.bpx-app button')).fontSize),
          paper: getComputedStyle(document.querySelector('.bpx-diagram')).backgroundColor,
          outside: (() => {
            const svg = document.querySelector('.bpx-diagram svg').getBoundingClientRect();
            return Array.from(document.querySelectorAll('.bpx-diagram text')).filter((t) => {
              const b = t.getBoundingClientRect();
              return b.width > 0 && (b.left < svg.left - 1 || b.right > svg.right + 1);
            }).length;
          })(),
        })"""
    )
    assert sizes["button"] >= 24 and sizes["paper"] != "rgb(255, 255, 255)" and sizes["outside"] == 0, sizes
    jh.screenshot(page, "conv-dark-lecture")


# ---------------------------------------------------------------------------------------------- RNNExplorer
def exploding(**changes):
    p = get_rnn_preset("exploding")
    args = dict(scale=p.scale, amplitude=p.amplitude, clip=p.clip) | changes
    return rnn_pass(p.task, p.n_steps, **args)


@pytest.mark.timeout(300)
def test_the_rnn_explorer_steps_back_in_time_with_the_engines_norms(page, fixture_lab):
    open_app(page, fixture_lab, "apps/rnn.ipynb")
    jh.wait_for_plots(page, 1, timeout=120)
    r = exploding().record
    bars = jh.trace_data(page, 0, NORMS)
    assert np.allclose(bars["y"], r.grad_hidden_norms, rtol=1e-12)
    # Three steps back in time: ∂L/∂h₁₂, ∂L/∂h₁₁, ∂L/∂h₁₀, each with its two roads, as the record holds them.
    for k, t in enumerate((12, 11, 10)):
        click(page, "backward step ▶")
        jh.wait_until_equal(lambda k=k: jh.kernel_eval(page, "app.stage"), k, WAIT, f"step {k + 1}")
        i = t - 1
        want = f"from y{'₁₂₁₁₁₀'[2 * k : 2 * k + 2]}: {fmt_plain(np.linalg.norm(r.grad_hidden_from_output[i, 0]), 2)}"
        jh.wait_until_equal(lambda want=want: want in cells(page, "road_labels"), True, WAIT, "the road from y")
    assert fmt_plain(r.grad_hidden_norms[9], 2) in cells(page, "hidden")
    assert jh.kernel_eval(page, "app.record.grad_hidden_norms.tolist()") == r.grad_hidden_norms.tolist()
    # Clipping on: eleven steps clipped, drawn so, the bars the engine's.
    page.locator(".bpx-app .widget-toggle-button", has_text="clip ‖∂L/∂hₜ‖ at c").first.dispatch_event("click")
    c = exploding(clip=1.0).record
    lit = int(c.clipped[9:].sum())  # the steps reached so far, t = 10, 11, 12: two of them clipped
    jh.wait_until_equal(lambda: cells(page, "hidden").count("clipped"), lit, WAIT, "clipped marks so far")
    click(page, "whole pass")
    jh.wait_until_equal(lambda: cells(page, "hidden").count("clipped"), int(c.clipped.sum()), WAIT, "clipped marks")
    assert jh.kernel_eval(page, "int(app.record.clipped.sum())") == 11
    labels = cells(page, "hidden")  # each clipped norm drawn as the record's norm before clipping → the cap
    assert all(f"{fmt_plain(n, 2)}→1" in labels for n, k in zip(c.grad_hidden_norms, c.clipped) if k), labels
    jh.wait_until_equal(
        lambda: np.allclose(jh.trace_data(page, 0, NORMS)["y"], c.grad_hidden_norms, rtol=1e-12), True, WAIT, "bars"
    )
    assert "clipped at 11 steps" in status(page)
    jh.screenshot(page, "rnn-clipped", selector=".jp-OutputArea-output:has(.bpx-app)")


@pytest.mark.timeout(300)
def test_a_typed_scale_vanishes_the_gradient_and_a_node_tooltip_says_its_numbers(page, fixture_lab):
    open_app(page, fixture_lab, "apps/rnn.ipynb")
    jh.wait_for_plots(page, 1, timeout=120)
    jh.type_into_row(page, "s", "0.5")
    v = exploding(scale=0.5).record
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.state_.scale"), 0.5, WAIT, "the scale")
    jh.wait_until_equal(
        lambda: np.allclose(jh.trace_data(page, 0, NORMS)["y"], v.grad_hidden_norms, rtol=1e-12), True, WAIT, "bars"
    )
    assert v.grad_hidden_norms[0] < 1e-2 * v.grad_hidden_norms[-1]
    jh.diagram_target(page, "h:12").hover()
    page.wait_for_selector(".bpx-diagram .bpx-tooltip:not([hidden])", timeout=WAIT * 1000)
    tip = jh.diagram_tooltip(page)
    want = "[" + ", ".join(fmt(float(a), 3) for a in v.grad_hidden[11, 0]) + "]"
    assert f"∂L/∂h₁₂ = {want}" in tip, tip
    jh.type_into_row(page, "T", "13")
    message = page.locator(".bpx-app .bpx-message").first
    jh.wait_until_equal(lambda: "T must be a whole number from 1 to 12" in message.inner_text(), True, WAIT, "T")
    assert jh.kernel_eval(page, "app.state_.n_steps") == 12


@pytest.mark.timeout(300)
def test_the_rnn_explorer_in_the_dark_theme_and_lecture_mode(page, fixture_lab):
    open_app(page, fixture_lab, "apps/rnn.ipynb", 1920, 1080)
    jh.wait_for_plots(page, 1, timeout=120)
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.drawing_theme"), "dark", WAIT, "the app's theme")
    page.locator(".bpx-app .widget-toggle-button", has_text="lecture mode").first.dispatch_event("click")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.lecture"), True, WAIT, "lecture mode")
    click(page, "backward step ▶")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.stage"), 0, WAIT, "a step in lecture mode")
    font = page.evaluate("() => parseFloat(getComputedStyle(document.querySelector('.bpx-app button')).fontSize)")
    assert font >= 24
    jh.screenshot(page, "rnn-dark-lecture")
