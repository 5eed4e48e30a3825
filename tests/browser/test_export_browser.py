"""An exported page and deck, opened from file:// with every http(s) request aborted, play their animation.

A small notebook (maths, animate_backward, a BackpropExplorer) is exported once with scripts/export.py; then
Chromium opens each file with no network: MathJax typesets, reveal.js starts, and pressing the figure's own
▶ Play walks the frames to the last one (the update step), with nothing fetched from the network.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import jupyter_harness as jh
import nbformat
import pytest

from explainer.course.scenarios import worked_example
from explainer.views.style import fmt

ROOT = Path(__file__).resolve().parents[2]

CELLS = [
    ("markdown", "# Backward pass\n\nThe chain rule: $\\frac{\\partial L}{\\partial w} = \\delta a$."),
    ("code", "from explainer import worked_example\nfrom explainer.views import animate_backward"),
    ("code", "sc = worked_example()"),
    ("markdown", "## Press play"),
    ("code", "animate_backward(sc.network.backprop(sc.X, sc.y), lr=sc.lr)"),
    ("markdown", "## The explorer, still"),
    ("code", "from explainer.widgets import BackpropExplorer\nBackpropExplorer()"),
]

# The animation's slider position and the frame names, read from Plotly's own state in the page.
_PLAYER_STATE = """(gd) => ({
  active: gd._fullLayout.sliders[0].active,
  frames: gd._transitionData._frames.map((f) => f.name),
})"""


def _update_labels() -> list[str]:
    """The weights' labels of animate_backward's update frame, "old → new", from the engine (layer, then j, then i)."""
    sc = worked_example()
    rec = sc.network.backprop(sc.X, sc.y)
    new_w, _ = rec.updated_parameters(sc.lr)
    return [
        f"{fmt(W[i, j] + 0.0)} → {fmt(new[i, j] + 0.0)}"
        for W, new in zip(rec.weights, new_w)
        for j in range(W.shape[1])
        for i in range(W.shape[0])
    ]


def _export_module():
    spec = importlib.util.spec_from_file_location("export", ROOT / "scripts" / "export.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("export", module)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    export = _export_module()
    folder = tmp_path_factory.mktemp("export-browser")
    nb = nbformat.v4.new_notebook()
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    nb.cells = [make[kind](source) for kind, source in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "anim.ipynb")
    assert export.main([str(folder / "anim.ipynb"), "--out", str(folder / "out"), "--jobs", "1"]) == 0
    return folder / "out"


def _offline(page) -> list[str]:
    """Abort every http(s) request of this page and return the list they are recorded in."""
    tried: list[str] = []

    def route(route):
        url = route.request.url
        if url.startswith(("http:", "https:", "ws:", "wss:")):
            tried.append(url)
            return route.abort()
        return route.continue_()

    page.route("**/*", route)
    return tried


@pytest.mark.parametrize("name", ["anim.html", "anim.slides.html"])
def test_exported_animation_plays_from_file_with_no_network(exported, page, name):
    tried = _offline(page)
    deck = name.endswith(".slides.html")
    page.goto((exported / name).as_uri(), wait_until="load", timeout=120_000)
    if deck:
        page.wait_for_function("window.Reveal && Reveal.isReady()")
        page.evaluate("Reveal.slide(1, 0)")  # the "Press play" slide
        page.wait_for_timeout(800)  # the slide transition
    page.wait_for_function("document.querySelectorAll('mjx-container svg').length >= 1")  # local MathJax ran
    figure = page.locator(".plotly-graph-div").first
    figure.wait_for(state="visible")
    before = figure.evaluate(_PLAYER_STATE)
    assert before == {"active": 0, "frames": ["∂L/∂a", "layer 2", "layer 1", "update"]}

    jh.screenshot(page, f"export-{name}-before-play")
    page.locator(".plotly-graph-div .updatemenu-button").filter(has_text="Play").first.click()
    page.wait_for_function(
        "(gd) => gd._fullLayout.sliders[0].active === 3 && !gd._transitionData._animationRaf",
        arg=figure.element_handle(),
        timeout=30_000,
    )
    jh.screenshot(page, f"export-{name}-after-play")
    after = figure.evaluate(_PLAYER_STATE)
    assert after["active"] == 3  # the update frame: w ← w − η ∂L/∂w
    # ... drawn with the engine's numbers: every weight's label reads old → new, as Record.updated_parameters gives.
    want = _update_labels()
    page.wait_for_function(
        "([gd, n]) => Array.from(gd.querySelectorAll('.textpoint text')).filter((t) => t.textContent.includes('→'))"
        ".length >= n",
        arg=[figure.element_handle(), len(want)],
        timeout=10_000,
    )
    assert [t for t in jh.trace_texts(page, 0, "edge_labels") if "→" in t] == want
    assert tried == []  # nothing was even requested from the network


def test_exported_deck_shows_the_explorers_picture(exported, page):
    tried = _offline(page)
    page.goto((exported / "anim.slides.html").as_uri(), wait_until="load", timeout=120_000)
    page.wait_for_function("window.Reveal && Reveal.isReady()")
    page.evaluate("Reveal.slide(2, 0)")
    page.wait_for_timeout(800)
    slide = page.locator("section.present").last
    picture = slide.locator('img[src^="data:image/svg+xml"]')
    assert picture.count() == 1  # the diagram the live app draws, as its SVG
    assert picture.evaluate("(img) => img.naturalWidth > 300 && img.complete")
    assert "picture of the live BackpropExplorer" in slide.inner_text()
    jh.screenshot(page, "export-deck-explorer-snapshot")
    assert tried == []


LONG_LINE = 'print("' + "x" * 111 + '")'  # 120 characters, the longest line ruff lets the notebooks have
DECK_CELLS = [
    ("markdown", "# Backward pass"),
    (
        "code",
        "from explainer import worked_example\nfrom explainer.views import animate_backward\nsc = worked_example()",
    ),
    ("markdown", "## Press play\n\n" + "\n".join(f"- line {i} of the text above the figure" for i in range(6))),
    ("code", "animate_backward(sc.network.backprop(sc.X, sc.y), lr=sc.lr)"),
    ("markdown", "## Code"),
    ("code", LONG_LINE + "\nprint(len(" + repr("y" * 100) + "))"),
]

# On the current slide: the player's buttons' bottom edges and the slide's, and every <pre> wider than its box.
_SLIDE_STATE = """() => {
  const slide = Reveal.getCurrentSlide(), bottom = slide.getBoundingClientRect().bottom;
  const buttons = Array.from(slide.querySelectorAll('.updatemenu-button')).map((b) => b.getBoundingClientRect().bottom);
  const clipped = Array.from(slide.querySelectorAll('pre')).filter((p) => p.scrollWidth > p.clientWidth + 1)
    .map((p) => p.textContent.slice(0, 40));
  return {bottom, buttons, clipped, viewport: window.innerHeight};
}"""


@pytest.fixture(scope="module")
def deck(tmp_path_factory) -> Path:
    export = _export_module()
    folder = tmp_path_factory.mktemp("export-deck")
    nb = nbformat.v4.new_notebook()
    make = {"markdown": nbformat.v4.new_markdown_cell, "code": nbformat.v4.new_code_cell}
    nb.cells = [make[kind](source) for kind, source in DECK_CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, folder / "deck.ipynb")
    assert export.main([str(folder / "deck.ipynb"), "--out", str(folder / "out"), "--jobs", "1"]) == 0
    return folder / "out" / "deck.slides.html"


def test_the_decks_play_button_sits_on_the_slide_and_long_code_lines_are_not_clipped(deck, page):
    page.set_viewport_size({"width": 1280, "height": 800})  # the deck's own canvas, scale 1
    tried = _offline(page)
    page.goto(deck.as_uri(), wait_until="load", timeout=120_000)
    page.wait_for_function("window.Reveal && Reveal.isReady()")
    page.evaluate("Reveal.slide(1, 0)")  # text, then the animation
    page.wait_for_timeout(1500)  # the transition, then the figure fitted to the room under the text
    state = page.evaluate(_SLIDE_STATE)
    jh.screenshot(page, "export-deck-play-on-slide")
    assert len(state["buttons"]) == 2, state  # ▶ Play and ❚❚ Pause
    assert max(state["buttons"]) <= min(state["bottom"], state["viewport"]), state
    page.evaluate("Reveal.slide(2, 0)")
    page.wait_for_timeout(800)
    state = page.evaluate(_SLIDE_STATE)
    jh.screenshot(page, "export-deck-long-code")
    assert state["clipped"] == [], state
    assert tried == []
