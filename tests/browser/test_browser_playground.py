"""The Playground in a real JupyterLab and Chromium, read from the page and the kernel (``jh.kernel_eval``):
the diagram draws a heat map per neuron from the kernel's bytes, the page draws what the still picture draws,
▶ trains and the status follows, a click edits a weight, "explain this step" lights one layer per click, and
a click on the map adds a point."""

from __future__ import annotations

import re
import time

import jupyter_harness as jh
import pytest

NOTEBOOK = "apps/playground.ipynb"  # app = Playground(); app

# A point on a link's path (its middle), in the page's coordinates: where a mouse user hovers and clicks it.
LINK_POINT = """(key) => {
  const p = document.querySelector(`.bpx-pg-hit[data-key="${key}"]`);
  const pt = p.getPointAtLength(p.getTotalLength() * 0.5);
  const m = p.getScreenCTM();
  return [pt.x * m.a + pt.y * m.c + m.e, pt.x * m.b + pt.y * m.d + m.f];
}"""
DRAWN = (
    "() => { const d = document.querySelector('.bpx-pg').bpxDrawn(); return {revision: d.revision, links: d.links}; }"
)
MAP_PIXELS = "(k) => document.querySelector('.bpx-pg').bpxDrawn().maps[k]"
FRAMES = "() => Array.from(document.querySelectorAll('.bpx-pg-node'), (e) => Number(e.getAttribute('stroke-width')))"
STATUS = "() => Array.from(document.querySelectorAll('.bpx-pg-status'), (e) => e.textContent)"


def _open(page, server) -> None:
    jh.open_notebook(page, server, NOTEBOOK)
    state = jh.run_all_cells(page)
    assert state["ok"] and state["executed"] == state["cells"], state
    jh.assert_no_errors(page)
    assert jh.widget_problems(page) == []
    page.wait_for_selector(".bpx-pg-stage canvas", timeout=60_000)
    page.locator(".bpx-pg").scroll_into_view_if_needed()
    _settle(page)


def _settle(page) -> None:
    """Until the page has drawn the kernel's newest revision."""
    want = jh.kernel_eval(page, "app.diagram.revision")
    jh.wait_until_equal(lambda: page.evaluate(DRAWN)["revision"], want, 30, "the revision drawn")


@pytest.mark.timeout(300)
def test_the_diagram_draws_every_neurons_map_as_the_kernel_sent_it_and_as_the_picture_draws(page, fixture_lab):
    _open(page, fixture_lab)
    nodes = jh.kernel_eval(page, "len(app.diagram.scene['nodes'])")
    assert nodes == 4 + 2 + 1  # the default 2-4-2-1 network: a map per neuron, the output's too
    canvases = page.locator(".bpx-pg-maps canvas").count()
    assert canvases == 1 + 7 + nodes + 1  # the links, the seven features, the neurons, the output map
    # Each neuron's pixels are the kernel's palette indices through the layout's palette.
    expected = jh.kernel_eval(page, "[[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in app.diagram.scene['heat']]")
    grids = jh.kernel_eval(
        page,
        "(lambda raw, R, n: [list(map(int, raw[k * R * R:(k + 1) * R * R])) for k in range(n)])"
        "(app.diagram.grids, 20, len(app.diagram.scene['nodes']))",
    )
    for k in (0, 3, nodes - 1):
        pixels = page.evaluate(MAP_PIXELS, 7 + k)
        rgb = [pixels[4 * p : 4 * p + 3] for p in range(len(pixels) // 4)]
        assert rgb == [expected[v] for v in grids[k]], f"neuron {k}'s map is not the kernel's"
    # The links the page drew are the picture's: the same stroke, width and dashes, link by link.
    drawn = page.evaluate(DRAWN)["links"]
    pictured = jh.kernel_eval(
        page,
        "[(m.group(1), float(m.group(2)), m.group(3) is not None) for m in __import__('re').finditer("
        'r\'<path d="M[^"]*" fill="none" stroke="(#[0-9a-f]{6})" stroke-width="([0-9.]+)"( stroke-dasharray)?\', '
        "app.picture())][:len(app.diagram.scene['links'])]",
    )
    assert len(drawn) == len(pictured) > 0
    for d, (stroke, width, dash) in zip(drawn, pictured):
        assert (d["stroke"], round(d["width"], 2), d["dash"]) == (stroke, round(width, 2), dash), d["key"]
    jh.screenshot(page, "playground-start", selector=".jp-OutputArea-output:has(.bpx-pg)")


@pytest.mark.timeout(300)
def test_play_trains_in_the_page_and_the_status_follows(page, fixture_lab):
    _open(page, fixture_lab)
    assert page.evaluate(STATUS)[0].startswith("epoch 0 · step 0")
    loss0 = jh.kernel_eval(page, "app.session.latest()['train_loss']")
    jh.click_button(page, "▶ play")
    page.wait_for_function(
        """() => { const m = document.querySelector('.bpx-pg-status').textContent.match(/step ([\\d,]+)/);
                   return !!m && parseInt(m[1].replace(/,/g, '')) >= 300; }""",
        timeout=90_000,
    )
    jh.click_button(page, "❚❚ pause")
    time.sleep(1.0)
    _settle(page)
    steps, loss = jh.kernel_eval(page, "(app.session.steps_done, app.session.latest()['train_loss'])")
    assert steps >= 300 and loss < loss0
    status = page.evaluate(STATUS)
    assert status[0] == jh.kernel_eval(page, "app.diagram.texts['status0']")
    assert re.search(rf"step {steps:,}\b", status[0]) and f"train loss {loss:.4f}" == status[1]
    jh.assert_no_errors(page)
    jh.screenshot(page, "playground-trained", selector=".jp-OutputArea-output:has(.bpx-pg)")


@pytest.mark.timeout(300)
def test_a_click_on_a_link_edits_its_weight(page, fixture_lab):
    _open(page, fixture_lab)
    x, y = page.evaluate(LINK_POINT, "W2[0,1]")
    page.mouse.move(x, y)
    tip = page.locator(".bpx-pg-tip")
    tip.wait_for(state="visible", timeout=10_000)
    w = jh.kernel_eval(page, "app.network.get('W2[0,1]')")
    assert "W2[0,1]" in tip.inner_text() and "∂L/∂w" in tip.inner_text()
    page.mouse.click(x, y)
    editor = page.locator(".bpx-pg-editor")
    editor.wait_for(state="visible", timeout=10_000)
    assert float(editor.input_value()) == pytest.approx(w, rel=1e-4)
    editor.fill("-2.5")
    editor.press("Enter")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.network.get('W2[0,1]')"), -2.5, 30, "the weight typed")
    _settle(page)
    key = jh.kernel_eval(page, "[link['key'] for link in app.diagram.scene['links']].index('W2[0,1]')")
    link = page.evaluate(DRAWN)["links"][key]
    assert link["dash"] and link["width"] == pytest.approx(1 + 7 * 2.5 / 5, abs=0.13)  # thick and dashed: −2.5
    editor_gone = page.locator(".bpx-pg-editor").is_hidden()
    assert editor_gone
    jh.assert_no_errors(page)


@pytest.mark.timeout(300)
def test_explain_this_step_lights_one_layer_per_click(page, fixture_lab):
    _open(page, fixture_lab)
    layers = jh.kernel_eval(page, "[n['layer'] for n in app.diagram.scene['nodes']]")
    k = jh.kernel_eval(page, "app.diagram.scene['scale']")
    L = max(layers)
    jh.click_button(page, "explain this step")
    for stage in range(L):
        lit = L - stage
        want = [2.5 * k if layer == lit else k for layer in layers]
        jh.wait_until_equal(lambda: page.evaluate(FRAMES), want, 30, f"the frames lit at backward step {stage + 1}")
        notes = page.locator(".bpx-pg-note").all_text_contents()
        assert sum(t.startswith("δ = ") for t in notes) == sum(layer >= lit for layer in layers)
        assert f"Backward step {stage + 1} of {L}" in page.locator(".bpx-chain").inner_text()
        assert page.locator(".bpx-pg-pick").get_attribute("visibility") == "visible"  # the sample followed
        jh.screenshot(page, f"playground-explain-{stage + 1}", selector=".jp-OutputArea-output:has(.bpx-pg)")
        jh.click_button(page, "show the update" if stage == L - 1 else f"next: layer {lit - 1} ◀")
    page.locator(".bpx-chain:has-text('The update')").wait_for(timeout=30_000)
    jh.click_button(page, "apply the update and go on")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "app.session.steps_done"), 1, 30, "the step applied")
    jh.assert_no_errors(page)


@pytest.mark.timeout(300)
def test_a_click_on_the_map_adds_a_point_and_shift_click_the_other_class(page, fixture_lab):
    _open(page, fixture_lab)
    n = jh.kernel_eval(page, "len(app.dataset.y_train)")
    box = page.locator(".bpx-pg-maphit").bounding_box()
    page.mouse.click(box["x"] + 0.25 * box["width"], box["y"] + 0.25 * box["height"])  # (−3, 3)
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "len(app.dataset.y_train)"), n + 1, 30, "the point added")
    box = page.locator(".bpx-pg-maphit").bounding_box()  # the message area may have moved it
    page.keyboard.down("Shift")
    page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + 0.75 * box["height"])  # (3, −3)
    page.keyboard.up("Shift")
    jh.wait_until_equal(lambda: jh.kernel_eval(page, "len(app.dataset.y_train)"), n + 2, 30, "the second point")
    added = jh.kernel_eval(page, "app._added")
    assert [round(v, 1) for v in added[0][:2]] == [-3.0, 3.0] and added[0][2] == 1.0  # the class chosen: 1
    assert [round(v, 1) for v in added[1][:2]] == [3.0, -3.0] and added[1][2] == 0.0  # Shift: the other
    _settle(page)
    circles = page.locator(".bpx-pg-points circle").count()
    assert circles == jh.kernel_eval(page, "len(app.dataset.y_train)")
    jh.assert_no_errors(page)
