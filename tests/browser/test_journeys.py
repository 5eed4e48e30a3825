"""Learner journeys in a real JupyterLab and Chromium: each defect of the app-model issue as a path a learner takes.

Every journey reads both sides: the page (what the learner sees: the diagram's drawn texts, the readouts,
the message area, the layout's boxes) and the kernel (what the app holds: ``jh.kernel_eval`` reads the app's
record and state without adding a cell), and compares them with the engine's own numbers.

The explorer journeys share one page and kernel (opening JupyterLab costs more than a journey): each starts
from a fresh app by running the notebook again. Screenshots go to artifacts/screenshots/journey-*.png.
"""

from __future__ import annotations

import re

import jupyter_harness as jh
import numpy as np
import pytest

from explainer import get_scenario, train, worked_example
from explainer.views.style import fmt

EXPLORER = "apps/explorer.ipynb"
WAIT = 40.0  # seconds for the page to catch up with an event (the machine may be busy)


# ---------------------------------------------------------------------------------------------- reading
def loss_line(page) -> str:
    return page.locator(".bpx-loss").first.text_content().strip()


def panel_text(page) -> str:
    """The chain-rule panel beside the diagram."""
    return page.locator(".bpx-app .bpx-chain").first.inner_text()


def message(page) -> str:
    node = page.locator(".bpx-app .bpx-message").first
    return node.inner_text().strip() if node.is_visible() else ""


def choose(page, label: str, option: str) -> None:
    """Choose ``option`` in the app's menu labelled ``label`` (as a learner does, with the page's own select)."""
    page.locator(f'.bpx-app .widget-dropdown:has(.widget-label:text-is("{label}")) select').first.select_option(
        label=option
    )


click = jh.click_app_button


def wait_for_loss(page, loss: float, what: str) -> None:
    jh.wait_until_equal(lambda: loss_line(page), f"L = {fmt(loss, 6).lstrip('+')}", WAIT, what)


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def explorer_page(browser, fixture_lab):
    with jh.notebook_page(browser, fixture_lab, EXPLORER) as shared:
        yield shared


@pytest.fixture
def explorer(explorer_page, request):
    """The shared page with a fresh BackpropExplorer (the notebook run again); console errors fail the test."""
    page, console = explorer_page
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
    state = jh.run_all_cells(page)
    assert state["ok"] and state["executed"] == state["cells"] == 1, state
    jh.wait_for_diagrams(page, 1)
    wait_for_loss(page, worked_example().network.backprop(worked_example().X, worked_example().y).loss, "start")
    before = len(console.messages)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        jh.screenshot(page, f"FAILED-{request.node.name}")
    unexpected = [m for m in console.unexpected() if m in console.messages[before:]]
    assert not unexpected, "unexpected browser console errors:\n" + "\n".join(unexpected)


# ---------------------------------------------------------------------------------------------- defect 1
@pytest.mark.timeout(240)
def test_1_a_shown_preset_keeps_its_data_and_a_key_press_moves_one_step(explorer):
    page = explorer
    choose(page, "preset", "A learning rate that is too large")
    sc = get_scenario("diverging_learning_rate")
    rec = sc.network.backprop(sc.X, sc.y)
    wait_for_loss(page, rec.loss, "the diverging preset's loss line")
    # The page printed the preset's exact target, and the kernel still holds it after the page drew it.
    assert jh.row_readout(page, "y[0]") == f"{sc.y[0, 0]:.7g}".replace("-", "−")
    assert jh.kernel_eval(page, "app.record.targets[0, 0]") == sc.y[0, 0]
    assert jh.kernel_eval(page, "app.record.loss") == rec.loss
    choose(page, "preset", "Vanishing gradients")
    sc = get_scenario("vanishing_gradients")
    wait_for_loss(page, sc.network.backprop(sc.X, sc.y).loss, "the vanishing preset's loss line")
    assert jh.kernel_eval(page, "app.record.inputs[0].tolist()") == sc.X[0].tolist()  # 0.2502, 0.7944: every digit
    # One ArrowRight on x[0] is one learner's gesture: the input moves by the slider's step from where it is drawn.
    jh.press_row(page, "x[0]")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "round(app.record.inputs[0, 0], 9)"), 0.26, WAIT, "x[0]")
    assert jh.kernel_eval(page, "app.record.inputs[0, 1]") == sc.X[0, 1]  # the other input untouched
    assert jh.row_readout(page, "x[0]") == "0.26"


@pytest.mark.timeout(240)
def test_1b_seven_presses_are_seven_steps_on_a_slow_kernel(explorer):
    """The kernel's echo of a press arrives while the next ones are pressed: an older echo must not move the
    thumb back, or the next press steps from the old value and a step is lost."""
    page = explorer
    slow = "(lambda r: setattr(app, '_render', lambda: (__import__('time').sleep(0.3), r())[1]))(app._render)"
    jh.kernel_eval(page, slow)  # every drawing takes 0.3 s longer
    handle = jh.row_range(page, "W1[0,0]")
    handle.focus()
    for _ in range(7):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(150)  # a learner's pace: the echoes of the first presses come back meanwhile
    W = "round(app.network.get('W1[0,0]'), 9)"
    jh.wait_until_equal(lambda: jh.kernel_eval(page, W), 0.22, WAIT, "W1[0,0] after seven presses from 0.15")
    jh.wait_until_equal(lambda: jh.row_readout(page, "W1[0,0]"), "0.22", WAIT, "its readout")


# ---------------------------------------------------------------------------------------------- defect 2
@pytest.mark.timeout(300)
def test_2_training_ten_thousand_steps_gives_the_engines_training(explorer):
    page = explorer
    field = page.locator(".bpx-app .widget-inline-hbox:has(.widget-label:text-is('N')) input").first
    field.fill("10000")
    field.press("Enter")
    click(page, "train N steps")
    sc = worked_example()
    history = train(sc.network.copy(), sc.X, sc.y, lr=sc.lr, steps=10_000)
    wait_for_loss(page, history.train_loss[-1], "the loss after 10,000 steps")
    assert "3.51019×10⁻⁵" in loss_line(page)
    held = jh.kernel_eval(page, "app.network.parameters.tolist()")
    assert held == pytest.approx(history.parameters[-1].tolist(), rel=1e-12)
    # Every weight's readout is the kernel's value (7 digits), none clamped to a slider's end.
    for name, value in zip(sc.network.parameter_names, held):
        assert jh.row_readout(page, name) == f"{value:.7g}".replace("-", "−"), name


# ---------------------------------------------------------------------------------------------- defect 3
@pytest.mark.timeout(240)
def test_3_the_chain_rule_panel_follows_a_change_of_loss(explorer):
    page = explorer
    jh.diagram_target(page, "W2[0,0]").dispatch_event("click")
    jh.wait_until_equal(lambda: "+0.08217" in panel_text(page), True, WAIT, "w5's chain rule")
    choose(page, "output f", "softmax")
    choose(page, "loss", "cross-entropy (softmax)")
    jh.wait_until_equal(lambda: "+0.2731" in panel_text(page), True, WAIT, "w5's chain rule after the change")
    assert "+0.08217" not in panel_text(page)
    assert fmt(jh.kernel_eval(page, "app.record.grad_weights[1][0, 0]")) == "+0.2731"
    assert "+0.2731" in jh.diagram_announcement(page)


# ---------------------------------------------------------------------------------------------- defect 4
@pytest.mark.timeout(240)
def test_4_after_a_preset_the_go_to_list_and_undo_are_the_new_runs(explorer):
    page = explorer
    click(page, "apply one update")
    status = page.locator(".bpx-app .bpx-status").first
    jh.wait_until_equal(lambda: "step 1 " in status.inner_text(), True, WAIT, "step 1")
    choose(page, "preset", "XOR")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.network.sizes"), [2, 3, 1], WAIT, "the XOR preset")
    go_to = page.locator('.bpx-app .widget-dropdown:has(.widget-label:text-is("go to")) select').first
    jh.wait_until_equal(
        lambda: go_to.evaluate("(s) => Array.from(s.options, (o) => o.text.replace(/\\u00a0/g, ' '))"),
        ["step 0"],
        WAIT,
        "the go-to menu",
    )
    assert page.locator(".bpx-app button", has_text="undo").first.is_disabled()
    choose(page, "loss", "cross-entropy (softmax)")  # one output: refused in words, nothing raw
    jh.wait_until_equal(lambda: "one output" in message(page), True, WAIT, "the refusal")
    assert "ValueError" not in message(page) and "Traceback" not in message(page)


# ---------------------------------------------------------------------------------------------- defect 5, 8
@pytest.mark.timeout(240)
def test_5_a_bad_entry_is_said_at_the_top_in_view_and_cleared_by_the_next_success(explorer):
    page = explorer
    jh.type_into_row(page, "x[1]", "0.1.2")
    jh.wait_until_equal(lambda: "is not a number" in message(page), True, WAIT, "the message for a bad entry")
    box = page.locator(".bpx-app .bpx-message").first.bounding_box()
    assert box is not None and 0 <= box["y"] < 900, box  # in view, where the learner is looking
    assert jh.kernel_eval(page, "app.record.inputs[0, 1]") == 0.1  # the last good value kept
    jh.type_into_row(page, "x[1]", "0.3")
    jh.wait_until_equal(lambda: message(page), "", WAIT, "the message after a good entry")
    assert jh.kernel_eval(page, "app.record.inputs[0, 1]") == 0.3


@pytest.mark.timeout(240)
def test_8_the_seven_layer_preset_fits_the_output_area(explorer):
    page = explorer
    choose(page, "preset", "Vanishing gradients")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "len(app.network.sizes)"), 8, WAIT, "the 7-layer preset")
    page.wait_for_function("() => document.querySelector('.bpx-diagram g[data-part=\"nodes:7\"] text')")
    sizes = page.evaluate(
        """() => {
          const out = document.querySelector('.jp-OutputArea-output:has(.bpx-app)');
          const o = out.getBoundingClientRect();
          const svg = document.querySelector('.bpx-diagram svg').getBoundingClientRect();
          const loss = document.querySelector('.bpx-diagram g[data-part="loss"]').getBoundingClientRect();
          const bar = document.querySelector('.bpx-diagram g[data-part="colorbar"]').getBoundingClientRect();
          return {out: [o.left, o.right], svg: [svg.left, svg.right], loss: loss.right, bar: bar.right,
                  overflow: out.scrollWidth - out.clientWidth};
        }"""
    )
    left, right = sizes["out"]
    assert left - 1 <= sizes["svg"][0] and sizes["svg"][1] <= right + 1, sizes
    assert sizes["loss"] <= right and sizes["bar"] <= right and sizes["overflow"] <= 0, sizes
    jh.screenshot(page, "journey-seven-layers", selector=".jp-OutputArea-output:has(.bpx-app)")


# ---------------------------------------------------------------------------------------------- defect 10
@pytest.mark.timeout(240)
def test_10_the_dark_theme_redraws_the_diagram_and_keeps_the_message_readable(explorer):
    page = explorer
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.drawing_theme"), "dark", WAIT, "the app's theme")
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.bpx-diagram')).backgroundColor !== 'rgb(255, 255, 255)'"
    )
    colours = page.evaluate(
        """() => {
          const lum = (c) => {
            const [r, g, b] = c.match(/\\d+/g).slice(0, 3).map(Number);
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
          };
          const d = document.querySelector('.bpx-diagram');
          const text = d.querySelector('g[data-part="title"] text');
          return {paper: lum(getComputedStyle(d).backgroundColor), ink: lum(getComputedStyle(text).fill)};
        }"""
    )
    assert colours["paper"] < 60 and colours["ink"] > 180, colours
    jh.type_into_row(page, "x[1]", "abc")
    jh.wait_until_equal(lambda: "is not a number" in message(page), True, WAIT, "a message in the dark theme")
    contrast = page.evaluate(
        """() => {
          const lum = (c) => {
            const [r, g, b] = c.match(/\\d+/g).slice(0, 3).map(Number);
            return 0.2126 * r + 0.7152 * g + 0.0722 * b;
          };
          const m = document.querySelector('.bpx-msg');
          const back = getComputedStyle(document.querySelector('.jp-Notebook')).backgroundColor;
          return lum(getComputedStyle(m).color) - lum(back);
        }"""
    )
    assert contrast > 100, contrast
    jh.screenshot(page, "journey-dark", selector=".jp-OutputArea-output:has(.bpx-app)")


# ---------------------------------------------------------------------------------------------- defect 11, 12
@pytest.mark.timeout(240)
def test_11_the_diagram_names_every_weight_and_nothing_runs_past_the_svg(explorer):
    page = explorer
    texts = " ".join(jh.diagram_texts(page))
    for k in "₁₂₃₄₅₆₇₈":
        assert f"w{k} " in texts
    outside = page.evaluate(
        """() => {
          const svg = document.querySelector('.bpx-diagram svg').getBoundingClientRect();
          return Array.from(document.querySelectorAll('.bpx-diagram text')).filter((t) => {
            const b = t.getBoundingClientRect();
            return b.width > 0 && (b.left < svg.left - 1 || b.right > svg.right + 1 || b.top < svg.top - 1
                                   || b.bottom > svg.bottom + 1);
          }).map((t) => t.textContent);
        }"""
    )
    assert outside == []


@pytest.mark.timeout(240)
def test_12_a_diverging_run_is_said_once_and_the_curve_marks_the_same_step(explorer):
    page = explorer
    choose(page, "preset", "A learning rate that is too large")
    field = page.locator(".bpx-app .widget-inline-hbox:has(.widget-label:text-is('N')) input").first
    field.fill("200")
    field.press("Enter")
    click(page, "train N steps")
    jh.wait_until_equal(lambda: "diverged at step" in message(page), True, WAIT, "the divergence message")
    step = int(re.search(r"diverged at step ([\d,]+)", message(page))[1].replace(",", ""))
    assert step == jh.kernel_eval(page, "int(app.session.history.steps[app.session.history.diverged_at])")
    curve = page.locator(".bpx-curve").first.inner_text()
    assert f"diverged at {step:,}" in curve
    assert page.locator(".bpx-app button", has_text="train N steps").first.is_disabled()


# ---------------------------------------------------------------------------------------------- defect 13
@pytest.mark.timeout(240)
def test_13_the_keyboard_reaches_w5_and_enter_shows_its_chain_rule(explorer):
    page = explorer
    keys = jh.diagram_keys(page)
    first = jh.diagram_target(page, keys[0])
    first.focus()
    for _ in range(keys.index("W2[0,0]")):
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('data-key')") == "W2[0,0]"
    page.wait_for_selector(".bpx-diagram .bpx-tooltip:not([hidden])", timeout=WAIT * 1000)
    assert "∂L/∂w₅ = a_h₁ · δ_o₁ = 0.5933 × 0.1385 = +0.08217" in jh.diagram_tooltip(page)
    page.keyboard.press("Enter")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.selected"), "W2[0,0]", WAIT, "the selection")
    jh.wait_until_equal(lambda: "+0.08217" in jh.diagram_announcement(page), True, WAIT, "the announcement")
    assert page.evaluate("() => document.activeElement.getAttribute('data-key')") == "W2[0,0]"  # focus kept


# ---------------------------------------------------------------------------------------------- defect 14
@pytest.mark.timeout(240)
def test_14_the_stepper_numbers_its_steps_like_the_caption_and_stops_at_the_last(explorer):
    page = explorer
    sc = worked_example()
    rec = sc.network.backprop(sc.X, sc.y)
    L = rec.n_layers
    status = page.locator(".bpx-app .bpx-status").first
    for stage in range(L + 2):
        click(page, "backward step ▶")
        want = f"backward step {stage + 1} of {L + 2}"
        jh.wait_until_equal(lambda want=want: want in status.inner_text(), True, WAIT, "the status")
        caption = " ".join(jh.diagram_texts(page, 0, "caption"))
        assert caption.startswith(f"Step {stage + 1}:"), caption
        lit = [t for t in jh.diagram_texts(page, 0, f"nodes:{L}") if t.startswith("δ ")]
        if stage >= 1:
            assert lit == [f"δ {fmt(d)}" for d in rec.deltas[-1][0]]
    assert page.locator(".bpx-app button", has_text="backward step ▶").first.is_disabled()
    jh.screenshot(page, "journey-update-step", selector=".jp-OutputArea-output:has(.bpx-app)")


# ---------------------------------------------------------------------------------------------- lecture mode
LECTURE_SIZES = """() => {
  const app = document.querySelector('.bpx-app');
  const svg = app.querySelector('.bpx-diagram svg');
  const box = svg.getBoundingClientRect();
  const scale = box.width / svg.viewBox.baseVal.width;
  const out = document.querySelector('.jp-OutputArea-output:has(.bpx-app)');
  const texts = Array.from(svg.querySelectorAll('text')).filter((t) => t.textContent.trim());
  const drawn = (t) => parseFloat(t.getAttribute('font-size') || getComputedStyle(t).fontSize) * scale;
  const controls = Array.from(app.querySelectorAll(
    'button, select, input, .widget-label, .widget-readout, .bpx-sliders label'))
    .filter((e) => e.getBoundingClientRect().width > 0);
  return {
    smallest: Math.min(...texts.map(drawn)),
    small: texts.filter((t) => drawn(t) < 23.5).map((t) => t.textContent).slice(0, 8),
    controls: Math.min(...controls.map((e) => parseFloat(getComputedStyle(e).fontSize))),
    cut: controls.filter((e) => e.scrollWidth > e.clientWidth + 1 && e.tagName !== 'INPUT')
      .map((e) => e.textContent.trim() || e.value),
    svg: [box.left, box.right], out: [out.getBoundingClientRect().left, out.getBoundingClientRect().right],
    overflow: out.scrollWidth - out.clientWidth,
  };
}"""


@pytest.mark.timeout(240)
def test_15_lecture_mode_reads_from_the_back_row_at_1920(explorer):
    """At 1920×1080 in lecture mode every text of the diagram is at least 24 px as drawn, every control at
    least 24 px, no control cuts its text and the diagram keeps inside the output area."""
    page = explorer
    page.set_viewport_size({"width": 1920, "height": 1080})
    try:
        click(page, "lecture mode")
        jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.lecture"), True, WAIT, "lecture mode")
        page.wait_for_function("() => document.querySelector('.bpx-app.bpx-lecture')")
        for stage in ("values", "gradients"):
            click(page, "forward values" if stage == "values" else "backward gradients")
            jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.state_.mode"), stage, WAIT, f"the {stage} view")
            sizes = page.evaluate(LECTURE_SIZES)
            assert sizes["smallest"] >= 23.5, sizes  # the smallest label 24 px, as drawn
            assert sizes["controls"] >= 24 and sizes["cut"] == [], sizes
            assert sizes["out"][0] - 1 <= sizes["svg"][0] and sizes["svg"][1] <= sizes["out"][1] + 1, sizes
            assert sizes["overflow"] <= 0, sizes
        jh.screenshot(page, "journey-lecture-1920", selector=".jp-OutputArea-output:has(.bpx-app)")
    finally:
        page.set_viewport_size({"width": 1440, "height": 900})


@pytest.mark.timeout(300)
def test_15b_the_loss_surface_in_lecture_mode_cuts_no_text_and_keeps_its_sliders(page, fixture_lab):
    """Defects 8 and 9 on the LossSurfaceExplorer: at 1440×900 the figures fit the output area (nothing to scroll);
    at 1920×1080 in lecture mode no control cuts its text, every control is 24 px or more, the η slider keeps its
    length and the figures stay inside the output area."""
    jh.open_notebook(page, fixture_lab, "apps/surface.ipynb")
    assert jh.run_all_cells(page)["ok"]
    jh.wait_for_plots(page, 1, timeout=120)
    fits = page.evaluate(
        """() => {
          const out = document.querySelector('.jp-OutputArea-output:has(.bpx-app)');
          const box = out.getBoundingClientRect();
          const plots = Array.from(out.querySelectorAll('.js-plotly-plot')).map((p) => p.getBoundingClientRect());
          return {overflow: out.scrollWidth - out.clientWidth, width: box.width,
                  inside: plots.every((p) => p.left >= box.left - 1 && p.right <= box.right + 1)};
        }"""
    )
    assert fits["overflow"] <= 0 and fits["inside"], fits
    page.set_viewport_size({"width": 1920, "height": 1080})
    click(page, "lecture mode")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.lecture"), True, WAIT, "lecture mode")
    page.wait_for_function("() => document.querySelector('.bpx-app.bpx-lecture')")
    sizes = page.evaluate(
        """() => {
          const app = document.querySelector('.bpx-app');
          const out = document.querySelector('.jp-OutputArea-output:has(.bpx-app)').getBoundingClientRect();
          const controls = Array.from(app.querySelectorAll('button, select, .widget-label, .bpx-sliders label'))
            .filter((e) => e.getBoundingClientRect().width > 0);
          const ranges = Array.from(app.querySelectorAll('input[type=range]'))
            .filter((e) => e.getBoundingClientRect().width > 0).map((e) => e.getBoundingClientRect().width);
          const plots = Array.from(app.querySelectorAll('.js-plotly-plot')).map((p) => p.getBoundingClientRect());
          return {
            controls: Math.min(...controls.map((e) => parseFloat(getComputedStyle(e).fontSize))),
            cut: controls.filter((e) => e.scrollWidth > e.clientWidth + 1).map((e) => e.textContent.trim()),
            shortest_slider: Math.min(...ranges),
            plots_inside: plots.every((p) => p.left >= out.left - 1 && p.right <= out.right + 1),
          };
        }"""
    )
    assert sizes["controls"] >= 24 and sizes["cut"] == [], sizes
    assert sizes["shortest_slider"] >= 100 and sizes["plots_inside"], sizes
    jh.screenshot(page, "journey-surface-lecture-1920", selector=".jp-OutputArea-output:has(.bpx-app)")


# ---------------------------------------------------------------------------------------------- broken on purpose
@pytest.mark.timeout(240)
def test_a_journey_fails_when_the_diagram_does_not_follow(page, fixture_lab):
    """The check can go red: in this notebook the diagram's show() is a no-op after the first drawing, so the
    diagram keeps its first numbers while the loss line (plain HTML) follows the slider."""
    jh.open_notebook(page, fixture_lab, "apps/explorer_frozen_figure.ipynb")
    state = jh.run_all_cells(page)
    assert state["ok"], state
    jh.wait_for_diagrams(page, 1)
    jh.press_row(page, "W1[0,0]", times=7)
    sc = worked_example()
    sc.network.set("W1[0,0]", 0.22)
    rec = sc.network.backprop(sc.X, sc.y)
    wait_for_loss(page, rec.loss, "the loss line")
    want = f"w₁ {fmt(rec.grad_weights[0][0, 0])}"
    with pytest.raises(AssertionError, match="the diagram's w₁"):
        jh.wait_until_equal(lambda: want in jh.diagram_texts(page, 0, "edge_labels:1"), True, 5, "the diagram's w₁")
    assert "w₁ +0.0004386" in jh.diagram_texts(page, 0, "edge_labels:1")  # the stale number, still drawn


# ---------------------------------------------------------------------------------------------- the loss surface
@pytest.mark.timeout(300)
def test_the_descent_plays_in_the_page_and_the_kernel_knows_the_frame(page, fixture_lab):
    jh.open_notebook(page, fixture_lab, "apps/surface.ipynb")
    state = jh.run_all_cells(page)
    assert state["ok"], state
    jh.wait_for_plots(page, 1, timeout=120)
    status = page.locator(".bpx-live-figure .bpx-status").first
    jh.wait_until_equal(lambda: status.inner_text().startswith("step 100 of 100"), True, WAIT, "the last frame")
    page.locator(".bpx-live-figure .bpx-play").first.dispatch_event("click")
    page.wait_for_function(
        "() => /^step ([3-9]\\d|\\d{3}) /.test(document.querySelector('.bpx-live-figure .bpx-status').innerText)",
        timeout=WAIT * 1000,
    )
    page.locator(".bpx-live-figure .bpx-play").first.dispatch_event("click")  # pause
    shown = int(re.match(r"step (\d+)", status.inner_text())[1])
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.frame"), shown, WAIT, "the frame the kernel knows")
    # The page shows the engine's path up to that frame, and the kernel's status line for it.
    page_x = page.evaluate(
        "() => Array.from(document.querySelector('.js-plotly-plot')._fullData.find((t) => t.name === 'SGD').x)"
    )
    kernel_x = jh.kernel_eval(
        page, f"[t.x for t in app.figure_widget.frame_figure({shown}).data if t.name == 'SGD'][0]"
    )
    assert np.allclose(page_x, kernel_x)
    assert jh.kernel_eval(page, "app.status") == status.inner_html().replace("&nbsp;", " ")
    jh.screenshot(page, "journey-surface-paused", selector=".jp-OutputArea-output:has(.bpx-live-figure)")
