"""Take the README's pictures in a real JupyterLab and Chromium: ``make screenshots``.

One throw-away notebook shows each app; Chromium (headless, Debian's) drives it as a reader would and saves
the part of the page that matters:

    docs/images/explorer.png            BackpropExplorer in gradients mode, w5 chosen: its tooltip and its chain rule
    docs/images/backward_animation.png  animate_backward half-way: δ has reached the output layer only
    docs/images/loss_surface.png        LossSurfaceExplorer: SGD, momentum and Adam descending over the surface
    docs/images/playground.png          Playground after 1,000 steps on circles (decision boundary, loss, gradients)
    docs/images/graph_explorer.png      GraphExplorer on CS231n's sigmoid neuron, its backward pass four steps in
    docs/images/conv_explorer.png       ConvExplorer: the backward pass at its first ∂L/∂K entry, written as its sum
    docs/images/rnn_explorer.png        RNNExplorer on the vanishing preset: ∂L/∂hₜ stepped back through time

Usage: python scripts/screenshots.py [--out DIR] [NAME ...]   (NAME: explorer, backward_animation, ...)
The pictures are deterministic (seeded apps, trained from Python before display); each is checked to be
under MAX_BYTES so the repository stays small.
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

import jupyter_harness as jh  # noqa: E402  (the harness lives with the browser tests)

DEFAULT_OUT = ROOT / "docs" / "images"
MAX_BYTES = 250_000
# Tall, so that a whole app fits in the notebook panel (an element screenshot is cut at the panel's edge); as wide
# as a 1440 px screen.
VIEWPORT = {"width": 1440, "height": 2000}

# One cell per picture. The apps are built and (for the Playground) trained before they are displayed, so
# the picture does not depend on how fast the machine plays.
CELLS = {
    "explorer": "from explainer.widgets import BackpropExplorer\n\nBackpropExplorer()",
    "backward_animation": (
        "from explainer import worked_example\nfrom explainer.views import animate_backward\n\n"
        "sc = worked_example()\nanimate_backward(sc.network.backprop(sc.X, sc.y), lr=sc.lr)"
    ),
    "loss_surface": "from explainer.widgets import LossSurfaceExplorer\n\nLossSurfaceExplorer()",
    "playground": (
        "from explainer.widgets import Playground\n\n"
        'playground = Playground(preset="circles")\nplayground.step(100)  # 1,000 steps of gradient descent\nplayground'
    ),
    "graph_explorer": (
        "from explainer.widgets import GraphExplorer\n\n"
        'graph = GraphExplorer.from_example("sigmoid_neuron")\nfor _ in range(5):\n    graph.step_backward()\ngraph'
    ),
    "conv_explorer": (
        "from explainer.widgets import ConvExplorer\n\nconv = ConvExplorer()\nconv.next_part()\nconv.next_part()\nconv"
    ),
    "rnn_explorer": (
        "from explainer.widgets import RNNExplorer\n\n"
        'rnn = RNNExplorer(preset="vanishing")\nfor _ in range(4):\n    rnn.step_backward()\nrnn'
    ),
}


def _notebook(names: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(CELLS[name]) for name in names]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def _output(page, cell: int):
    """The output area of code cell ``cell`` (0-based)."""
    return page.locator(".jp-CodeCell").nth(cell).locator(".jp-OutputArea")


def _clip(page, top_el, bottom_el, pad: int = 6) -> dict:
    """A clip rectangle from the top of ``top_el`` to the bottom of ``bottom_el``, the width of ``top_el``."""
    a, b = top_el.bounding_box(), bottom_el.bounding_box()
    return {
        "x": max(a["x"] - pad, 0),
        "y": max(a["y"] - pad, 0),
        "width": a["width"] + 2 * pad,
        "height": b["y"] + b["height"] - a["y"] + pad + 2,
    }


def _scroll_to(page, el) -> None:
    """Put ``el``'s top at the top of the notebook's scrolling panel, the mouse out of the way (no tooltip, no
    plotly mode bar)."""
    page.mouse.move(1, 1)
    el.evaluate("(n) => n.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)  # the panel's scroll settles; plotly redraws nothing on scroll


def shoot_explorer(page, cell: int, out: Path) -> Path:
    app = _output(page, cell).locator(".bpx-app")
    _scroll_to(page, app)
    # w5 (W2[0,0]: h1 → o1) chosen, as a click does: its chain rule beside the diagram; then the mouse on it, so
    # that its tooltip writes ∂L/∂w5 = a_h1 · δ_o1 with the numbers.
    target = app.locator('.bpx-diagram [data-key="W2[0,0]"]').first
    target.dispatch_event("click")
    app.locator(".bpx-chain", has_text="W2[0,0]").wait_for(timeout=10_000)
    target.hover(force=True)  # a horizontal edge's hit area has no height for Playwright's visibility check
    app.locator(".bpx-diagram .bpx-tooltip:not([hidden])").wait_for(timeout=10_000)
    path = out / "explorer.png"
    page.screenshot(path=str(path), clip=_clip(page, app, app.locator(".bpx-sliders").first))
    return path


def shoot_backward_animation(page, cell: int, out: Path) -> Path:
    graph = _output(page, cell).locator(".js-plotly-plot").first
    _scroll_to(page, graph)
    # Frame "layer 2": the error has flowed from L into the output layer (δ, ∂L/∂W2) and no further yet.
    graph.evaluate(
        """(gd) => Plotly.animate(gd, ['layer 2'],
             {mode: 'immediate', frame: {duration: 0, redraw: true}, transition: {duration: 0}})"""
    )
    page.wait_for_function("(gd) => gd._fullLayout.sliders[0].active === 1", arg=graph.element_handle(), timeout=10_000)
    path = out / "backward_animation.png"
    graph.screenshot(path=str(path))
    return path


def shoot_app(page, cell: int, out: Path, name: str) -> Path:
    """The whole app (controls, figures, status) of the cell's output, as ``name``.png."""
    app = _output(page, cell).locator(".bpx-app")
    _scroll_to(page, app)
    path = out / f"{name}.png"
    app.screenshot(path=str(path))
    return path


SHOOTERS = {
    "explorer": shoot_explorer,
    "backward_animation": shoot_backward_animation,
    "loss_surface": functools.partial(shoot_app, name="loss_surface"),
    "playground": functools.partial(shoot_app, name="playground"),
    "graph_explorer": functools.partial(shoot_app, name="graph_explorer"),
    "conv_explorer": functools.partial(shoot_app, name="conv_explorer"),
    "rnn_explorer": functools.partial(shoot_app, name="rnn_explorer"),
}
PLOTS = {"explorer": 0, "backward_animation": 1, "loss_surface": 1, "playground": 1, "rnn_explorer": 1}  # at least
# The apps' SVG Diagrams (explainer/widgets/diagram.py)
DIAGRAMS = {"explorer": 1, "graph_explorer": 1, "conv_explorer": 1, "rnn_explorer": 1}


def _run_until_drawn(page, out: Path, names: list[str], attempts: int = 3) -> None:
    """Run the notebook until every graph and diagram holds data (a FigureWidget now and then stays blank: run
    it again)."""
    for attempt in range(1, attempts + 1):
        state = jh.run_all_cells(page, timeout=600)
        jh.assert_no_errors(page)
        if state["executed"] != len(names):
            raise RuntimeError(f"only {state['executed']} of {len(names)} cells ran: {state}")
        try:
            jh.wait_for_plots(page, sum(PLOTS.get(n, 0) for n in names), timeout=90)
            jh.wait_for_diagrams(page, sum(DIAGRAMS.get(n, 0) for n in names), timeout=90)
            return
        except Exception as error:
            if "Timeout" not in type(error).__name__:
                raise
            print(f"screenshots: attempt {attempt}: figures without data: {jh.empty_plots(page)}", flush=True)
    debug = out / "screenshots-FAILED.png"
    page.screenshot(path=str(debug))
    raise RuntimeError(f"figures still without data after {attempts} runs; see {debug}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help=f"pictures to take: {', '.join(SHOOTERS)} (default: all)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the PNGs (default: docs/images)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in SHOOTERS]
    if unknown:
        parser.error(f"names must be among {', '.join(SHOOTERS)}; got {', '.join(unknown)}")
    names = args.names or list(SHOOTERS)
    args.out.mkdir(parents=True, exist_ok=True)
    jh.require_chromium()
    from playwright.sync_api import sync_playwright

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="screenshots-") as folder:
        nbformat.write(_notebook(names), Path(folder) / "screenshots.ipynb")
        server = jh.start_lab(folder)
        try:
            with sync_playwright() as playwright:
                browser = jh.launch_browser(playwright)
                context = browser.new_context(viewport=VIEWPORT)
                context.set_default_timeout(120_000)
                page = context.new_page()
                jh.open_notebook(page, server, "screenshots.ipynb")
                _run_until_drawn(page, args.out, names)
                failed = False
                for cell, name in enumerate(names):
                    path = SHOOTERS[name](page, cell, args.out)
                    size = path.stat().st_size
                    too_big = size > MAX_BYTES
                    failed |= too_big
                    note = f"  TOO BIG (over {MAX_BYTES // 1000} KB)" if too_big else ""
                    print(f"screenshots: {path}  {size / 1000:.0f} KB{note}", flush=True)
                browser.close()
        finally:
            server.stop()
    print(f"screenshots: {len(names)} picture(s) in {time.perf_counter() - start:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
