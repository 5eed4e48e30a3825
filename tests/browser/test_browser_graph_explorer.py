"""The GraphExplorer in a real JupyterLab and Chromium, as a learner uses it: type an expression and its graph draws,
step the backward pass node by node, Tab to a node and press Enter, nudge a variable, type a bad expression.

Every journey reads both sides: what the page drew (the diagram's texts, the panels, the message area) and what
the kernel holds (``jh.kernel_eval``: the app's expression, values, stage and scene, read without adding a cell),
and compares them. The journeys share one page and kernel; each starts from a fresh app by running the notebook
again. Screenshots go to artifacts/screenshots/graph-explorer-*.png (1440×900 light and dark, 1920×1080 lecture).
"""

from __future__ import annotations

import jupyter_harness as jh
import pytest

from explainer.autograd import backward_steps, parse_example, trace
from explainer.views.graph_diagram import node_key, step_lines

NOTEBOOK = "apps/graph_explorer.ipynb"
WAIT = 40.0  # seconds for the page to catch up with an event (the machine may be busy)
APP = ".jp-OutputArea-output:has(.bpx-app)"


# ---------------------------------------------------------------------------------------------- reading
def message(page) -> str:
    node = page.locator(".bpx-app .bpx-message").first
    return node.inner_text().strip() if node.is_visible() else ""


def panel_lines(page) -> list[str]:
    """The step panel's lines as the page shows them."""
    text = page.locator(".bpx-app .bpx-graph-step").first.inner_text()
    return [" ".join(line.split()) for line in text.split("\n") if line.strip()]  # HTML folds runs of spaces


click = jh.click_app_button


def type_expression(page, text: str) -> None:
    box = page.locator(".bpx-app .bpx-graph-expression input").first
    box.fill(text)
    box.press("Enter")


def page_and_kernel_agree(page) -> None:
    """The diagram the page drew is the scene the kernel holds, text for text."""
    jh.wait_until_equal(lambda: jh.diagram_texts(page), jh.kernel_eval(page, "app.scene.texts()"), WAIT, "the diagram")


# ---------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def explorer_page(browser, fixture_lab):
    with jh.notebook_page(browser, fixture_lab, NOTEBOOK) as shared:
        yield shared


@pytest.fixture
def explorer(explorer_page, request):
    """The shared page with a fresh GraphExplorer (the notebook run again); console errors fail the test."""
    page, console = explorer_page
    page.set_viewport_size({"width": 1440, "height": 900})
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
    state = jh.run_all_cells(page)
    assert state["ok"] and state["executed"] == state["cells"] == 1, state
    jh.wait_for_diagrams(page, 1)
    jh.wait_until_equal(lambda: "+0.7071" in jh.diagram_texts(page), True, WAIT, "the first graph")
    before = len(console.messages)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        jh.screenshot(page, f"FAILED-{request.node.name}")
    unexpected = [m for m in console.unexpected() if m in console.messages[before:]]
    assert not unexpected, "unexpected browser console errors:\n" + "\n".join(unexpected)


# ---------------------------------------------------------------------------------------------- journeys
@pytest.mark.timeout(240)
def test_the_graph_draws_with_the_engines_numbers(explorer):
    page = explorer
    root, leaves = parse_example("neuron")
    root.backward()
    texts = jh.diagram_texts(page)
    assert f"{root.data:+.4f}" in texts and "grad −1.5" in texts and "grad +1" in texts
    assert jh.kernel_eval(page, "app.output.data") == root.data
    page_and_kernel_agree(page)
    assert sorted(jh.diagram_keys(page)) == sorted(node_key(n.id) for n in trace(root).nodes)
    jh.screenshot(page, "graph-explorer-light", selector=APP)


@pytest.mark.timeout(240)
def test_typing_an_expression_draws_its_graph(explorer):
    page = explorer
    type_expression(page, "x*y + x")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.expression"), "x*y + x", WAIT, "the typed expression")
    jh.wait_until_equal(lambda: "sums 2 uses (+=)" in jh.diagram_texts(page), True, WAIT, "the reused x")
    page_and_kernel_agree(page)
    assert jh.row_readout(page, "x") == "1" and jh.row_readout(page, "y") == "1"  # new variables start at 1
    assert "had no value" in message(page)
    assert jh.kernel_eval(page, "app.leaves['x'].grad") == 2.0  # y + 1


@pytest.mark.timeout(300)
def test_stepping_the_backward_pass_node_by_node(explorer):
    page = explorer
    root, _ = parse_example("neuron")
    steps = list(backward_steps(root))
    tr = trace(root)
    for k in range(len(steps) + 1):
        click(page, "backward step ▶")
        jh.wait_until_equal(lambda k=k: jh.kernel_eval(page, "app.stage"), k, WAIT, f"stage {k}")
        lines = [" ".join(line.split()) for line in step_lines(tr, steps[:k])]  # local × upstream = share
        jh.wait_until_equal(lambda: panel_lines(page), lines, WAIT, f"the step panel at stage {k}")
        page_and_kernel_agree(page)
    assert page.locator(".bpx-app button", has_text="backward pass done").first.is_disabled()
    jh.screenshot(page, "graph-explorer-stepped", selector=APP)
    click(page, "◀ back")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.stage"), len(steps) - 1, WAIT, "one step back")


@pytest.mark.timeout(240)
def test_tab_and_enter_on_a_node_shows_its_numbers(explorer):
    page = explorer
    keys = jh.diagram_keys(page)
    x1 = jh.kernel_eval(page, "app.trace.by_label('x1').id")
    jh.diagram_target(page, keys[0]).focus()
    for _ in range(keys.index(node_key(x1))):
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('data-key')") == node_key(x1)
    page.wait_for_selector(".bpx-diagram .bpx-tooltip:not([hidden])", timeout=WAIT * 1000)
    assert "grad = ∂f/∂(x1) = −1.5" in jh.diagram_tooltip(page)
    page.keyboard.press("Enter")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.selected"), node_key(x1), WAIT, "the selection")
    panel = page.locator(".bpx-app .bpx-graph-node").first
    jh.wait_until_equal(lambda: "grad = ∂f/∂(x1) = −1.5" in panel.inner_text(), True, WAIT, "the node panel")
    jh.wait_until_equal(lambda: "x1" in jh.diagram_announcement(page), True, WAIT, "the announcement")
    assert page.evaluate("() => document.activeElement.getAttribute('data-key')") == node_key(x1)  # focus kept


@pytest.mark.timeout(240)
def test_a_nudge_moves_every_value_and_gradient(explorer):
    page = explorer
    before = jh.diagram_texts(page)
    jh.press_row(page, "x2")  # one ArrowRight: x2 from 0 to 0.01
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.values['x2']"), 0.01, WAIT, "x2")
    page_and_kernel_agree(page)
    assert jh.diagram_texts(page) != before
    assert jh.row_readout(page, "x2") == "0.01"


@pytest.mark.timeout(240)
def test_a_bad_expression_keeps_the_last_good_graph_and_points_at_the_mistake(explorer):
    page = explorer
    before = jh.diagram_texts(page)
    type_expression(page, "tanh(w1*x1 + )")
    jh.wait_until_equal(lambda: "cannot read the expression" in message(page), True, WAIT, "the parser's message")
    lines = message(page).split("\n")
    at = next(k for k, line in enumerate(lines) if line.strip() == "tanh(w1*x1 + )")
    assert lines[at + 1].index("^") == lines[at].index(")")  # the caret under the part it cannot read
    assert jh.kernel_eval(page, "app.expression") == "tanh(w1*x1 + w2*x2 + b)"
    assert jh.diagram_texts(page) == before
    assert page.locator(".bpx-app .bpx-graph-expression input").first.input_value() == "tanh(w1*x1 + )"
    jh.screenshot(page, "graph-explorer-bad-expression", selector=APP)
    type_expression(page, "tanh(w1*x1 + b)")
    jh.wait_until_equal(lambda: message(page), "", WAIT, "the message after a good expression")
    page_and_kernel_agree(page)


@pytest.mark.timeout(240)
def test_dark_theme_and_lecture_mode(explorer):
    page = explorer
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Dark'})")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.drawing_theme"), "dark", WAIT, "the app's theme")
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('.bpx-diagram')).backgroundColor !== 'rgb(255, 255, 255)'"
    )
    page_and_kernel_agree(page)
    jh.screenshot(page, "graph-explorer-dark", selector=APP)
    page.evaluate("() => window.jupyterapp.commands.execute('apputils:change-theme', {theme: 'JupyterLab Light'})")
    page.set_viewport_size({"width": 1920, "height": 1080})
    click(page, "lecture mode")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.lecture"), True, WAIT, "lecture mode")
    page.wait_for_function("() => document.querySelector('.bpx-app.bpx-lecture')")
    page_and_kernel_agree(page)
    sizes = page.evaluate(
        """() => {
          const svg = document.querySelector('.bpx-diagram svg');
          const box = svg.getBoundingClientRect();
          const scale = box.width / svg.viewBox.baseVal.width;
          const out = document.querySelector('.jp-OutputArea-output:has(.bpx-app)').getBoundingClientRect();
          const texts = Array.from(svg.querySelectorAll('text')).filter((t) => t.textContent.trim());
          const cut = texts.filter((t) => {
            const b = t.getBoundingClientRect();
            return b.left < box.left - 1 || b.right > box.right + 1 || b.top < box.top - 1 || b.bottom > box.bottom + 1;
          }).map((t) => t.textContent);
          const controls = Array.from(document.querySelectorAll('.bpx-app button, .bpx-app select, .bpx-app input'))
            .map((e) => parseFloat(getComputedStyle(e).fontSize));
          return {smallest: Math.min(...texts.map((t) => parseFloat(t.getAttribute('font-size')) * scale)),
                  cut, controls: Math.min(...controls), svg: [box.left, box.right], out: [out.left, out.right]};
        }"""
    )
    assert sizes["cut"] == [] and sizes["out"][0] - 1 <= sizes["svg"][0] and sizes["svg"][1] <= sizes["out"][1] + 1
    assert sizes["smallest"] >= 23.5, sizes  # every text of the graph at 24 px, as drawn
    assert sizes["controls"] >= 24, sizes
    jh.screenshot(page, "graph-explorer-lecture", selector=APP)
