"""diagram.js, the explorer's SVG diagram, in a blank page beside plotly.js: the same figure, drawn alike.

No Jupyter and no kernel, so these run in seconds: the page imports explainer/widgets/diagram.js from a Blob
URL and renders it with a stand-in for anywidget's model (``get``, ``on``, ``off``, ``send``; ``set`` replaces
the spec and calls the 'change:spec' callbacks, as a message from the kernel does). plotly.js, the copy
plotly.py ships, draws the same figure dict below it.

- Every point text plotly draws, the Diagram draws with the same content, its box the same size and centred
  within TOLERANCE_PX of plotly's; every marker plotly draws visibly sits at the same centre, the same size.
  The title and the colour bar sit within DECOR_TOLERANCE_PX of plotly's.
- Hovering a point's target shows its hovertext; a click sends ``{event: 'click', trace, point}``.
- A new spec redraws only the traces whose JSON changed (the others keep their very nodes), and a text that
  becomes empty disappears and comes back when it is filled again (backward stages 0 → 1 → 2).
"""

from __future__ import annotations

import re
from pathlib import Path

import jupyter_harness as jh
import plotly
import pytest

import explainer.widgets._diagram as diagram_module
from explainer.course.scenarios import worked_example
from explainer.views import plot_neuron_graph
from explainer.views.network import network_spec

DIAGRAM_JS = Path(diagram_module.__file__).with_name("diagram.js").read_text(encoding="utf-8")
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# Both drawings are SVG text in the same page and font, so they agree to rounding: 0.01 px measured with
# plotly.js 4.1.1 in Chromium. Half a pixel still tells a misplaced text (a wrong anchor or line shift is
# several px) from rounding.
TOLERANCE_PX = 0.5
# The title and the colour bar are laid out by formulas of their own (plotly's colour bar pads and rounds):
# 2 px is what a faithful layout reaches (measured up to 1.9 px), a misplaced one is off by 5 px and more.
DECOR_TOLERANCE_PX = 2.0

# The Diagram and plotly's graph side by side in layout terms: each at the page's left edge, wide enough for
# the widest figure (the lecture theme's), so neither scales its SVG.
PAGE = f"""<style>{diagram_module.CSS}
body {{ margin: 0; }}
#diagram, #plotly {{ position: absolute; left: 0; width: 1800px; }}
#plotly {{ top: 1000px; }}
</style><div id="diagram"></div><div id="plotly"></div>"""

RENDER_JS = """async ([js, spec]) => {
  const module = await import(URL.createObjectURL(new Blob([js], {type: 'text/javascript'})));
  const listeners = [];
  window.bpxSent = [];
  window.bpxModel = {
    spec,
    get(key) { return key === 'spec' ? this.spec : undefined; },
    on(event, callback) { if (event === 'change:spec') listeners.push(callback); },
    off(event, callback) { listeners.splice(listeners.indexOf(callback), 1); },
    send(message) { window.bpxSent.push(message); },
    set(next) { this.spec = next; listeners.forEach((callback) => callback()); },
  };
  const el = document.getElementById('diagram');
  el.replaceChildren();
  module.default.render({model: window.bpxModel, el});
}"""

# Per trace name, what each renderer drew: texts [index, text, centre x, centre y, width, height] and
# markers [index, centre x, centre y, width, height], in px from the top left of its own SVG.
DRAWN_JS = """() => {
  const box = (node, origin) => {
    const b = node.getBoundingClientRect();
    return [b.left + b.width / 2 - origin.left, b.top + b.height / 2 - origin.top, b.width, b.height];
  };
  const lines = (text, selector) => {
    const spans = Array.from(text.querySelectorAll(selector), (s) => s.textContent);
    return (spans.length ? spans.join('\\n') : text.textContent).replace(/\\u200b/g, '');
  };
  const plotly = {}, diagram = {};
  const plotlyOrigin = document.querySelector('#plotly .main-svg').getBoundingClientRect();
  document.querySelectorAll('#plotly .scatterlayer .trace').forEach((g) => {
    plotly[g.__data__[0].trace.name] = {
      texts: Array.from(g.querySelectorAll('.textpoint'))
        .filter((p) => p.querySelector('text'))
        .map((p) => [p.__data__.i, lines(p.querySelector('text'), 'tspan.line'),
                     ...box(p.querySelector('text'), plotlyOrigin)]),
      markers: Array.from(g.querySelectorAll('.points path.point'), (p) => [p.__data__.i, ...box(p, plotlyOrigin)]),
    };
  });
  const diagramOrigin = document.querySelector('#diagram svg.bpx-svg').getBoundingClientRect();
  document.querySelectorAll('#diagram g.bpx-trace').forEach((g) => {
    diagram[g.dataset.name] = {
      texts: Array.from(g.querySelectorAll('text.bpx-text'),
                        (t) => [Number(t.dataset.index), lines(t, 'tspan.bpx-line'), ...box(t, diagramOrigin)]),
      markers: Array.from(g.querySelectorAll('path.bpx-point'),
                          (p) => [Number(p.dataset.index), ...box(p, diagramOrigin)]),
    };
  });
  return {plotly, diagram};
}"""


def _record():
    sc = worked_example()
    return sc.network.backprop(sc.X, sc.y), sc.lr


def _at_stage(stage: int | None):
    """The network diagram in gradients mode: every gradient (None) or the backward pass after ``stage`` steps."""
    return lambda rec, lr: network_spec(rec, "gradients", stage=stage, lr=lr)


FIGURES = {
    "values": lambda rec, lr: network_spec(rec, "values", lr=lr),
    "gradients": _at_stage(None),
    "backward stage 1": _at_stage(1),
    "update stage": _at_stage(3),  # the 2-2-2 network's last: w → w − η·∂L/∂w on every edge
    "dark lecture": lambda rec, lr: network_spec(rec, "gradients", lr=lr, theme="dark", lecture=True),
    "neuron graph": lambda rec, lr: plot_neuron_graph(rec, 1, 0).to_plotly_json(),
}


def _spec(build) -> dict:
    """The figure ``build(rec, lr)`` makes of the worked example, as the Diagram widget sends it (plain JSON)."""
    rec, lr = _record()
    return diagram_module.check_spec(build(rec, lr))


def _plain(text: str) -> str:
    """A figure's text as drawn: <br> a line break, other tags gone."""
    return re.sub(r"<[^>]+>", "", text.replace("<br>", "\n"))


def _words(text: str | None) -> str:
    """``text`` line by line with its runs of spaces made one (HTML collapses them in the tooltip)."""
    return "\n".join(" ".join(line.split()) for line in (text or "").split("\n"))


def _draw(page, spec: dict) -> None:
    """A blank page with the Diagram of ``spec``, its model stand-in ``window.bpxModel``."""
    page.set_content(PAGE)
    page.evaluate(RENDER_JS, [DIAGRAM_JS, spec])


@pytest.fixture(scope="module")
def plotly_page(browser):
    """One blank page with plotly.js loaded, shared by the comparisons (parsing plotly.js takes ~2 s)."""
    page = jh.new_page(browser)
    console = jh.ConsoleLog()
    console.attach(page)
    page.set_content(PAGE)
    page.add_script_tag(path=str(PLOTLY_JS))
    yield page, console
    page.context.close()


def _trace_index(spec: dict, name: str) -> int:
    return [t.get("name") for t in spec["data"]].index(name)


def _off(a: list[float], b: list[float]) -> float:
    """The largest difference between two boxes' centres and sizes, in px."""
    return max(abs(p - q) for p, q in zip(a, b))


def _unlike_plotly(plotly_drawn: dict, diagram_drawn: dict) -> tuple[list[str], int, float]:
    """(what the Diagram draws unlike plotly, how many texts and markers were compared, largest offset in px)."""
    problems, compared, worst = [], 0, 0.0
    for name, theirs in plotly_drawn.items():
        ours = diagram_drawn[name]
        texts = {i: rest for i, *rest in ours["texts"] if rest[0].strip()}
        want = {i: rest for i, *rest in theirs["texts"] if rest[0].strip()}
        if {i: t[0] for i, t in texts.items()} != {i: t[0] for i, t in want.items()}:
            shown = [t[0] for t in texts.values()]
            problems.append(f"{name}: texts {shown} instead of plotly's {[t[0] for t in want.values()]}")
            continue
        for i, (text, *plotly_box) in want.items():
            off = _off(texts[i][1:], plotly_box)
            worst, compared = max(worst, off), compared + 1
            if off > TOLERANCE_PX:
                problems.append(f"{name}[{i}] {text!r}: (x, y, w, h) {texts[i][1:]} instead of plotly's {plotly_box}")
        markers = {i: rest for i, *rest in ours["markers"]}
        for i, *plotly_box in theirs["markers"]:
            if plotly_box[2] < 1:  # a marker plotly draws with no size (the colour bar's carrier trace)
                continue
            if i not in markers:
                problems.append(f"{name}[{i}]: no marker where plotly draws one at {plotly_box}")
                continue
            off = _off(markers[i], plotly_box)
            worst, compared = max(worst, off), compared + 1
            if off > TOLERANCE_PX:
                problems.append(f"{name}[{i}] marker: (x, y, w, h) {markers[i]} instead of plotly's {plotly_box}")
    return problems, compared, worst


# --------------------------------------------------------------------------------------------- beside plotly.js
@pytest.mark.parametrize("figure", FIGURES)
def test_every_text_and_marker_is_drawn_where_plotly_draws_it(plotly_page, figure):
    page, console = plotly_page
    seen = len(console.messages)
    spec = _spec(FIGURES[figure])
    page.evaluate(RENDER_JS, [DIAGRAM_JS, spec])
    page.evaluate("(s) => Plotly.newPlot('plotly', s.data, s.layout, {displayModeBar: false})", spec)
    drawn = page.evaluate(DRAWN_JS)
    plotly_drawn, diagram_drawn = drawn["plotly"], drawn["diagram"]
    assert list(diagram_drawn) == [t.get("name", "") for t in spec["data"]]  # one group per trace, in order

    problems, compared, worst = _unlike_plotly(plotly_drawn, diagram_drawn)
    assert not problems, f"{figure}: drawn unlike plotly.js (largest offset {worst:.2f} px):\n" + "\n".join(problems)
    assert compared > 20, f"{figure}: only {compared} texts and markers compared"
    unexpected = [m for m in console.unexpected() if m in console.messages[seen:]]
    assert not unexpected, "unexpected browser console errors:\n" + "\n".join(unexpected)


# The figure's title and its colour bar (outline, tick labels, title): [text, centre x, centre y, width, height].
DECOR_JS = """() => {
  const box = (node, origin) => {
    const b = node.getBoundingClientRect();
    return [b.left + b.width / 2 - origin.left, b.top + b.height / 2 - origin.top, b.width, b.height];
  };
  const plotlyOrigin = document.querySelector('#plotly .main-svg').getBoundingClientRect();
  const diagramOrigin = document.querySelector('#diagram svg.bpx-svg').getBoundingClientRect();
  const decor = document.querySelector('#diagram g.bpx-decor');
  return {
    plotly: [['title', ...box(document.querySelector('#plotly .gtitle'), plotlyOrigin)],
             ['colour bar', ...box(document.querySelector('#plotly .colorbar .cboutline'), plotlyOrigin)],
             ...Array.from(document.querySelectorAll('#plotly .colorbar text'),
                           (t) => [t.textContent, ...box(t, plotlyOrigin)])],
    diagram: [['title', ...box(decor.querySelector('.bpx-title'), diagramOrigin)],
              ['colour bar', ...box(decor.querySelector('rect.bpx-colorbar'), diagramOrigin)],
              ...Array.from(decor.querySelectorAll(':scope > text:not(.bpx-title)'),
                            (t) => [t.textContent, ...box(t, diagramOrigin)])],
  };
}"""


@pytest.mark.parametrize("figure", FIGURES)
def test_title_and_colour_bar_are_drawn_where_plotly_draws_them(plotly_page, figure):
    page, _ = plotly_page
    spec = _spec(FIGURES[figure])
    page.evaluate(RENDER_JS, [DIAGRAM_JS, spec])
    page.evaluate("(s) => Plotly.newPlot('plotly', s.data, s.layout, {displayModeBar: false})", spec)
    drawn = page.evaluate(DECOR_JS)
    theirs = {text: box for text, *box in drawn["plotly"]}
    ours = {text: box for text, *box in drawn["diagram"]}
    assert sorted(ours) == sorted(theirs), f"{figure}: title and colour bar texts unlike plotly's"
    off = {text: round(_off(ours[text], box), 1) for text, box in theirs.items()}
    assert max(off.values()) <= DECOR_TOLERANCE_PX, f"{figure}: px off plotly's (centre, size): {off}"


# --------------------------------------------------------------------------------------------- hover and click
def test_hover_shows_the_hovertext_and_a_click_goes_to_the_model(page):
    spec = _spec(FIGURES["gradients"])
    _draw(page, spec)
    assert page.evaluate("() => document.querySelector('.bpx-diagram').bpxSpec") == spec
    edges = spec["data"][_trace_index(spec, "edge_labels")]
    w5 = edges["customdata"].index("W2[0,0]")
    target = jh.diagram_target(page, 0, "edge_labels", "W2[0,0]")
    assert jh.diagram_tooltip(page) is None

    target.hover()
    assert _words(jh.diagram_tooltip(page)) == _words(_plain(edges["hovertext"][w5]))
    assert "∂L/∂w₅ = a_h₁ · δ_o₁ = 0.5933 × 0.1385 = +0.08217" in jh.diagram_tooltip(page)
    page.mouse.move(1, 1)
    assert jh.diagram_tooltip(page) is None
    nodes = spec["data"][_trace_index(spec, "nodes")]
    jh.diagram_target(page, 0, "nodes", [1, 0]).hover()  # h1
    assert _words(jh.diagram_tooltip(page)) == _words(_plain(nodes["hovertext"][2]))

    target.click()
    assert page.evaluate("() => window.bpxSent") == [
        {"event": "click", "trace": _trace_index(spec, "edge_labels"), "point": w5}
    ]
    # Lines and the colour bar's carrier take no hover (hoverinfo 'skip'): no targets over them.
    skipped = [t["name"] for t in spec["data"] if t.get("hoverinfo") == "skip"]
    counts = page.evaluate(
        "(names) => names.map((n) => document.querySelectorAll(`g.bpx-targets > g[data-name='${n}'] circle`).length)",
        skipped,
    )
    assert counts == [0] * len(skipped)


# --------------------------------------------------------------------------------------------- updates
BEFORE_JS = """() => {
  window.bpxBefore = Array.from(document.querySelectorAll('#diagram g.bpx-trace'), (g) => Array.from(g.childNodes));
}"""
# Per trace group: [children before, children now, every child the same node, any child the same node].
KEPT_JS = """() => Array.from(document.querySelectorAll('#diagram g.bpx-trace'), (g, k) => {
  const before = window.bpxBefore[k], now = Array.from(g.childNodes);
  return [before.length, now.length, now.length === before.length && now.every((n, i) => n === before[i]),
          now.some((n) => before.includes(n))];
})"""


EDGE_TEXTS = "#diagram g.bpx-trace[data-name='edge_labels'] text.bpx-text"


def test_an_update_redraws_only_the_traces_that_changed(page):
    stages = [2, 0, 1, 2]  # every δ lit; back to the start (◀ back, W texts emptied); forward again
    specs = [_spec(_at_stage(stage)) for stage in stages]
    _draw(page, specs[0])
    edge_texts = [page.locator(EDGE_TEXTS).count()]
    for drawings, (stage, old, new) in enumerate(zip(stages[1:], specs, specs[1:]), start=2):
        page.evaluate(BEFORE_JS)
        page.evaluate("(spec) => window.bpxModel.set(spec)", new)
        changed = [a != b for a, b in zip(old["data"], new["data"])]
        assert 0 < sum(changed) < len(changed), f"stage {stage}: a test of partial redraws needs both kinds"
        for trace, is_changed, (before, now, same, shared) in zip(new["data"], changed, page.evaluate(KEPT_JS)):
            where = f"stage {stage}, trace {trace['name']!r}"
            if not is_changed:
                assert same, f"{where}: unchanged, but its nodes were replaced"
            elif before and now:
                assert not shared, f"{where}: changed, but some of its old nodes were kept"
        assert page.evaluate("() => document.querySelector('.bpx-diagram').bpxSpec") == new
        assert page.evaluate("() => document.querySelector('.bpx-diagram').dataset.updates") == str(drawings)
        # What is drawn is what the new spec holds: emptied texts gone, filled ones back.
        for name in ("edge_labels", "labels"):
            text = new["data"][_trace_index(new, name)]["text"]
            want = [_plain(t) for t in text if t.strip()]
            assert jh.diagram_texts(page, 0, name) == want, f"stage {stage}, {name}"
        edge_texts.append(page.locator(EDGE_TEXTS).count())
    # <text> elements, not only visible texts: 8 weights and 2 output links; at stage 0 only the links
    # (∂L/∂a), then W2's 4, then W1's 4 come back.
    assert edge_texts == [10, 2, 6, 10]
