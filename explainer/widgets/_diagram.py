"""A live diagram drawn as plain SVG: the figure a view builds, redrawn in about a millisecond per change.

The explorer's diagram changes on every slider step, and plotly.js treats any change of a point's text
as a ``calc`` edit: it recomputes and redraws every trace, about 20 ms for the 2-2-2 diagram, more than
everything else a step costs together. ``Diagram`` takes the same plotly figure dict the views build
(``network_spec``, ``plot_neuron_graph``), sends it whole in one message per change, and its front end
(``diagram.js``) draws only the traces whose JSON changed, laid out as plotly.js lays them out.

It draws what those figures use, and ``check_spec`` refuses anything else with a ValueError rather than
leave it out: scatter traces (lines, markers, text), hover texts, a colour bar, the layout's size,
margins, axis ranges, colours, font, title and annotations.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import anywidget
import plotly.graph_objects as go
import traitlets
from plotly.basedatatypes import BaseFigure

from ._base import _plain

_JS = Path(__file__).with_name("diagram.js").read_text(encoding="utf-8")

CSS = """
.bpx-diagram { position: relative; margin: 0 auto; }
.bpx-diagram .bpx-svg { display: block; height: auto; }
.bpx-diagram .bpx-text, .bpx-diagram .bpx-title, .bpx-diagram .bpx-annotation { pointer-events: none; }
.bpx-diagram .bpx-tooltip { position: absolute; z-index: 10; pointer-events: none; white-space: pre;
  border: 1px solid; border-radius: 3px; padding: 4px 7px; line-height: 1.3; text-align: left;
  box-shadow: 0 1px 4px rgba(0,0,0,0.25); }
"""

MODES = {"lines", "markers", "text"}
SYMBOLS = {"circle", "square", "diamond"}
TRACE_KEYS = {
    "type",
    "name",
    "mode",
    "x",
    "y",
    "text",
    "textposition",
    "textfont",
    "marker",
    "line",
    "hovertext",
    "hovertemplate",
    "hoverinfo",
    "hoverlabel",
    "customdata",
    "uid",
    "showlegend",
}
LAYOUT_KEYS = {
    "template",
    "paper_bgcolor",
    "plot_bgcolor",
    "font",
    "title",
    "margin",
    "hoverlabel",
    "hovermode",
    "annotations",
    "width",
    "height",
    "showlegend",
    "xaxis",
    "yaxis",
}


def check_spec(spec: dict) -> dict:
    """``spec`` as plain JSON without frames, after checking the Diagram draws all of it (else ValueError)."""
    if not isinstance(spec, dict) or not isinstance(spec.get("data"), (list, tuple)):
        raise ValueError(f"spec must be a plotly figure dict with a 'data' list; got {type(spec).__name__}")
    spec = _plain({k: v for k, v in spec.items() if k != "frames"})
    layout = spec.setdefault("layout", {})
    unknown = sorted(k for k, v in layout.items() if k not in LAYOUT_KEYS and v not in (None, [], {}))
    if unknown:
        raise ValueError(f"spec's layout may hold {', '.join(sorted(LAYOUT_KEYS))}; got also {', '.join(unknown)}")
    for k, trace in enumerate(spec["data"]):
        where = f"spec's trace {k} ({trace.get('name')!r})"
        if trace.get("type", "scatter") != "scatter":
            raise ValueError(f"{where}: type must be 'scatter'; got {trace.get('type')!r}")
        extra = sorted(set(trace) - TRACE_KEYS)
        if extra:
            raise ValueError(f"{where} may hold {', '.join(sorted(TRACE_KEYS))}; got also {', '.join(extra)}")
        mode = trace.get("mode", "markers")
        if mode != "none" and not set(mode.split("+")) <= MODES:
            raise ValueError(f"{where}: mode must combine {', '.join(sorted(MODES))} with '+'; got {mode!r}")
        symbols = (trace.get("marker") or {}).get("symbol", "circle")
        if not set(symbols if isinstance(symbols, list) else [symbols]) <= SYMBOLS:
            raise ValueError(f"{where}: marker.symbol must be one of {', '.join(sorted(SYMBOLS))}; got {symbols!r}")
    return spec


class Diagram(anywidget.AnyWidget):
    """A plotly figure of scatter traces drawn as SVG in the page, updated in place by ``update(spec)``.

    ``on_click(callback)``: ``callback(trace_name, point_index, customdata)`` when a point is clicked.
    ``figure``: what is drawn, as a plotly ``go.Figure`` (for tests, exports and a look in Python).
    """

    _esm = _JS
    _css = CSS
    spec = traitlets.Dict().tag(sync=True)

    def __init__(self, spec: dict | go.Figure):
        super().__init__(spec=check_spec(_as_dict(spec)))
        self.updates = 0  # messages sent after the first drawing (tests check one per event)
        self._click_callbacks: list[Callable[[str, int, object], None]] = []
        self.on_msg(self._on_message)

    def update(self, spec: dict | go.Figure) -> None:
        """Draw ``spec`` instead: one message, and the front end redraws only the traces that changed."""
        new = check_spec(_as_dict(spec))
        if new != self.spec:
            self.spec = new
            self.updates += 1

    def on_click(self, callback: Callable[[str, int, object], None]) -> None:
        if not callable(callback):
            raise ValueError(f"callback must be callable as callback(trace_name, point, customdata); got {callback!r}")
        self._click_callbacks.append(callback)

    @property
    def figure(self) -> go.Figure:
        return go.Figure(self.spec)

    def click(self, trace: int, point: int) -> None:
        """What a click on point ``point`` of trace number ``trace`` does (the front end sends these)."""
        data = self.spec["data"]
        if not (isinstance(trace, int) and 0 <= trace < len(data)):
            raise ValueError(f"trace must be an index from 0 to {len(data) - 1}; got {trace!r}")
        tr = data[trace]
        n = len(tr.get("x") or [])
        if not (isinstance(point, int) and 0 <= point < n):
            raise ValueError(f"point must be an index from 0 to {n - 1} of trace {tr.get('name')!r}; got {point!r}")
        custom = tr.get("customdata")
        for callback in self._click_callbacks:
            callback(tr.get("name", ""), point, custom[point] if isinstance(custom, list) else None)

    def _on_message(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("event") == "click":
            self.click(content.get("trace"), content.get("point"))


def _as_dict(spec: dict | go.Figure) -> dict:
    return spec.to_plotly_json() if isinstance(spec, BaseFigure) else spec
