"""An exported page and reveal.js deck play their animation from file:// with the network cut off.

``scripts/export.py`` exports tests/browser/fixtures/apps/backward_animation.ipynb (``animate_backward`` on the
worked example) once for the module. Each file is then opened from disk in Chromium with every http(s)
request aborted and recorded: nothing may be requested, nothing may fail to load (console errors fail the
test), and pressing the figure's ▶ Play must walk it through its frames to the update, drawn with the engine's
numbers. (tests/test_export.py checks the files' text without a browser.)
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import sys

import jupyter_harness as jh
import pytest

from explainer.scenarios import worked_example
from explainer.views import animate_backward
from explainer.views.style import fmt

FIXTURE = jh.FIXTURES / "apps" / "backward_animation.ipynb"


def _load_export():
    spec = importlib.util.spec_from_file_location("export", jh.REPO_ROOT / "scripts" / "export.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("export", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """The fixture notebook exported to a throw-away folder: {"page": path, "deck": path}."""
    export = _load_export()
    if shutil.which("npm") is None and not (export.NPM_CACHE / "node_modules" / ".package-lock.json").exists():
        pytest.skip("the export fetches reveal.js and MathJax with npm once: npm is not installed")
    folder = tmp_path_factory.mktemp("export-browser")
    notebook = folder / FIXTURE.name
    shutil.copy2(FIXTURE, notebook)
    assert export.main([str(notebook), "--out", str(folder / "out"), "--jobs", "1"]) == 0
    stem = FIXTURE.stem
    return {"page": folder / "out" / f"{stem}.html", "deck": folder / "out" / f"{stem}.slides.html"}


def _block_network(page) -> list[str]:
    """Abort every http(s)/ws request of the page; return the list the requested URLs are recorded in."""
    requested: list[str] = []

    def route(route):
        url = route.request.url
        if re.match(r"^(?:https?|wss?)://", url):
            requested.append(url)
            return route.abort()
        return route.continue_()

    page.route("**/*", route)
    return requested


def _update_frame_edge_texts() -> list[str]:
    """The weight labels of the animation's last frame, "old → new", from the engine's own update (η = 0.5)."""
    sc = worked_example()
    rec = sc.network.backprop(sc.X, sc.y)
    new_w, _ = rec.updated_parameters(sc.lr)
    return [
        f"{fmt(W[i, j] + 0.0)} → {fmt(new[i, j] + 0.0)}"
        for W, new in zip(rec.weights, new_w)
        for j in range(W.shape[1])
        for i in range(W.shape[0])
    ]


ANIMATED_GRAPH_JS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).findIndex(
  (gd) => gd._transitionData && gd._transitionData._frames && gd._transitionData._frames.length > 0)"""


@pytest.mark.timeout(300)
@pytest.mark.parametrize("kind", ["page", "deck"])
def test_exported_animation_plays_offline_from_file(page, exported, kind):
    requested = _block_network(page)
    path = exported[kind]
    page.goto(path.as_uri(), timeout=120_000)
    page.wait_for_function(f"() => ({ANIMATED_GRAPH_JS})() >= 0", timeout=60_000)
    index = page.evaluate(ANIMATED_GRAPH_JS)
    graph = page.locator(".js-plotly-plot").nth(index)
    if kind == "deck":
        # Bring the figure's slide up, as a presenter paging to it would.
        page.wait_for_function("() => window.Reveal && Reveal.isReady()", timeout=60_000)
        graph.evaluate("(gd) => { const i = Reveal.getIndices(gd.closest('section')); Reveal.slide(i.h, i.v); }")
        page.wait_for_function("(gd) => gd.getBoundingClientRect().width > 0", arg=graph.element_handle())
    sc = worked_example()
    frames = [f.name for f in animate_backward(sc.network.backprop(sc.X, sc.y), lr=sc.lr).frames]
    assert (
        page.evaluate(
            "(i) => document.querySelectorAll('.js-plotly-plot')[i]._transitionData._frames.map((f) => f.name)", index
        )
        == frames
    )
    assert (
        page.evaluate("(i) => document.querySelectorAll('.js-plotly-plot')[i]._fullLayout.sliders[0].active", index)
        == 0
    )
    jh.screenshot(page, f"export-{kind}-before-play")

    play = graph.locator(".updatemenu-button").filter(has_text="Play").first
    play.dispatch_event("click")
    last = len(frames) - 1
    page.wait_for_function(
        "([i, last]) => document.querySelectorAll('.js-plotly-plot')[i]._fullLayout.sliders[0].active === last",
        arg=[index, last],
        timeout=60_000,
    )
    # The last frame is drawn: every weight shows its update, old → new, as the engine computes it.
    want = _update_frame_edge_texts()
    page.wait_for_function(
        "([i, n]) => Array.from(document.querySelectorAll('.js-plotly-plot')[i].querySelectorAll('.textpoint text'))"
        ".filter((t) => t.textContent.includes('→')).length >= n",
        arg=[index, len(want)],
        timeout=10_000,
    )
    drawn = [t for t in jh.trace_texts(page, index, "edge_labels") if "→" in t]
    assert drawn == want
    jh.screenshot(page, f"export-{kind}-after-play")
    assert requested == [], f"the exported {kind} asked the network for {requested}"
