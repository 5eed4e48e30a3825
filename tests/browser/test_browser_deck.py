"""The lecture decks as an instructor shows them: jupyterlab-slideshow at 1920×1080, slide by slide.

On every slide of notebooks 02, 03 and 07 (their outputs live, run in the page first): the prose is at least
24 px, the code at least 20 px, a figure or app at least 1,200 px wide and inside the screen, nothing runs
past its slide sideways and no test marker (``NBVAL``) shows. Screenshots: artifacts/screenshots/deck-*.png.
"""

from __future__ import annotations

import time

import jupyter_harness as jh
import pytest

DECKS = (
    "02_forward_backward_2_2_2.ipynb",
    "03_gradient_descent_loss_surface.ipynb",
    "07_implement_it_from_scratch.ipynb",
)
MAX_SLIDES = 120  # steps through a deck before the walk gives up (the decks have ~30)

SLIDE = """() => {
  const on = Array.from(document.querySelectorAll('.jp-Notebook .jp-Cell.jp-deck-mod-onscreen.jp-deck-mod-visible'))
    .filter((c) => c.getBoundingClientRect().height > 0);
  const px = (e) => parseFloat(getComputedStyle(e).fontSize);
  const shown = (e) => { const b = e.getBoundingClientRect(); return b.width > 0 && b.height > 0; };
  const prose = on.flatMap((c) => Array.from(c.querySelectorAll('.jp-RenderedMarkdown p, .jp-RenderedMarkdown li')))
    .filter(shown);
  const code = on.flatMap((c) => Array.from(c.querySelectorAll('.jp-InputArea-editor .cm-line'))).filter(shown);
  const figures = on.flatMap((c) => Array.from(c.querySelectorAll('.js-plotly-plot, .bpx-app'))).filter(shown)
    .map((f) => { const b = f.getBoundingClientRect(); return [Math.round(b.width), Math.round(b.right)]; });
  return {
    active: window.jupyterapp.shell.currentWidget.content.activeCellIndex,
    cells: on.map((c) => Array.from(c.parentNode.children).indexOf(c)),
    prose: prose.length ? Math.min(...prose.map(px)) : null,
    code: code.length ? Math.min(...code.map(px)) : null,
    figures,
    wide: on.filter((c) => c.scrollWidth > c.clientWidth + 1).map((c) => Array.from(c.parentNode.children).indexOf(c)),
    markers: on.filter((c) => /NBVAL/.test(c.innerText)).map((c) => Array.from(c.parentNode.children).indexOf(c)),
  };
}"""


@pytest.mark.timeout(900)
@pytest.mark.parametrize("notebook", DECKS)
def test_every_slide_reads_from_the_back_row(notebook, page, lab):
    try:
        page.set_viewport_size({"width": 1920, "height": 1080})
        jh.open_notebook(page, lab, f"notebooks/{notebook}")
        state = jh.run_all_cells(page, timeout=600)
        assert state["ok"], state
        jh.wait_for_widgets(page)
        page.evaluate("() => window.jupyterapp.shell.currentWidget.content.activeCellIndex = 0")
        page.evaluate("() => window.jupyterapp.commands.execute('deck:start')")
        page.wait_for_selector(".jp-NotebookPanel.jp-Deck", timeout=30_000)
        problems, seen, last = [], [], None
        for step in range(MAX_SLIDES):
            time.sleep(1.0)  # the slide's transition
            slide = page.evaluate(SLIDE)
            if (slide["active"], slide["cells"]) == last:
                break  # deck:forward on the last slide stays there
            last = (slide["active"], slide["cells"])
            seen.append(last)
            where = f"slide {step + 1} (cells {slide['cells']})"
            if slide["prose"] is not None and slide["prose"] < 24:
                problems.append(f"{where}: prose at {slide['prose']} px")
            if slide["code"] is not None and slide["code"] < 20:
                problems.append(f"{where}: code at {slide['code']} px")
            for width, right in slide["figures"]:
                if width < 1200 or right > 1920:
                    problems.append(f"{where}: a figure {width} px wide ending at {right} px")
            if slide["wide"]:
                problems.append(f"{where}: cells {slide['wide']} run past the slide")
            if slide["markers"]:
                problems.append(f"{where}: cells {slide['markers']} show a test marker")
            if step < 12 or slide["figures"]:
                jh.screenshot(page, f"deck-{notebook[:2]}-{step + 1:02d}")
            page.evaluate("() => window.jupyterapp.commands.execute('deck:forward')")
        assert len(seen) >= 5, seen  # the deck started and moved
        assert not problems, "\n".join(problems)
    finally:
        lab.shutdown_kernels()
