"""The apps in a real JupyterLab and Chromium: what a learner sees after a key press or a click is the engine's numbers.

Each app runs from a one-cell notebook in tests/browser/fixtures/apps/ (served from a throw-away copy).

- BackpropExplorer: ArrowRight on the W1[0,0] slider moves the loss line and every number printed on the
  diagram (its SVG Diagram, ``.bpx-diagram``) to what ``explainer.Network`` computes for the new weight
  (``check_explorer_matches_engine``); "backward step ▶" lights one more layer of δ per click; hovering w5's
  number shows its ∂L/∂w5 and clicking it puts w5's chain rule beside the diagram. A notebook whose diagram
  is broken on purpose shows that the check fails when the diagram does not follow.
- LossSurfaceExplorer: ▶ plays the descent: the drawn paths grow, point by point along the engine's path.
- Playground: ▶ trains: the step count grows and the loss shown falls.

The explorer tests share one page and kernel (opening JupyterLab costs more than the test): each starts
from a fresh app by running the notebook again. Screenshots go to artifacts/screenshots/app-*.png.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import jupyter_harness as jh
import pytest

from explainer.course.scenarios import worked_example
from explainer.views.style import fmt

EXPLORER = "apps/explorer.ipynb"
STEP_BUTTON = "backward step ▶"
KEY_PRESSES = 7  # ArrowRight presses on W1[0,0]: the slider's step is 0.01, so 0.15 becomes 0.22
WAIT = 30.0  # seconds for the page to catch up with an event (the machine may be busy)


# --------------------------------------------------------------------------------------------- checks
def _wait_until_equal(read: Callable[[], object], want: object, timeout: float, what: str) -> None:
    """Poll ``read()`` until it equals ``want``; AssertionError showing both after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    got = read()
    while got != want and time.monotonic() < deadline:
        time.sleep(0.1)
        got = read()
    assert got == want, f"{what} did not show the engine's numbers within {timeout:.0f} s:\n got  {got}\n want {want}"


def _plain(text: str) -> str:
    """A plotly text as drawn: <br> a line break, other tags gone."""
    return re.sub(r"<[^>]+>", "", text.replace("<br>", "\n"))


def _neuron_label(rec, layer: int, j: int, look: str) -> str:
    """The label under neuron j of ``layer`` (1..L) in look "delta" or "grad_a", with its bias's gradient."""
    if look == "grad_a":
        return f"∂L/∂a {fmt(rec.grad_activations[layer - 1][0, j] + 0.0)}"
    held = " (held)" if rec.frozen_biases[layer - 1][j] else ""
    return f"δ {fmt(rec.deltas[layer - 1][0, j] + 0.0)}\n∂L/∂b {fmt(rec.grad_biases[layer - 1][j] + 0.0)}{held}"


def expected_diagram(rec, stage: int | None = None) -> dict[str, list[str]]:
    """The texts the diagram of a one-sample record shows in gradients mode, from the engine's numbers alone.

    ``stage`` None: every gradient; 0..L: the backward pass after ``stage`` steps (0: ∂L/∂a at the outputs,
    k: δ of the last k layers). Weights are listed layer by layer, destination j outer, source i inner
    (the diagram's order), then the output → L links (∂L/∂a); nodes inputs first, the loss last.
    """
    L = rec.n_layers
    lit = range(1, L + 1) if stage is None else range(L - stage + 1, L + 1)
    edges = []
    for layer in range(1, L + 1):
        G = rec.grad_weights[layer - 1]
        for j in range(G.shape[1]):
            for i in range(G.shape[0]):
                edges.append(fmt(G[i, j] + 0.0) if layer in lit else "")
    edges += [fmt(g + 0.0) for g in rec.grad_activations[-1][0]]
    labels = [fmt(x + 0.0) for x in rec.activations[0][0]]
    for layer in range(1, L + 1):
        for j in range(rec.sizes[layer]):
            if layer in lit:
                labels.append(_neuron_label(rec, layer, j, "delta"))
            elif stage == 0 and layer == L:
                labels.append(_neuron_label(rec, layer, j, "grad_a"))
            else:
                labels.append("")
    labels.append(f"L = {fmt(rec.loss)}")
    return {"edge_labels": [t for t in edges if t], "labels": [t for t in labels if t]}


def read_diagram(page, index: int = 0) -> dict[str, list[str]]:
    """The diagram's printed numbers: the texts drawn in the SVG, per text trace (empty texts left out)."""
    return {name: jh.diagram_texts(page, index, name) for name in ("edge_labels", "labels")}


def read_diagram_data(page, index: int = 0) -> dict[str, list[str]]:
    """The same texts as the figure the diagram drew holds them (``bpxSpec``; tags removed, empty and blank
    ones left out)."""
    out = {}
    for name in ("edge_labels", "labels"):
        trace = jh.diagram_data(page, index, name) or {"text": []}
        out[name] = [_plain(t) for t in trace["text"] or [] if t.strip()]
    return out


def chain_text(page) -> str:
    """The text of the panel beside the diagram: the loss line, then the chain rule of the selected weight."""
    panel = page.locator(".bpx-loss").first.locator("xpath=ancestor::div[contains(@class, 'widget-vbox')][1]")
    return panel.text_content()


def loss_text(page) -> str:
    return page.locator(".bpx-loss").first.text_content().strip()


def check_explorer_matches_engine(page, values: dict[str, float], timeout: float = WAIT) -> None:
    """The explorer on the page shows what the engine computes for the worked example with ``values`` set.

    Waits (up to ``timeout``) for the loss line (``L = {rec.loss:.6g}``), the diagram's drawn texts and
    the figure it drew (every ∂L/∂w on an edge, δ and ∂L/∂b under each neuron, ∂L/∂a on the output links,
    L at the loss node, formatted by ``explainer.views.style.fmt``) and the hover text of every weight
    (its ∂L/∂w). AssertionError naming what differs.
    """
    sc = worked_example()
    for name, value in values.items():
        sc.network.set(name, value)
    rec = sc.network.backprop(sc.X, sc.y)
    _wait_until_equal(lambda: loss_text(page), f"L = {rec.loss:.6g}", timeout, "the loss line (.bpx-loss)")
    want = expected_diagram(rec)
    _wait_until_equal(lambda: read_diagram(page), want, timeout, "the diagram's drawn texts (edge_labels, labels)")
    _wait_until_equal(lambda: read_diagram_data(page), want, timeout, "the diagram's data (edge_labels, labels)")
    hovers = jh.diagram_data(page, 0, "edge_labels")["hovertext"]
    grads = [G[i, j] for G in rec.grad_weights for j in range(G.shape[1]) for i in range(G.shape[0])]
    missing = [k for k, g in enumerate(grads) if f"= {fmt(g + 0.0)}" not in _plain(hovers[k])]
    assert not missing, f"hover texts of edges {missing} do not give the engine's ∂L/∂w: {[hovers[k] for k in missing]}"


# --------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def explorer_page(browser, fixture_lab):
    """One JupyterLab page with the explorer notebook open, shared by the explorer tests of this module."""
    page = jh.new_page(browser)
    console = jh.ConsoleLog()
    console.attach(page)
    jh.open_notebook(page, fixture_lab, EXPLORER)
    yield page, console
    page.context.close()
    fixture_lab.shutdown_kernels()


@pytest.fixture
def explorer(explorer_page, request):
    """The shared page with a fresh BackpropExplorer (the notebook run again); console errors fail the test."""
    page, console = explorer_page
    state = jh.run_all_cells(page)
    assert state["ok"] and state["executed"] == state["cells"] == 1, state
    jh.wait_for_diagrams(page, 1)
    page.wait_for_function("() => document.querySelectorAll('.bpx-diagram text.bpx-text').length > 10")
    before = len(console.messages)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        jh.screenshot(page, f"FAILED-{request.node.name}")
    unexpected = [m for m in console.unexpected() if m in console.messages[before:]]
    assert not unexpected, "unexpected browser console errors:\n" + "\n".join(unexpected)


def _open_app(page, server, path: str, plots: int = 0, diagrams: int = 0) -> None:
    """Open and run an app's notebook; wait for ``plots`` plotly graphs and ``diagrams`` Diagrams with data."""
    jh.open_notebook(page, server, path)
    state = jh.run_all_cells(page)
    assert state["ok"] and state["executed"] == state["cells"], state
    jh.assert_no_errors(page)
    assert jh.widget_problems(page) == []
    try:
        jh.wait_for_plots(page, plots, timeout=120)
        jh.wait_for_diagrams(page, diagrams, timeout=120)
    except Exception as error:
        if "Timeout" not in type(error).__name__:
            raise
        raise AssertionError(
            f"{plots} graphs and {diagrams} diagrams with data expected; problems: {jh.empty_plots(page)}"
        ) from None


# --------------------------------------------------------------------------------------------- BackpropExplorer
@pytest.mark.timeout(240)
def test_weight_slider_moved_with_the_keyboard_sets_loss_and_diagram_to_the_engines_numbers(explorer):
    page = explorer
    handle = jh.slider_selector("W1[0,0]")
    assert jh.slider_readout(page, handle) == "0.1500"  # Mazur's w1
    check_explorer_matches_engine(page, {})
    start_loss = loss_text(page)

    jh.press_slider(page, handle, "ArrowRight", times=KEY_PRESSES)
    # The readout prints the engine's value, so it follows once the kernel has the new weight.
    readout = f"{0.15 + 0.01 * KEY_PRESSES:.4f}"
    _wait_until_equal(lambda: jh.slider_readout(page, handle), readout, WAIT, "W1[0,0]'s readout")
    check_explorer_matches_engine(page, {"W1[0,0]": float(readout)})
    assert loss_text(page) != start_loss  # the numbers moved: the check above compared new values
    jh.screenshot(page, "app-explorer-after-keys", selector=".jp-OutputArea-output:has(.bpx-loss)")

    jh.press_slider(page, handle, "ArrowLeft", times=3)
    readout = f"{0.15 + 0.01 * (KEY_PRESSES - 3):.4f}"
    _wait_until_equal(lambda: jh.slider_readout(page, handle), readout, WAIT, "W1[0,0]'s readout")
    check_explorer_matches_engine(page, {"W1[0,0]": float(readout)})
    jh.assert_no_errors(page)


@pytest.mark.timeout(240)
def test_backward_step_lights_one_more_layer_per_click(explorer):
    page = explorer
    sc = worked_example()
    rec = sc.network.backprop(sc.X, sc.y)
    L = rec.n_layers
    status = page.locator(".bpx-loss").first.locator("xpath=..")
    lit_deltas = []
    for stage in range(L + 2):
        jh.dispatch_click_button(page, STEP_BUTTON)
        # The status line names the stage the kernel drew.
        page.wait_for_function(
            "([el, text]) => el.textContent.includes(text)",
            arg=[status.element_handle(), f"backward stage {stage} of {L + 1}"],
            timeout=WAIT * 1000,
        )
        # The figure the diagram drew (the test below checks the texts drawn).
        if stage <= L:
            want = expected_diagram(rec, stage)
            _wait_until_equal(lambda: read_diagram_data(page), want, WAIT, f"the diagram at backward stage {stage}")
        else:  # the update: every weight shows "old → new"
            _wait_until_equal(
                lambda: sum("→" in t for t in read_diagram_data(page)["edge_labels"]), 8, WAIT, "the update stage"
            )
        shown = read_diagram_data(page)
        lit_deltas.append(sum(text.startswith("δ ") for text in shown["labels"]))
        if stage == 1:
            jh.screenshot(page, "app-explorer-backward-stage-1", selector=".jp-OutputArea-output:has(.bpx-loss)")

    # One more layer per click, as many more δ as the layer has neurons, from the output side back.
    widths = [rec.sizes[layer] for layer in range(L, 0, -1)]
    assert lit_deltas[: L + 1] == [sum(widths[:k]) for k in range(L + 1)]
    assert all(a < b for a, b in zip(lit_deltas[: L + 1], lit_deltas[1 : L + 1]))
    # The last click shows the update w → w − η·∂L/∂w on every weight, from the engine's weights.
    updates = [t for t in shown["edge_labels"] if "→" in t]
    old = [fmt(W[i, j] + 0.0) for W in rec.weights for j in range(W.shape[1]) for i in range(W.shape[0])]
    assert [t.split(" → ")[0] for t in updates] == old
    assert lit_deltas[L + 1] == sum(rec.sizes[1:])


@pytest.mark.timeout(180)
def test_backward_step_draws_every_number_it_lights(explorer):
    """The W2 numbers, hidden (empty) at stage 0, are drawn again at stage 1 (plotly.js 4.1 never drew a text
    again once it was empty; test_browser_diagram.py checks the Diagram's own redraw without Jupyter)."""
    page = explorer
    sc = worked_example()
    rec = sc.network.backprop(sc.X, sc.y)
    status = page.locator(".bpx-loss").first.locator("xpath=..")
    for stage in range(2):
        jh.dispatch_click_button(page, STEP_BUTTON)
        page.wait_for_function(
            "([el, text]) => el.textContent.includes(text)",
            arg=[status.element_handle(), f"backward stage {stage} of {rec.n_layers + 1}"],
            timeout=WAIT * 1000,
        )
    want = expected_diagram(rec, 1)
    _wait_until_equal(lambda: read_diagram_data(page), want, WAIT, "the diagram's data at stage 1")
    _wait_until_equal(lambda: read_diagram(page), want, 5, "the diagram's drawn texts at stage 1")


@pytest.mark.timeout(180)
def test_one_update_gives_mazurs_numbers(explorer):
    page = explorer
    assert "η = 0.5" in page.locator(".bpx-loss").first.locator("xpath=..").text_content()
    jh.dispatch_click_button(page, "apply one update")
    page.wait_for_function(
        "() => document.querySelector('.bpx-loss').parentElement.textContent.includes('step 1 ')", timeout=WAIT * 1000
    )
    # Mazur, after the first update: w5 = 0.35891648 and "the total error is now 0.291027924".
    _wait_until_equal(lambda: jh.slider_readout(page, jh.slider_selector("W2[0,0]")), "0.3589", 5, "w5's slider")
    _wait_until_equal(lambda: loss_text(page), "L = 0.291028", 5, "the loss line after one update")


@pytest.mark.timeout(180)
def test_hovering_w5_shows_its_gradient_and_clicking_it_shows_its_chain_rule(explorer):
    page = explorer
    sc = worked_example()
    grad_w5 = fmt(sc.network.backprop(sc.X, sc.y).grad_weights[1][0, 0] + 0.0)
    assert grad_w5 == "+0.08217"  # Mazur's ∂E/∂w5 = 0.082167041
    target = jh.diagram_target(page, 0, "edge_labels", "W2[0,0]")
    assert jh.diagram_tooltip(page) is None

    target.hover()
    page.wait_for_selector(".bpx-diagram .bpx-tooltip:not([hidden])", timeout=WAIT * 1000)
    tooltip = jh.diagram_tooltip(page)
    assert f"∂L/∂w₅ = a_h₁ · δ_o₁ = 0.5933 × 0.1385 = {grad_w5}" in tooltip, tooltip
    jh.screenshot(page, "app-explorer-hover-w5", selector=".jp-OutputArea-output:has(.bpx-loss)")

    assert grad_w5[1:] not in chain_text(page)  # no weight selected yet: the panel shows the loss line only
    target.dispatch_event("click")  # the click goes to the kernel, which selects w5
    _wait_until_equal(lambda: grad_w5[1:] in chain_text(page), True, WAIT, "w5's chain rule beside the diagram")
    assert "W2[0,0]" in chain_text(page)
    assert "bpx-selected" in page.locator(jh.slider_selector("W2[0,0]")).evaluate(
        "(h) => h.closest('.widget-slider').className"
    )
    jh.assert_no_errors(page)


@pytest.mark.timeout(240)
def test_check_fails_when_the_diagram_does_not_follow(page, fixture_lab):
    """The check can go red: in this notebook Diagram.update is replaced by a no-op, so the diagram keeps its
    first drawing while the loss line (plain HTML) still follows the slider."""
    _open_app(page, fixture_lab, "apps/explorer_frozen_figure.ipynb", diagrams=1)
    page.wait_for_function("() => document.querySelectorAll('.bpx-diagram text.bpx-text').length > 10")
    check_explorer_matches_engine(page, {})  # the first drawing is right

    handle = jh.slider_selector("W1[0,0]")
    jh.press_slider(page, handle, "ArrowRight", times=KEY_PRESSES)
    value = 0.15 + 0.01 * KEY_PRESSES
    _wait_until_equal(lambda: jh.slider_readout(page, handle), f"{value:.4f}", WAIT, "W1[0,0]'s readout")
    with pytest.raises(AssertionError, match=r"the diagram's drawn texts") as failure:
        check_explorer_matches_engine(page, {"W1[0,0]": value}, timeout=5)
    assert "+0.0004386" in str(failure.value)  # the stale ∂L/∂w1 of w1 = 0.15, still drawn
    jh.screenshot(page, "app-explorer-broken-on-purpose", selector=".jp-OutputArea-output:has(.bpx-loss)")


# --------------------------------------------------------------------------------------------- LossSurfaceExplorer
@pytest.mark.timeout(240)
def test_loss_surface_play_walks_the_paths_point_by_point(page, fixture_lab):
    _open_app(page, fixture_lab, "apps/surface.ipynb", plots=1)
    # The app opens on the last frame: every optimiser's whole path (101 points: the start and 100 steps).
    paths = {name: jh.trace_data(page, 0, name) for name in ("SGD", "momentum", "Adam")}
    assert all(len(p["x"]) == 101 for p in paths.values()), {k: len(p["x"]) for k, p in paths.items()}
    jh.screenshot(page, "app-surface-start", selector=".jp-OutputArea-output:has(.widget-play)")

    jh.press_play(page)
    # From the last frame, Play starts over at the first; then each tick adds a point to every path.
    page.wait_for_function(
        "() => document.querySelector('.js-plotly-plot')._fullData.find((t) => t.name === 'SGD').x.length < 60",
        timeout=WAIT * 1000,
    )
    restart = len(jh.trace_data(page, 0, "SGD")["x"])
    page.wait_for_function(
        "(n) => document.querySelector('.js-plotly-plot')._fullData.find((t) => t.name === 'SGD').x.length >= n",
        arg=restart + 5,
        timeout=WAIT * 1000,
    )
    jh.press_play(page, button="pause")
    # One read of all three paths: a frame replaces them in a single update, so this is one frame's state.
    shown = page.evaluate(
        """(names) => Object.fromEntries(names.map((name) => {
             const t = document.querySelector('.js-plotly-plot')._fullData.find((t) => t.name === name);
             return [name, {x: Array.from(t.x), y: Array.from(t.y)}]; }))""",
        list(paths),
    )
    n = len(shown["SGD"]["x"])
    assert {name: len(p["x"]) for name, p in shown.items()} == dict.fromkeys(paths, n)
    assert restart < n < 101
    for name, full in paths.items():
        # Every optimiser at the same frame, showing the first points of the path the app computed.
        assert shown[name]["x"] == pytest.approx(full["x"][:n]), name
        assert shown[name]["y"] == pytest.approx(full["y"][:n]), name
    jh.screenshot(page, "app-surface-playing", selector=".jp-OutputArea-output:has(.widget-play)")


# --------------------------------------------------------------------------------------------- Playground
def _playground_status(page) -> tuple[int, float]:
    """(steps done, train loss) from the Playground's status line ("step 1,230  train loss 0.2345 · …")."""
    text = page.locator(".bpx-loss").first.locator("xpath=..").text_content()
    match = re.search(r"step ([\d,]+)\s+train loss ([\d.]+)", text)
    assert match, f"no step count and train loss in the status line: {text!r}"
    return int(match[1].replace(",", "")), float(match[2])


@pytest.mark.timeout(240)
def test_playground_play_trains_and_the_loss_falls(page, fixture_lab):
    _open_app(page, fixture_lab, "apps/playground.ipynb", plots=3)
    loss_plot = jh.plot_index(page, "Loss (train solid, test dashed)")
    steps0, loss0 = _playground_status(page)
    assert steps0 == 0
    jh.screenshot(page, "app-playground-start", selector=".jp-OutputArea-output:has(.widget-play)")

    jh.press_play(page)
    # Ten steps a tick: wait for 200 steps (about 2 s on an idle machine).
    page.wait_for_function(
        """() => { const m = document.querySelector('.bpx-loss').textContent.match(/step ([\\d,]+)/);
                   return !!m && parseInt(m[1].replace(/,/g, '')) >= 200; }""",
        timeout=90_000,
    )
    jh.press_play(page, button="pause")
    steps, loss = _playground_status(page)
    assert steps >= 200
    assert loss < 0.8 * loss0, (loss0, loss)
    # The loss curve on the page: from the start to the last step shown, falling.
    curve = jh.plot_traces(page, loss_plot)[0]
    assert curve["x"][0] == 0 and curve["x"][-1] >= 200
    assert curve["y"][-1] < 0.8 * curve["y"][0]
    assert curve["y"][0] == pytest.approx(loss0, abs=5e-5)
    jh.assert_no_errors(page)
    jh.screenshot(page, "app-playground-trained", selector=".jp-OutputArea-output:has(.widget-play)")
